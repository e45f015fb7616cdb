import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { ChildManager, type ChildManagerOptions } from '../../../src/evaluators/child/manager.js';
import type { EpochStats } from '../../../src/evaluators/child/train.js';
import { colorSet, exampleCells } from './helpers.js';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

// 8x8 images and 4..8 channels: a child trains at tens of images per second on cpu
const data = { train: colorSet(32, 8, 1), val: colorSet(32, 8, 2) };
const base: ChildManagerOptions = { data, channels: [4, 4, 4, 8, 8], epochs: 2, batchSize: 8, learningRate: 1e-2, seed: 7, numClasses: 2 };

describe('ChildManager.train', () => {
  it('learns a trivially separable problem, reports per epoch and leaves no tensors', async () => {
    const before = tf.memory().numTensors;
    const manager = new ChildManager(base);
    const events: string[] = [];
    const ends: EpochStats[] = [];
    const result = await manager.train(exampleCells(), {
      onEpochStart: (e) => events.push(`start ${e}`),
      onBatch: (e, b, n, loss) => {
        expect(Number.isFinite(loss)).toBe(true);
        events.push(`batch ${e}.${b}/${n}`);
      },
      onEpochEnd: (e, stats) => {
        events.push(`end ${e}`);
        ends.push(stats);
      },
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.failed).toBeUndefined();
    expect(events).toEqual([
      'start 0',
      'batch 0.0/4',
      'batch 0.1/4',
      'batch 0.2/4',
      'batch 0.3/4',
      'end 0',
      'start 1',
      'batch 1.0/4',
      'batch 1.1/4',
      'batch 1.2/4',
      'batch 1.3/4',
      'end 1',
    ]);
    expect(result.valAccuracies).toEqual(ends.map((s) => s.valAccuracy));
    expect(result.losses).toEqual(ends.map((s) => s.loss));
    expect(result.trainAccuracies).toEqual(ends.map((s) => s.trainAccuracy));
    expect(result.accuracy).toBe(Math.max(...result.valAccuracies));
    expect(result.accuracy).toBeGreaterThanOrEqual(0.8); // chance is 0.5
    expect(result.losses[1]).toBeLessThan(result.losses[0]);
    expect(result.trainImages).toBe(64);
    expect(result.params).toBe(8378 - 8 * 8 - 8); // the 10-class reference count, with a 2-class head
    expect(result.seconds).toBeGreaterThan(0);
  });

  it('trains the same way twice from the same seed', async () => {
    const opts = { ...base, epochs: 1, data: { train: colorSet(16, 8, 1), val: colorSet(8, 8, 2) } };
    const [a, b] = [await new ChildManager(opts).train(exampleCells()), await new ChildManager(opts).train(exampleCells())];
    expect(b.losses).toEqual(a.losses);
    expect(b.valAccuracies).toEqual(a.valAccuracies);
    const c = await new ChildManager({ ...opts, seed: 8 }).train(exampleCells());
    expect(c.losses).not.toEqual(a.losses);
  });

  it('fails a child whose loss stops being finite, at once', async () => {
    const before = tf.memory().numTensors;
    const batches: string[] = [];
    // Adam moves every weight by about the learning rate: 1e20 overflows float32 activations
    const result = await new ChildManager({ ...base, learningRate: 1e20 }).train(exampleCells(), { onBatch: (e, b) => batches.push(`${e}.${b}`) });
    expect(result.failed).toMatch(/^loss became NaN at epoch 0 batch [1-3]$/);
    expect(result.accuracy).toBe(0);
    expect(result.valAccuracies).toEqual([]);
    expect(batches.length).toBe(Number(result.failed!.slice(-1)));
    expect(result.trainImages).toBe(8 * (batches.length + 1));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('turns errors while building or training into failed results', async () => {
    const before = tf.memory().numTensors;
    const cells = exampleCells();
    cells.reduction[4].ops[0] = 'conv_9x9' as never;
    const bad = await new ChildManager(base).train(cells);
    expect(bad.failed).toMatch(/reduction\[4\]\.ops\[0\]: "conv_9x9" is not an operation/);
    expect(bad.accuracy).toBe(0);
    const thrown = await new ChildManager(base).train(exampleCells(), {
      onBatch: (_, b) => {
        if (b === 1) throw new Error('progress display crashed');
      },
    });
    expect(thrown.failed).toBe('progress display crashed');
    expect(thrown.params).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects, without leaking, when aborted', async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const run = new ChildManager(base).train(exampleCells(), {
      signal: controller.signal,
      onBatch: (_, b) => {
        if (b === 1) controller.abort(new Error('search stopped'));
      },
    });
    await expect(run).rejects.toThrow('search stopped');
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('ChildManager options', () => {
  it('rejects bad options with errors naming them', () => {
    expect(() => new ChildManager({ ...base, channels: [4, 4, 4] })).toThrow(/channels must be 5 positive integers/);
    expect(() => new ChildManager({ ...base, epochs: 0 })).toThrow(/epochs must be a positive integer, got 0/);
    expect(() => new ChildManager({ ...base, batchSize: 2.5 })).toThrow(/batchSize must be a positive integer/);
    expect(() => new ChildManager({ ...base, learningRate: -1 })).toThrow(/learningRate must be a positive number/);
    expect(() => new ChildManager({ ...base, bnRecalibrationBatches: -1 })).toThrow(/bnRecalibrationBatches/);
    expect(() => new ChildManager({ ...base, numClasses: 1 })).toThrow(/numClasses/);
    const short = { ...data.train, images: data.train.images.subarray(1) };
    expect(() => new ChildManager({ ...base, data: { ...data, train: short } })).toThrow(/data\.train\.images holds 6143 bytes, expected 32 x 192/);
    const labels = Uint8Array.from(data.val.labels);
    labels[3] = 2;
    expect(() => new ChildManager({ ...base, data: { ...data, val: { ...data.val, labels } } })).toThrow(/data\.val\.labels\[3\] is 2, not below numClasses 2/);
    expect(() => new ChildManager({ ...base, data: { ...data, val: colorSet(4, 6, 1) } })).toThrow(/data\.train images are 8x8x3 but data\.val's are 6x6x3/);
  });

  it('defaults to the spec: 6 epochs, batch 128, Adam 1e-3, 10 classes', () => {
    const tenClasses = { train: colorSet(4, 8, 1), val: colorSet(4, 8, 2) };
    const o = new ChildManager({ data: tenClasses, channels: [2, 2, 2, 2, 2] }).options;
    expect([o.epochs, o.batchSize, o.learningRate, o.numClasses, o.hierarchical]).toEqual([6, 128, 1e-3, 10, false]);
  });
});
