// Scoring architectures with one proxy or a combination (`synflow+jacob_cov+params`), and where a
// score stands among others: what a warm-up ranks its pool by and what a proxy rung screens with.
import { ranks } from './combine.js';
import { type ProxyName, parseProxySpec } from './names.js';
import { proxyByName } from './index.js';
import { type ProxyBatch, ProxyFailure, type ProxyNetwork } from './types.js';

/** Each proxy's score of one network; null where the proxy could not score it (NaN, infinite). */
export type ProxyScores = Record<string, number | null>;

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

const scoreIn = (s: ProxyScores, name: string) => s[name] ?? Number.NEGATIVE_INFINITY;

/**
 * One number per network, higher better: the score itself for one proxy, the mean of the proxies'
 * ranks among `rows` for several (rankAverage). A network some proxy could not score is
 * -Infinity: it has, in the cases seen, no path from input to output.
 */
export function combinedScores(rows: readonly ProxyScores[], names: readonly string[]): number[] {
  const failed = rows.map((r) => names.some((n) => r[n] === null || r[n] === undefined));
  if (names.length === 1) return rows.map((r, i) => (failed[i] ? Number.NEGATIVE_INFINITY : scoreIn(r, names[0])));
  const columns = names.map((n) => ranks(rows.map((r) => scoreIn(r, n))));
  return rows.map((_, i) => (failed[i] ? Number.NEGATIVE_INFINITY : columns.reduce((s, c) => s + c[i], 0) / names.length));
}

/**
 * Where `scores` stands among `others`, in [0, 1]: per proxy the share of the others it beats (a
 * tie counts half), averaged over the proxies. 0 when a proxy could not score it.
 */
export function standing(scores: ProxyScores, others: readonly ProxyScores[], names: readonly string[]): number {
  if (names.some((n) => scores[n] === null || scores[n] === undefined)) return 0;
  if (others.length === 0) return 1;
  let sum = 0;
  for (const n of names) {
    const x = scores[n]!;
    let beaten = 0;
    for (const o of others) {
      const y = scoreIn(o, n);
      beaten += x > y ? 1 : x === y ? 0.5 : 0;
    }
    sum += beaten / others.length;
  }
  return sum / names.length;
}
