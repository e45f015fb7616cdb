import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { ChildManager } from '../../../src/evaluators/child/manager.js';
import { measureLatency } from '../../../src/evaluators/child/latency.js';
import { colorSet, exampleCells } from './helpers.js';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

describe('measureLatency', () => {
  it('times batch-1 predictions after a warm-up, leaves no tensors, and a wider child takes longer', async () => {
    const data = { train: colorSet(8, 16, 1), val: colorSet(8, 16, 2) };
    const small = new ChildManager({ data, channels: [4, 4, 4, 8, 8], numClasses: 2 }).build(exampleCells());
    const wide = new ChildManager({ data, channels: [32, 64, 64, 128, 128], numClasses: 2 }).build(exampleCells());
    const before = tf.memory().numTensors;
    const a = await measureLatency(small, [16, 16, 3], { warmup: 2, runs: 5 });
    const b = await measureLatency(wide, [16, 16, 3], { warmup: 2, runs: 5 });
    expect(tf.memory().numTensors).toBe(before);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(a);
    small.dispose();
    wide.dispose();
  });
});
