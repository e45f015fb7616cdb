// The search may run everything on the wasm backend, which lacks some kernels the cpu backend
// has (notably UnsortedSegmentSum, the gradient of gather); the controller must still train there.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, expect, it } from 'vitest';
import { Controller } from '../../../src/strategies/controller/policy.js';

beforeAll(async () => {
  tf.env().set('PROD', true);
  expect(await tf.setBackend('wasm')).toBe(true);
});

it('samples, trains and resumes on the wasm backend without leaking', async () => {
  const live = new Controller({ seed: 31, epsilon: 0.5, space: { blocks: 5, hierarchical: true } });
  const first = await live.sample();
  const before = await live.logProb(first.actions);
  expect(before).toBeCloseTo(first.logProb, 3);
  await live.update(first.actions, 1);
  expect(await live.logProb(first.actions)).toBeGreaterThan(before);

  const warm = tf.memory().numTensors;
  const resumed = await Controller.fromState(JSON.parse(JSON.stringify(await live.getState())));
  for (let i = 0; i < 3; i++) {
    const a = await live.sample();
    const b = await resumed.sample();
    expect(b).toEqual(a);
    expect(await resumed.update(b.actions, 0.2 * i - 0.1)).toEqual(await live.update(a.actions, 0.2 * i - 0.1));
  }
  resumed.dispose();
  expect(tf.memory().numTensors).toBe(warm);
  live.dispose();
});
