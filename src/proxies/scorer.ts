// Scoring architectures with one proxy or a combination (`synflow+jacob_cov+params`), and where a
// score stands among others: what a warm-up ranks its pool by and what a proxy rung screens with.
import { isKernelGradProxy, kernelGradScores } from './common.js';
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
    const record = (name: string, result: number | ProxyFailure) => {
      scores[name] = result instanceof ProxyFailure ? null : result;
      if (result instanceof ProxyFailure) failures.push(result.message);
    };
    // snip and grad_norm take the same gradient: named together, they share one backward pass.
    const proxies = this.names.map((name) => proxyByName(name));
    const shared = proxies.filter(isKernelGradProxy);
    if (shared.length > 1) (await kernelGradScores(shared, net, this.batch)).forEach((r, i) => record(shared[i].name, r));
    for (const proxy of proxies) {
      if (shared.length > 1 && isKernelGradProxy(proxy)) continue;
      try {
        record(proxy.name, await proxy.score(net, this.batch));
      } catch (err) {
        if (!(err instanceof ProxyFailure)) throw err;
        record(proxy.name, err);
      }
    }
    return { scores, failures };
  }
}
