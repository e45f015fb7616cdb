// Every proxy on real networks of the project (a NASNet child with 2-block cells, a small
// NAS-Bench-201 network) on wasm: a finite score, the same score twice, every tensor disposed,
// and ProxyFailure naming the proxy when the weights are NaN.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareBackend } from '../../src/backend/index.js';
import { countParams as childParams } from '../../src/evaluators/child/build.js';
import { PROXY_NAMES, ProxyFailure, ProxyScorer, proxyByName, type ProxyNetwork } from '../../src/proxies/index.js';
import { scoreEach } from '../../src/proxies/scorer.js';
import { nb201ProxyNetwork } from '../../src/proxies/networks.js';
import { synflowLog } from '../../src/proxies/synflow.js';
import { disposeBatch, randomBatch, tinyChild } from './helpers.js';

const batch = { current: undefined as ReturnType<typeof randomBatch> | undefined };

beforeAll(async () => {
  await prepareBackend('wasm');
  batch.current = randomBatch(6, [32, 32, 3], 10);
});
afterAll(() => disposeBatch(batch.current!));

/** Scores twice, checking that no tensor outlives a call. */
async function scoreTwice(name: string, net: ProxyNetwork): Promise<[number, number]> {
  const proxy = proxyByName(name);
  const before = tf.memory().numTensors;
  const a = await proxy.score(net, batch.current!);
  expect(tf.memory().numTensors, `${name} leaked tensors`).toBe(before);
  const b = await proxy.score(net, batch.current!);
  expect(tf.memory().numTensors, `${name} leaked tensors`).toBe(before);
  return [a, b];
}

describe('registry', () => {
  it('has every proxy under its name, and refuses others', () => {
    for (const name of PROXY_NAMES) expect(proxyByName(name).name).toBe(name);
    expect(() => proxyByName('zen')).toThrow(/unknown zero-cost proxy 'zen'/);
  });
});

describe.each([
  ['a NASNet child', tinyChild()],
  [
    'a NAS-Bench-201 network',
    nb201ProxyNetwork('|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|', { channels: 4, cellsPerStage: 1, seed: 3 }),
  ],
])('on %s', (_, net) => {
  it.each(PROXY_NAMES.map((n) => [n]))('%s is finite, deterministic and leaks nothing', async (name) => {
    const [a, b] = await scoreTwice(name, net);
    expect(Number.isFinite(a)).toBe(true);
    expect(b).toBe(a);
  });

  it('params is the trainable parameter count', async () => {
    const model = net.build({ batchNorm: true });
    expect(await proxyByName('params').score(net, batch.current!)).toBe(childParams(model));
    model.dispose();
  });

  it('synflow: the scaled computation equals the direct one (small enough not to overflow)', async () => {
    const [m1, m2] = [net.build({ batchNorm: false }), net.build({ batchNorm: false })];
    const scaled = await synflowLog(m1, [32, 32, 3], true);
    const direct = await synflowLog(m2, [32, 32, 3], false);
    expect(scaled).toBeCloseTo(direct, 4);
    m1.dispose();
    m2.dispose();
  });
});

describe('a network with NaN weights', () => {
  const nanChild: ProxyNetwork = {
    build: (o) => {
      const model: tfl.LayersModel = tinyChild().build(o);
      for (const w of model.weights) tf.tidy(() => void w.write(tf.fill(w.shape as number[], Number.NaN)));
      return model;
    },
  };
  const scored = PROXY_NAMES.filter((n) => n !== 'params' && n !== 'flops');

  it.each(scored.map((n) => [n]))('%s throws ProxyFailure naming itself, and leaks nothing', async (name) => {
    const before = tf.memory().numTensors;
    const err = await proxyByName(name)
      .score(nanChild, batch.current!)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(ProxyFailure);
    expect((err as ProxyFailure).proxy).toBe(name);
    expect((err as ProxyFailure).message).toMatch(/NaN|Infinity|constant/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('params and flops do not read the weights', async () => {
    expect(await proxyByName('params').score(nanChild, batch.current!)).toBe(await proxyByName('params').score(tinyChild(), batch.current!));
    expect(await proxyByName('flops').score(nanChild, batch.current!)).toBeGreaterThan(0);
  });
});

describe('snip and grad_norm named together', () => {
  const net = nb201ProxyNetwork('|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|', {
    channels: 4,
    cellsPerStage: 1,
    seed: 5,
  });

  it('share one backward pass with exactly the scores each gives alone, and leak nothing', async () => {
    const alone = { snip: await proxyByName('snip').score(net, batch.current!), grad_norm: await proxyByName('grad_norm').score(net, batch.current!) };
    let builds = 0;
    const counted: ProxyNetwork = { build: (o) => (builds++, net.build(o)) };
    const before = tf.memory().numTensors;
    const together = await new ProxyScorer('grad_norm+params+snip', batch.current!).score(counted);
    expect(tf.memory().numTensors).toBe(before);
    expect(together.failures).toEqual([]);
    expect(together.scores.snip).toBe(alone.snip);
    expect(together.scores.grad_norm).toBe(alone.grad_norm);
    // One network for the two gradient proxies, one for params.
    expect(builds).toBe(2);
  });

  it('are yielded once each by scoreEach, charged equal halves of their pass, beside the others', async () => {
    const seen = [];
    for await (const r of scoreEach(['params', 'snip', 'grad_norm'].map(proxyByName), net, batch.current!)) seen.push(r);
    expect(seen.map((r) => r.proxy)).toEqual(['snip', 'grad_norm', 'params']);
    expect(seen[0].seconds).toBeGreaterThan(0);
    expect(seen[1].seconds).toBe(seen[0].seconds);
    expect(seen.every((r) => typeof r.result === 'number' && Number.isFinite(r.result))).toBe(true);
  });

  it('record a failure for each of them, by name, on NaN weights', async () => {
    const nan: ProxyNetwork = {
      build: (o) => {
        const model = net.build(o);
        for (const w of model.weights) tf.tidy(() => void w.write(tf.fill(w.shape as number[], Number.NaN)));
        return model;
      },
    };
    const before = tf.memory().numTensors;
    const { scores, failures } = await new ProxyScorer('snip+grad_norm', batch.current!).score(nan);
    expect(tf.memory().numTensors).toBe(before);
    expect(scores).toEqual({ snip: null, grad_norm: null });
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatch(/^snip: the loss is NaN/);
    expect(failures[1]).toMatch(/^grad_norm: the loss is NaN/);
  });
});
