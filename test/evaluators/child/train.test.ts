import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { BN_MOMENTUM, buildChild } from '../../../src/evaluators/child/build.js';
import { batchNormLayers, evaluate, iterate, recalibrateBatchNorm, trainModel, trainStep, type TrainConfig } from '../../../src/evaluators/child/train.js';
import { batchDataset, makeBatch, type Batch } from '../../../src/data/pipeline.js';
import type { ImageSet } from '../../../src/data/types.js';
import { colorSet, exampleCells } from './helpers.js';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

const SIZE = 8;
const tinyChild = (seed: number) => buildChild(exampleCells(), { channels: [4, 4, 4, 8, 8], seed, numClasses: 2, inputShape: [SIZE, SIZE, 3] });
const batchOf = (set: ImageSet, from: number, n: number): Batch =>
  makeBatch(
    set,
    Array.from({ length: n }, (_, i) => from + i),
    2,
  );

describe('BN recalibration (precise BN)', () => {
  it('sets the moving statistics to the exact average of the batch statistics', async () => {
    const model = tinyChild(1);
    const set = colorSet(24, SIZE, 3);
    const batches = [batchOf(set, 0, 8), batchOf(set, 8, 8), batchOf(set, 16, 8)];
    // the stem BN normalizes the stem conv's output: its batch moments are directly computable
    const conv = model.getLayer('stem_conv');
    const [mean, variance] = tf.tidy(() => {
      const moments = batches.map((b) => tf.moments(conv.apply(b.xs) as tf.Tensor4D, [0, 1, 2]));
      return [tf.div(tf.addN(moments.map((m) => m.mean)), 3), tf.div(tf.addN(moments.map((m) => m.variance)), 3)];
    });
    const spare = batchOf(set, 0, 8);
    const used = await recalibrateBatchNorm(model, [...batches, spare], 3);
    expect(used).toBe(3);
    expect(spare.xs.isDisposed).toBe(false); // not consumed
    expect(batches[2].xs.isDisposed).toBe(true); // consumed batches are disposed
    const [, , movingMean, movingVariance] = model.getLayer('stem_bn').getWeights();
    const close = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
    expect(close(movingMean, mean)).toBeLessThan(1e-5);
    expect(close(movingVariance, variance)).toBeLessThan(1e-5);
    // momentum is put back for training
    for (const layer of batchNormLayers(model)) expect((layer as unknown as { momentum: number }).momentum).toBe(BN_MOMENTUM);
    tf.dispose([mean, variance, spare.xs, spare.ys]);
    model.dispose();
  });

  it('makes inference on a batch equal the training-mode pass whose statistics it took', async () => {
    const model = tinyChild(2);
    const b = batchOf(colorSet(8, SIZE, 4), 0, 8);
    const trainingMode = tf.tidy(() => model.apply(b.xs, { training: true }) as tf.Tensor);
    const before = tf.tidy(() => model.apply(b.xs, { training: false }) as tf.Tensor);
    await recalibrateBatchNorm(model, [{ xs: tf.clone(b.xs), ys: tf.clone(b.ys) }], 1);
    const after = tf.tidy(() => model.apply(b.xs, { training: false }) as tf.Tensor);
    const gap = (x: tf.Tensor, y: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(x, y))).dataSync()[0]);
    expect(gap(after, trainingMode)).toBeLessThan(1e-4);
    expect(gap(before, trainingMode)).toBeGreaterThan(1e-2);
    tf.dispose([trainingMode, before, after, b.xs, b.ys]);
    model.dispose();
  });

  it('turns chance-level evaluation after brief training into what the weights learned', async () => {
    const before = tf.memory().numTensors;
    const model = tinyChild(2);
    const train = colorSet(32, SIZE, 1);
    const val = colorSet(32, SIZE, 2);
    const optimizer = tf.train.adam(1e-2);
    const ds = batchDataset(train, { batchSize: 8, shuffleSeed: 5, numClasses: 2 });
    for await (const batch of iterate(ds)) {
      const step = trainStep(model, optimizer, batch);
      tf.dispose([step.loss, step.correct, batch.xs, batch.ys]);
    }
    // four steps: the moving statistics (momentum 0.9) are still mostly their initial 0 and 1
    const raw = await evaluate(model, val, 16, 2);
    await recalibrateBatchNorm(model, iterate(ds), 4);
    const recalibrated = await evaluate(model, val, 16, 2);
    expect(raw).toBeLessThanOrEqual(0.6);
    expect(recalibrated).toBeGreaterThanOrEqual(0.8);
    model.dispose();
    optimizer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('trainModel', () => {
  const config: TrainConfig = { epochs: 2, batchSize: 8, learningRate: 1e-3, numClasses: 2, shuffleSeed: 1, bnRecalibrationBatches: 2 };

  it('stops at the first non-finite loss (NaN pixels injected)', async () => {
    const before = tf.memory().numTensors;
    const train = colorSet(24, SIZE, 1);
    // a Float32Array passes NaN through makeBatch; image 13 lands in the second batch or later
    const poisoned = Float32Array.from(train.images);
    poisoned[13 * SIZE * SIZE * 3 + 5] = NaN;
    const data = { train: { ...train, images: poisoned as unknown as Uint8Array }, val: colorSet(8, SIZE, 2) };
    const model = tinyChild(3);
    const batches: number[] = [];
    const outcome = await trainModel(model, data, config, { onBatch: (_, b) => batches.push(b) });
    expect(outcome.failed).toMatch(/^loss became NaN at epoch 0 batch \d$/);
    const failedAt = Number(outcome.failed!.slice(-1));
    expect(batches).toEqual(Array.from({ length: failedAt }, (_, i) => i));
    expect(outcome.valAccuracies).toEqual([]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('micro-batched steps', () => {
  it('sum slice gradients into one update that learns and leaks nothing', async () => {
    const set = colorSet(32, SIZE, 1);
    const model = tinyChild(5);
    const optimizer = tf.train.adam(0.01);
    const batch = makeBatch(
      set,
      Array.from({ length: 32 }, (_, i) => i),
      2,
    );
    const weightsBefore = model.getWeights().map((w) => w.dataSync().slice());
    const losses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const step = trainStep(model, optimizer, batch, 8);
      losses.push(step.loss.dataSync()[0]);
      const right = step.correct.dataSync()[0];
      expect(right).toBeGreaterThanOrEqual(0);
      expect(right).toBeLessThanOrEqual(32);
      tf.dispose([step.loss, step.correct]);
    }
    tf.dispose([batch.xs, batch.ys]);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[7]).toBeLessThan(losses[0]);
    const changed = model.getWeights().some((w, i) => w.dataSync().some((v, j) => v !== weightsBefore[i][j]));
    expect(changed).toBe(true);
    // a second round allocates nothing new: every slice's tensors were released
    const settled = tf.memory().numTensors;
    const again = makeBatch(
      set,
      Array.from({ length: 32 }, (_, i) => i),
      2,
    );
    const step = trainStep(model, optimizer, again, 8);
    tf.dispose([step.loss, step.correct, again.xs, again.ys]);
    expect(tf.memory().numTensors).toBe(settled);
    optimizer.dispose();
    model.dispose();
  });
});
