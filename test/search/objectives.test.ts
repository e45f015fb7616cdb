// hiddenTargetObjective is what strategies are compared on when nothing is trained, so its claims
// are checked from outside: scores in [0, 1], a reachable optimum at 1, random architectures in the
// middle, interactions within a block (and none across), seeded noise of the stated size.
import { describe, expect, it } from 'vitest';
import { nasnetSpace } from '../../src/spaces/nasnet/space.js';
import { hiddenTargetObjective } from '../../src/search/objectives.js';
import { Rng } from '../../src/util/random.js';

const D = nasnetSpace().decisions; // 50 decisions, 10 blocks of 5
const uniform = (rng: Rng) => D.map((d) => rng.int(d.choices));

/** Blocks are additive, so enumerating each block of 5 in turn (others fixed) finds the optimum. */
function optimum(f: (a: number[]) => number): number[] {
  const a = D.map(() => 0);
  for (let start = 0; start < D.length; start += 5) {
    const idx = [0, 1, 2, 3, 4].map((k) => start + k);
    let best = -Infinity;
    let bestSetting = idx.map((i) => a[i]);
    const walk = (k: number) => {
      if (k === idx.length) {
        const y = f(a);
        if (y > best) [best, bestSetting] = [y, idx.map((i) => a[i])];
        return;
      }
      for (let c = 0; c < D[idx[k]].choices; c++) (a[idx[k]] = c), walk(k + 1);
    };
    walk(0);
    idx.forEach((i, k) => (a[i] = bestSetting[k]));
  }
  return a;
}

describe('hiddenTargetObjective', () => {
  it('scores lie in [0, 1], random architectures near the middle, and the hidden best is reachable at 1', () => {
    for (const seed of [1, 2, 3]) {
      const f = hiddenTargetObjective(D, seed);
      const rng = new Rng(seed + 100);
      const xs = Array.from({ length: 500 }, () => f(uniform(rng)));
      expect(xs.every((x) => x >= 0 && x <= 1)).toBe(true);
      const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
      expect(mean).toBeGreaterThan(0.35);
      expect(mean).toBeLessThan(0.65);
      expect(Math.max(...xs)).toBeLessThan(0.85); // 500 random draws do not come near the optimum

      const exact = hiddenTargetObjective(D, seed, { noise: 0 });
      const best = optimum(exact);
      expect(exact(best)).toBeCloseTo(1, 9);
      expect(f(best)).toBeGreaterThan(0.96); // with noise, still near 1
    }
  });

  it('decisions interact within a block and not across blocks, so one-decision hill climbing gets stuck', () => {
    const f = hiddenTargetObjective(D, 4, { noise: 0 });
    const rng = new Rng(5);
    const base = uniform(rng);
    const moved = (changes: [number, number][]) => {
      const a = [...base];
      for (const [i, v] of changes) a[i] = v;
      return f(a);
    };
    // interaction of decisions i and j: f(both changed) - f(i changed) - f(j changed) + f(neither)
    const interaction = (i: number, j: number) => {
      const vi = (base[i] + 1) % D[i].choices;
      const vj = (base[j] + 1) % D[j].choices;
      return (
        moved([
          [i, vi],
          [j, vj],
        ]) -
        moved([[i, vi]]) -
        moved([[j, vj]]) +
        f(base)
      );
    };
    expect(Math.abs(interaction(2, 3))).toBeGreaterThan(1e-4); // both ops of normal block 0
    expect(Math.abs(interaction(2, 7))).toBeLessThan(1e-12); // ops of blocks 0 and 1

    let stuck = 0;
    for (let t = 0; t < 10; t++) {
      const a = uniform(rng);
      let current = f(a);
      for (let improved = true; improved; ) {
        improved = false;
        for (let i = 0; i < D.length; i++) {
          for (let v = 0; v < D[i].choices; v++) {
            const old = a[i];
            a[i] = v;
            const y = f(a);
            if (y > current + 1e-12) [current, improved] = [y, true];
            else a[i] = old;
          }
        }
      }
      if (current < 1 - 1e-9) stuck++;
    }
    expect(stuck).toBeGreaterThan(0);
  });

  it('noise has sd about 0.01 and is the same for the same seed and call', () => {
    const [f, g] = [hiddenTargetObjective(D, 6), hiddenTargetObjective(D, 6)];
    const a = uniform(new Rng(7));
    const xs = Array.from({ length: 400 }, () => f(a));
    expect(Array.from({ length: 400 }, () => g(a))).toEqual(xs);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1));
    expect(sd).toBeGreaterThan(0.008);
    expect(sd).toBeLessThan(0.012);
    expect(mean).toBeCloseTo(hiddenTargetObjective(D, 6, { noise: 0 })(a), 2);
    expect(hiddenTargetObjective(D, 8)(a)).not.toBe(hiddenTargetObjective(D, 6)(a));
  });
});
