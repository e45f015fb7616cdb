import * as tf from '@tensorflow/tfjs-core';
import * as tfd from '@tensorflow/tfjs-data';
import { Rng } from '../util/random.js';
import type { ImageSet } from './types.js';

// A type alias rather than an interface: tfjs-data's TensorContainer needs the implicit index
// signature that only object type aliases get.
export type Batch = {
  xs: tf.Tensor4D; // float32 in [0, 1], NHWC
  ys: tf.Tensor2D; // one-hot, float32
};

export interface BatchOptions {
  batchSize: number;
  /** Shuffle anew on every pass over the data, from this seed (no shuffle when absent). */
  shuffleSeed?: number;
  numClasses?: number;
  /** Passes already made over the data (a child continued after that many epochs): their shuffles are drawn and dropped, so the next pass has the order it would have had. */
  skipPasses?: number;
}

/** Number of batches one pass yields (the last one may be smaller). */
export function batchCount(set: ImageSet, batchSize: number): number {
  return Math.ceil(set.count / batchSize);
}

/** The tensors of the images at `indices`, scaled to [0, 1], with one-hot labels. */
export function makeBatch(set: ImageSet, indices: ArrayLike<number>, numClasses = 10): Batch {
  const pixels = set.height * set.width * set.channels;
  const n = indices.length;
  const xs = new Float32Array(n * pixels);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const src = indices[i] * pixels;
    const dst = i * pixels;
    for (let p = 0; p < pixels; p++) xs[dst + p] = set.images[src + p] / 255;
    labels[i] = set.labels[indices[i]];
  }
  return tf.tidy(() => ({
    xs: tf.tensor4d(xs, [n, set.height, set.width, set.channels]),
    ys: tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses), 'float32') as tf.Tensor2D,
  }));
}

/**
 * A tfjs-data pipeline of batches. Each iteration (epoch) draws a fresh permutation from a
 * generator that continues from the last epoch's, so runs with the same seed see the same order.
 */
export function batchDataset(set: ImageSet, opts: BatchOptions): tfd.Dataset<Batch> {
  const rng = opts.shuffleSeed === undefined ? undefined : new Rng(opts.shuffleSeed);
  const numClasses = opts.numClasses ?? 10;
  if (rng) {
    const order = new Uint32Array(set.count);
    for (let k = 0; k < (opts.skipPasses ?? 0); k++) rng.shuffle(order);
  }
  return tfd.generator(function* () {
    const order = new Uint32Array(set.count);
    for (let i = 0; i < set.count; i++) order[i] = i;
    if (rng) rng.shuffle(order);
    for (let from = 0; from < set.count; from += opts.batchSize) {
      yield makeBatch(set, order.subarray(from, Math.min(set.count, from + opts.batchSize)), numClasses);
    }
  } as () => Iterator<Batch>);
}
