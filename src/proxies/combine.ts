// Combining proxies, and the rank correlations used to judge them against trained accuracy.
export { kendallTau } from '../util/kendall.js';

/** Ranks 1..n of `xs` ascending (the largest gets n), ties given the mean of their ranks. */
export function ranks(xs: readonly number[]): number[] {
  if (xs.some(Number.isNaN)) throw new RangeError('ranks: NaN among the values');
  const order = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b]);
  const out = new Array<number>(xs.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && xs[order[j + 1]] === xs[order[i]]) j++;
    for (let k = i; k <= j; k++) out[order[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}

function columns(scores: readonly number[][]): number[][] {
  const width = scores[0]?.length ?? 0;
  if (scores.some((row) => row.length !== width)) throw new RangeError('every network needs a score from every proxy');
  return Array.from({ length: width }, (_, j) => scores.map((row) => row[j]));
}

/**
 * Rows are networks, columns proxies (higher better in each): every column ranked (ties averaged),
 * and each network's mean rank over the columns. Higher is better.
 */
export function rankAverage(scores: readonly number[][]): number[] {
  const ranked = columns(scores).map(ranks);
  return scores.map((_, i) => ranked.reduce((s, col) => s + col[i], 0) / ranked.length);
}

/**
 * Abdelfattah et al.'s "vote": network a beats network b when a majority of the proxies (the paper
 * votes with synflow, jacob_cov and snip: pass those three columns) score a higher. A network's
 * vote score is how many others it beats, so sorting by it orders the networks by that majority
 * (a pairwise vote can be cyclic; the count breaks such cycles). A tie in one proxy is no vote.
 */
export function voteScore(scores: readonly number[][]): number[] {
  const cols = columns(scores);
  const wins = new Array<number>(scores.length).fill(0);
  for (let a = 0; a < scores.length; a++) {
    for (let b = a + 1; b < scores.length; b++) {
      let forA = 0;
      let forB = 0;
      for (const col of cols) {
        if (col[a] > col[b]) forA++;
        else if (col[b] > col[a]) forB++;
      }
      if (forA * 2 > cols.length) wins[a]++;
      else if (forB * 2 > cols.length) wins[b]++;
    }
  }
  return wins;
}

function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? Number.NaN : sxy / Math.sqrt(sxx * syy);
}

/** Spearman's rho (scipy.stats.spearmanr): Pearson correlation of the tie-averaged ranks; NaN when either is constant. */
export function spearman(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError(`spearman: ${a.length} values against ${b.length}`);
  if (a.length < 2) return Number.NaN;
  return pearson(ranks(a), ranks(b));
}

/** Each proxy's score of one network; null where the proxy could not score it (NaN, infinite). */
export type ProxyScores = Record<string, number | null>;

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
