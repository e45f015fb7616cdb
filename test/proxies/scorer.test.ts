// Proxy specs, combined scores and a score's standing among others: what a warm-up ranks its pool
// by and what the proxy rung rejects with.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareBackend } from '../../src/backend/index.js';
import { combinedScores, parseProxySpec, ProxyScorer, standing } from '../../src/proxies/index.js';
import { nb201ProxyNetwork } from '../../src/proxies/networks.js';
import { ProxyScreen, RUNG_STARTUP } from '../../src/run/proxy-screen.js';

describe('proxy specs', () => {
  it('names one proxy or several joined by +', () => {
    expect(parseProxySpec('synflow')).toEqual(['synflow']);
    expect(parseProxySpec('synflow+jacob_cov+params')).toEqual(['synflow', 'jacob_cov', 'params']);
  });
  it('refuses an unknown or repeated name, saying which', () => {
    expect(() => parseProxySpec('synflow+zico')).toThrow(/unknown zero-cost proxy 'zico' in 'synflow\+zico'/);
    expect(() => parseProxySpec('params+params')).toThrow(/'params' is named twice/);
    expect(() => parseProxySpec('')).toThrow(/unknown zero-cost proxy ''/);
  });
});

describe('combined scores', () => {
  const rows = [
    { a: 1, b: 30 },
    { a: 3, b: 10 },
    { a: 2, b: 20 },
    { a: 4, b: null },
  ];
  it('is the score itself for one proxy, -Infinity where it failed', () => {
    expect(combinedScores(rows, ['a'])).toEqual([1, 3, 2, 4]);
    expect(combinedScores(rows, ['b'])).toEqual([30, 10, 20, Number.NEGATIVE_INFINITY]);
  });
  it('is the mean rank for several, and a network one proxy failed on ranks last', () => {
    // a ranks 1,3,2,4; b ranks 4,2,3,1 (null last): means 2.5, 2.5, 2.5, but the last failed.
    expect(combinedScores(rows, ['a', 'b'])).toEqual([2.5, 2.5, 2.5, Number.NEGATIVE_INFINITY]);
  });
  it('standing is the share of the others beaten, ties half, averaged over proxies', () => {
    const others = rows.slice(0, 3);
    expect(standing({ a: 2, b: 25 }, others, ['a'])).toBeCloseTo(0.5); // beats 1, ties 2, loses to 3
    expect(standing({ a: 5, b: 5 }, others, ['a', 'b'])).toBeCloseTo(0.5); // beats all in a, none in b
    expect(standing({ a: 5, b: null }, others, ['a', 'b'])).toBe(0);
    expect(standing({ a: 0 }, [], ['a'])).toBe(1);
  });
});

describe('the proxy rung', () => {
  beforeAll(async () => {
    await prepareBackend('cpu');
  });
  const batch = () => ({ images: tf.zeros([1, 32, 32, 3]) as tf.Tensor4D, labels: tf.zeros([1], 'int32') as tf.Tensor1D, numClasses: 10 });
  const cells = [
    '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|',
    '|skip_connect~0|+|none~0|skip_connect~1|+|none~0|none~1|skip_connect~2|',
    '|nor_conv_1x1~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+|nor_conv_1x1~0|nor_conv_1x1~1|nor_conv_1x1~2|',
    '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|',
  ];
  const network = (arch: unknown) => nb201ProxyNetwork(arch as string);

  it('keeps what scores among the best 1/factor of those scored before, and says why it rejects', async () => {
    // Earlier scores: parameter counts 100k..1.5M in even steps.
    const earlier = Array.from({ length: 30 }, (_, i) => ({ params: 100_000 + i * 48_000 }));
    const screen = new ProxyScreen(new ProxyScorer('params', batch()), network, 1 / 3, earlier);
    const big = await screen.look(cells[3], true);
    expect(big.reject).toBeUndefined();
    expect(big.scores.params).toBe(1_531_546); // the benchmark's all-3x3 network
    const small = await screen.look(cells[2], true);
    expect(small.scores.params).toBeLessThan(700_000);
    expect(small.reject).toMatch(/^params ranks it above \d+% of 31 scored, below the best 33% the rung keeps$/);
    // A promotion is never judged.
    const promoted = await screen.look(cells[2], false);
    expect(promoted.scores).toEqual(small.scores);
    expect(promoted.reject).toBeUndefined();
    screen.dispose();
  });

  it("does not score again what it was given: the warm-up pool's architectures", async () => {
    const unbuildable = () => {
      throw new Error('scored again');
    };
    const screen = new ProxyScreen(new ProxyScorer('params', batch()), unbuildable, undefined, []);
    screen.remember(cells[0], { params: 123, synflow: 4 });
    screen.remember(cells[1], { synflow: 4 });
    expect((await screen.look(cells[0], true)).scores).toEqual({ params: 123 });
    await expect(screen.look(cells[1], true)).rejects.toThrow('scored again');
    screen.dispose();
  });

  it('rejects nothing before it has seen enough scores, nor without a keep share', async () => {
    const screen = new ProxyScreen(new ProxyScorer('params', batch()), network, 1 / 3, []);
    const looks = [];
    for (let i = 0; i < RUNG_STARTUP; i++) looks.push(await screen.look(cells[i % 2], true));
    expect(looks.every((l) => l.reject === undefined)).toBe(true);
    expect((await screen.look(cells[0], true)).reject).toBeDefined();
    const recordOnly = new ProxyScreen(
      new ProxyScorer('params', batch()),
      network,
      undefined,
      Array.from({ length: 20 }, () => ({ params: 1e9 })),
    );
    expect((await recordOnly.look(cells[0], true)).reject).toBeUndefined();
    screen.dispose();
    recordOnly.dispose();
  });
});
