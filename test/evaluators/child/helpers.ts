import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CellPair } from '../../../src/spaces/nasnet/types.js';
import type { ImageSet } from '../../../src/data/types.js';
import { Rng } from '../../../src/util/random.js';

/** The spec's example cells (a copy lives beside the tests so they do not depend on /work/shared). */
export function exampleCells(): CellPair {
  return JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/cells-example.json', import.meta.url)), 'utf8')) as CellPair;
}

/**
 * Two classes told apart by colour alone (red-ish vs blue-ish, with pixel noise), alternating
 * labels: a problem any working child learns in a few steps.
 */
export function colorSet(count: number, size: number, seed: number): ImageSet {
  const rng = new Rng(seed);
  const images = new Uint8Array(count * size * size * 3);
  const labels = new Uint8Array(count);
  const noise = () => rng.int(60);
  for (let i = 0; i < count; i++) {
    const red = i % 2;
    labels[i] = red;
    for (let p = 0; p < size * size; p++) {
      const o = (i * size * size + p) * 3;
      images[o] = red ? 180 + noise() : noise();
      images[o + 1] = 60 + noise();
      images[o + 2] = red ? noise() : 180 + noise();
    }
  }
  return { images, labels, count, height: size, width: size, channels: 3 };
}

/**
 * Overwrites every weight of `model` from `seed`, layers taken in name order so the values do not
 * depend on the order the builder happened to create them in. BN layers get non-trivial gamma,
 * beta and moving statistics, so a comparison also checks which statistics each mode uses.
 */
export function fillWeights(model: tfl.LayersModel, seed: number): void {
  const rng = new Rng(seed);
  const layers = [...model.layers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const layer of layers) {
    const old = layer.getWeights();
    if (old.length === 0) continue;
    const bn = ['BatchNormalization', 'NascentFusedBatchNormalization'].includes(layer.getClassName());
    const fresh = old.map((w, i) => {
      const values = new Float32Array(w.size);
      for (let j = 0; j < values.length; j++) {
        const u = rng.next();
        // gamma and moving variance positive, beta and moving mean centred, others glorot-like
        values[j] = bn ? (i === 0 || i === 3 ? 0.5 + u : u - 0.5) : (u - 0.5) * Math.sqrt(12 / Math.max(1, fanIn(w.shape)));
      }
      return tf.tensor(values, w.shape);
    });
    layer.setWeights(fresh);
    tf.dispose(fresh);
  }
}

function fanIn(shape: number[]): number {
  return shape.length === 4 ? shape[0] * shape[1] * shape[2] : shape[0];
}

/** Deterministic images in [0, 1). */
export function randomImages(n: number, size: number, seed: number): tf.Tensor4D {
  const rng = new Rng(seed);
  const values = new Float32Array(n * size * size * 3);
  for (let i = 0; i < values.length; i++) values[i] = rng.next();
  return tf.tensor4d(values, [n, size, size, 3]);
}
