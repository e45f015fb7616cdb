// The child takes any image size and channel count: MNIST's 28x28x1 (28 -> 14 -> 7 through the two
// reduction cells), odd and non-square sizes (the older input of a cell after a reduction is
// halved with the same rounding as the reduction itself), and 3-channel images; the ChildManager
// trains it on one-channel images.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareBackend } from '../../../src/backend/index.js';
import { sampleCells } from '../../../src/spaces/nasnet/sample.js';
import { buildChild } from '../../../src/evaluators/child/build.js';
import { ChildManager } from '../../../src/evaluators/child/manager.js';
import type { ImageSet } from '../../../src/data/types.js';
import { Rng } from '../../../src/util/random.js';
import { exampleCells } from './helpers.js';

// wasm, the CPU backend a search uses (tfjs's plain cpu backend trains these far too slowly).
beforeAll(async () => {
  tf.env().set('PROD', true);
  await prepareBackend('wasm');
});

/** Two classes of one-channel images: a bright left half or a bright right half, with noise. */
function halvesSet(count: number, size: number, seed: number): ImageSet {
  const rng = new Rng(seed);
  const images = new Uint8Array(count * size * size);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 2;
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) images[i * size * size + y * size + x] = x < size / 2 === (labels[i] === 0) ? 160 + rng.int(90) : rng.int(90);
  }
  return { images, labels, count, height: size, width: size, channels: 1 };
}

describe('child image shapes', () => {
  it('builds and runs at 28x28x1, odd and non-square sizes, for many cell pairs', () => {
    const rng = new Rng(11);
    const pairs = [
      exampleCells(),
      ...Array.from({ length: 4 }, () => sampleCells(rng)),
      ...Array.from({ length: 2 }, () => sampleCells(rng, { blocks: 3, hierarchical: true })),
    ];
    const shapes: Array<[number, number, number]> = [
      [28, 28, 1],
      [27, 27, 1],
      [17, 23, 3],
      [9, 9, 2],
      [32, 32, 3],
    ];
    for (const [k, cells] of pairs.entries()) {
      for (const inputShape of shapes) {
        const model = buildChild(cells, { channels: [2, 4, 4, 4, 4], numClasses: 7, inputShape, hierarchical: k > 4 });
        expect(model.inputs[0].shape).toEqual([null, ...inputShape]);
        const y = tf.tidy(() => model.predict(tf.randomUniform([2, ...inputShape])) as tf.Tensor);
        expect(y.shape).toEqual([2, 7]);
        y.dispose();
        model.dispose();
      }
    }
    // The spatial sizes through the stack at 28: 28 (stem and first cell), 14, 7.
    const m = buildChild(exampleCells(), { channels: [2, 4, 4, 4, 4], inputShape: [28, 28, 1] });
    const sides = ['cell0_normal/out_bn', 'cell1_reduction/out_bn', 'cell3_reduction/out_bn'].map((n) => m.getLayer(n).outputShape[1]);
    expect(sides).toEqual([28, 14, 7]);
    m.dispose();
  });

  it('trains on one-channel 28x28 images above chance', async () => {
    const manager = new ChildManager({
      data: { train: halvesSet(64, 28, 1), val: halvesSet(32, 28, 2) },
      numClasses: 2,
      channels: [2, 4, 4, 8, 8],
      epochs: 2,
      batchSize: 16,
      seed: 3,
    });
    const r = await manager.train(exampleCells());
    expect(r.failed).toBeUndefined();
    expect(r.accuracy).toBeGreaterThan(0.8);
  });
});
