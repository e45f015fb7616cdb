import { det, eigs } from 'mathjs';
import { describe, expect, it } from 'vitest';
import { kendallTau, rankAverage, ranks, spearman, voteScore } from '../../src/proxies/combine.js';
import { jacobCovScore } from '../../src/proxies/jacob-cov.js';
import { corrcoef, slogdet, symmetricEigenvalues } from '../../src/proxies/linalg.js';
import { Rng } from '../../src/util/random.js';

describe('rank combination', () => {
  it('ranks ascending with ties averaged', () => {
    expect(ranks([10, 30, 20, 30])).toEqual([1, 3.5, 2, 3.5]);
    expect(() => ranks([1, Number.NaN])).toThrow(RangeError);
  });

  it('rankAverage: the mean over proxies of each network’s rank', () => {
    const scores = [
      [1, 100, -5],
      [2, 300, -5],
      [3, 200, -1],
    ];
    // columns ranked: [1,2,3], [1,3,2], [1.5,1.5,3]
    expect(rankAverage(scores)).toEqual([3.5 / 3, 6.5 / 3, 8 / 3]);
    expect(() => rankAverage([[1, 2], [3]])).toThrow(RangeError);
  });

  it('voteScore counts the networks each beats by a majority of the proxies', () => {
    const scores = [
      [3, 1, 1], // beats b (3>2, 1<2, 1>0): 2 of 3 → a beats b; vs c: (3>1, 1<5, 1<2) → c beats a
      [2, 2, 0],
      [1, 5, 2],
    ];
    // a beats b; c beats a; c vs b: (1<2, 5>2, 2>0) → c beats b
    expect(voteScore(scores)).toEqual([1, 0, 2]);
    // a tie in one proxy is no vote: 1 of 3 is no majority
    expect(
      voteScore([
        [1, 5, 5],
        [0, 5, 5],
      ]),
    ).toEqual([0, 0]);
  });

  it('spearman is Pearson on ranks (scipy: spearmanr([1,2,3,4,5],[5,6,7,8,7]) = 0.8207826816681233)', () => {
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(0.8207826816681233, 12);
    expect(spearman([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(kendallTau([1, 2, 3], [1, 3, 2])).toBeCloseTo(1 / 3, 12);
  });
});

describe('float64 linear algebra', () => {
  const rng = new Rng(9);
  const rand = () => rng.nextUint32() / 2 ** 32 - 0.5;

  it('Jacobi eigenvalues and LU slogdet agree with mathjs on a random symmetric matrix', () => {
    const n = 12;
    const a = Array.from({ length: n }, () => Array.from({ length: n }, rand));
    const sym = a.map((row, i) => row.map((v, j) => v + a[j][i]));
    const ours = symmetricEigenvalues(sym);
    const theirs = (eigs(sym).values as number[]).slice().sort((x, y) => x - y);
    ours.forEach((v, i) => expect(v).toBeCloseTo(theirs[i], 10));
    const d = det(sym) as number;
    const { sign, logAbsDet } = slogdet(sym);
    expect(sign).toBe(Math.sign(d));
    expect(logAbsDet).toBeCloseTo(Math.log(Math.abs(d)), 10);
    expect(
      slogdet([
        [1, 2],
        [2, 4],
      ]).logAbsDet,
    ).toBe(Number.NEGATIVE_INFINITY);
  });

  it('corrcoef and the jacob_cov score as numpy computes them', () => {
    const rows = [
      [1, 2, 3, 4],
      [2, 1, 4, 3],
      [4, 3, 2, 1],
    ];
    const c = corrcoef(rows);
    // np.corrcoef: [[1, 0.6, -1], [0.6, 1, -0.6], [-1, -0.6, 1]]
    const expected = [
      [1, 0.6, -1],
      [0.6, 1, -0.6],
      [-1, -0.6, 1],
    ];
    c.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 12)));
    const lambdas = (eigs(expected).values as number[]).map(Number);
    const score = -lambdas.reduce((s, l) => s + Math.log(l + 1e-5) + 1 / (l + 1e-5), 0);
    expect(Math.abs(jacobCovScore(rows) / score - 1)).toBeLessThan(1e-9);
  });
});
