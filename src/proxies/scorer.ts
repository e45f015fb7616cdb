// Scoring architectures with one proxy or a combination (`synflow+jacob_cov+params`), and where a
// score stands among others: what a warm-up ranks its pool by and what a proxy rung screens with.
import { isKernelGradProxy, kernelGradScores } from './common.js';
import { type ProxyName, parseProxySpec } from './names.js';
import { proxyByName } from './index.js';
import { type ProxyBatch, ProxyFailure, type ProxyNetwork, type ZeroCostProxy } from './types.js';

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
    const proxies = this.names.map((name) => proxyByName(name));
    for await (const { proxy, result } of scoreEach(proxies, net, this.batch)) {
      scores[proxy] = result instanceof ProxyFailure ? null : result;
      if (result instanceof ProxyFailure) failures.push(result.message);
    }
    return { scores, failures };
  }
}

export interface ProxyResult {
  proxy: string;
  /** The score, or the failure that says why the network has none. */
  result: number | ProxyFailure;
  /** Seconds it took; proxies that shared a backward pass are each charged an equal part of it. */
  seconds: number;
}

/**
 * Scores one network with each of `proxies`, yielding each result as it is known. snip and
 * grad_norm take the same gradient, so named together they share one backward pass.
 */
export async function* scoreEach(proxies: ZeroCostProxy[], net: ProxyNetwork, batch: ProxyBatch): AsyncGenerator<ProxyResult> {
  const shared = proxies.filter(isKernelGradProxy);
  if (shared.length > 1) {
    const started = performance.now();
    const results = await kernelGradScores(shared, net, batch);
    const seconds = (performance.now() - started) / 1000 / shared.length;
    for (const [i, result] of results.entries()) yield { proxy: shared[i].name, result, seconds };
  }
  for (const proxy of proxies) {
    if (shared.length > 1 && isKernelGradProxy(proxy)) continue;
    const started = performance.now();
    let result: number | ProxyFailure;
    try {
      result = await proxy.score(net, batch);
    } catch (err) {
      if (!(err instanceof ProxyFailure)) throw err;
      result = err;
    }
    yield { proxy: proxy.name, result, seconds: (performance.now() - started) / 1000 };
  }
}
