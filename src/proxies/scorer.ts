// Scoring architectures with one proxy or a combination (`synflow+jacob_cov+params`), and where a
// score stands among others: what a warm-up ranks its pool by and what a proxy rung screens with.
import { type ProxyName, parseProxySpec } from './names.js';
import { proxyByName } from './index.js';
import { type ProxyBatch, ProxyFailure, type ProxyNetwork } from './types.js';

import type { ProxyScores } from './combine.js';

export { combinedScores, type ProxyScores, standing } from './combine.js';

export interface ScoredNetwork {
  scores: ProxyScores;
  /** Why a proxy could not score the network, one line per proxy that failed. */
  failures: string[];
}

/** Scores networks with every proxy a spec names, on one minibatch. */
export class ProxyScorer {
  readonly names: ProxyName[];

  constructor(
    readonly spec: string,
    readonly batch: ProxyBatch,
  ) {
    this.names = parseProxySpec(spec);
  }

  async score(net: ProxyNetwork): Promise<ScoredNetwork> {
    const scores: ProxyScores = {};
    const failures: string[] = [];
    for (const name of this.names) {
      try {
        scores[name] = await proxyByName(name).score(net, this.batch);
      } catch (err) {
        if (!(err instanceof ProxyFailure)) throw err;
        scores[name] = null;
        failures.push(err.message);
      }
    }
    return { scores, failures };
  }
}
