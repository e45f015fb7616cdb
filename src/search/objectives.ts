// Objectives over an action sequence that need no training, for comparing strategies over many
// seeds in seconds (bench:strategies). NAS-Bench-201 has its table; the NASNet space has this.
import { Rng } from '../util/random.js';

/**
 * A hidden-target objective for a sequence of blocks of `blockSize` decisions (NASNet: 5 per block:
 * two inputs, two ops, one combine). Each decision has a hidden utility per choice (partial credit,
 * not a single right answer), and every pair of decisions within a block a hidden interaction
 * (an op is good or bad depending on the input it reads and the op beside it), weighted 1:1. Blocks
 * are independent, so the optimum is the sum of each block's best, found by enumeration, and the
 * score is each block's raw value scaled to [0, 1] by its own worst and best, averaged, plus
 * Gaussian noise of sd `noise` (a second training of the same child does not score the same).
 */
export function hiddenTargetObjective(decisions: readonly { choices: number }[], seed: number, opts: { blockSize?: number; noise?: number } = {}) {
  const blockSize = opts.blockSize ?? 5;
  const noise = opts.noise ?? 0.01;
  const rng = new Rng(seed);
  const utility = decisions.map((d) => Array.from({ length: d.choices }, () => rng.next()));
  const blocks: number[][] = [];
  for (let i = 0; i < decisions.length; i += blockSize) blocks.push(Array.from({ length: Math.min(blockSize, decisions.length - i) }, (_, k) => i + k));
  const pairs = blocks.map((b) =>
    b.flatMap((i, x) => b.slice(x + 1).map((j) => ({ i, j, table: Array.from({ length: decisions[i].choices * decisions[j].choices }, () => rng.next()) }))),
  );
  const raw = (b: number, a: readonly number[]) =>
    blocks[b].reduce((s, i) => s + utility[i][a[i]], 0) / blocks[b].length +
    pairs[b].reduce((s, p) => s + p.table[a[p.i] * decisions[p.j].choices + a[p.j]], 0) / Math.max(1, pairs[b].length);
  // each block's range by enumeration (NASNet: 2*2*6*6*2 = 288 settings)
  const range = blocks.map((b, bi) => {
    let lo = Infinity;
    let hi = -Infinity;
    const a = new Array<number>(decisions.length).fill(0);
    const walk = (k: number) => {
      if (k === b.length) {
        const v = raw(bi, a);
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
        return;
      }
      for (let c = 0; c < decisions[b[k]].choices; c++) (a[b[k]] = c), walk(k + 1);
    };
    walk(0);
    return { lo, hi };
  });
  const noiseRng = new Rng(seed ^ 0x5bd1e995);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - noiseRng.next())) * Math.cos(2 * Math.PI * noiseRng.next());
  return (actions: readonly number[]): number => {
    const clean = blocks.reduce((s, _, b) => s + (raw(b, actions) - range[b].lo) / (range[b].hi - range[b].lo || 1), 0) / blocks.length;
    return Math.min(1, Math.max(0, clean + noise * gauss()));
  };
}
