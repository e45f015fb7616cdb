// The checks `nascent export` runs on what it wrote: the exported model against nascent's own on
// the data set's test images (largest absolute difference of the class probabilities, and test
// accuracy, which is what quantization costs).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { loadCifar10Test, resolveCifar10Dir } from '../data/cifar10.js';
import { TEST_BATCH_FILE } from '../data/cifar10-format.js';
import { resolveDataset } from '../data/datasets.js';
import type { ImageSet } from '../data/types.js';

/** Scores one batch: NHWC float32 pixels in [0, 1] in, probabilities (n x classes) out. */
export type Predict = (pixels: Float32Array, n: number) => Promise<Float32Array>;

/** The data set's test images, without reading its training images where that can be helped. */
export async function loadTestImages(dataset: string, o: { dataDir?: string; imageSize?: number } = {}): Promise<{ set: ImageSet; source: string }> {
  if (dataset === 'cifar10') {
    const { batchesDir, cacheDir } = resolveCifar10Dir({ dataDir: o.dataDir });
    const dir = batchesDir ?? cacheDir;
    if (!existsSync(join(dir, TEST_BATCH_FILE))) throw new Error(`no CIFAR-10 ${TEST_BATCH_FILE} in ${dir}: give --data-dir (or --no-check)`);
    return { set: loadCifar10Test(dir), source: join(dir, TEST_BATCH_FILE) };
  }
  const final = await resolveDataset(dataset).loadFinal({ dataDir: o.dataDir, imageSize: o.imageSize, limit: 1 });
  return { set: final.test, source: final.source };
}

/** Images [from, from + n) of a set as float32 in [0, 1], as nascent's batches scale them. */
export function pixelsOf(set: ImageSet, from: number, n: number): Float32Array {
  const size = set.height * set.width * set.channels;
  const out = new Float32Array(n * size);
  for (let i = 0; i < n * size; i++) out[i] = set.images[from * size + i]! / 255;
  return out;
}

export function tfjsPredict(model: tfl.LayersModel, shape: [number, number, number]): Predict {
  return async (pixels, n) => {
    const x = tf.tensor4d(pixels, [n, ...shape]);
    const y = model.predict(x) as tf.Tensor;
    const out = (await y.data()) as Float32Array;
    tf.dispose([x, y]);
    return out;
  };
}

export interface Agreement {
  images: number;
  /** Largest |p_candidate - p_reference| over every image and class. */
  maxAbsDiff: number;
  /** Share of images whose top class is the same in both. */
  sameTop1: number;
  referenceAccuracy: number;
  candidateAccuracy: number;
}

function argmax(p: Float32Array, from: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (p[from + j]! > p[from + best]!) best = j;
  return best;
}

/** Runs both on the first `limit` images of `set` in batches and compares. */
export async function compare(
  reference: Predict,
  candidate: Predict,
  set: ImageSet,
  classes: number,
  o: { limit?: number; batch?: number } = {},
): Promise<Agreement> {
  const count = Math.min(set.count, o.limit ?? set.count);
  const batch = o.batch ?? 64;
  let maxAbsDiff = 0;
  let same = 0;
  let refRight = 0;
  let candRight = 0;
  for (let from = 0; from < count; from += batch) {
    const n = Math.min(batch, count - from);
    const pixels = pixelsOf(set, from, n);
    const [r, c] = [await reference(pixels, n), await candidate(pixels, n)];
    if (r.length !== n * classes || c.length !== n * classes)
      throw new Error(`expected ${n} x ${classes} probabilities, got ${r.length} and ${c.length} values`);
    for (let i = 0; i < r.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(r[i]! - c[i]!));
    for (let i = 0; i < n; i++) {
      const [tr, tc] = [argmax(r, i * classes, classes), argmax(c, i * classes, classes)];
      const label = set.labels[from + i];
      if (tr === tc) same++;
      if (tr === label) refRight++;
      if (tc === label) candRight++;
    }
  }
  return { images: count, maxAbsDiff, sameTop1: same / count, referenceAccuracy: refRight / count, candidateAccuracy: candRight / count };
}
