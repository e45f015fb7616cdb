import { describe, expect, it } from 'vitest';
import { kendallTau } from '../../src/util/kendall.js';

describe('kendallTau', () => {
  it('is 1 for the same order, -1 for the reverse, whatever the scale', () => {
    expect(kendallTau([1, 2, 3, 4], [10, 20, 30, 400])).toBe(1);
    expect(kendallTau([1, 2, 3, 4], [0.4, 0.3, 0.2, 0.1])).toBe(-1);
  });

  it('matches scipy.stats.kendalltau (tau-b) with and without ties', () => {
    // scipy.stats.kendalltau([12, 2, 1, 12, 2], [1, 4, 7, 1, 0]) -> -0.47140452079103173
    expect(kendallTau([12, 2, 1, 12, 2], [1, 4, 7, 1, 0])).toBeCloseTo(-0.47140452079103173, 12);
    // 5 concordant, 1 discordant pair of 6: (5 - 1) / 6
    expect(kendallTau([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(4 / 6, 12);
  });

  it('is NaN when a sample is constant, and refuses unpaired samples', () => {
    expect(kendallTau([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(kendallTau([1], [2])).toBeNaN();
    expect(() => kendallTau([1, 2], [1])).toThrow(/2 x values but 1 y values/);
  });
});
