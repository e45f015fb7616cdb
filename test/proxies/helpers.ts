import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ProxyBatch, ProxyNetwork } from '../../src/proxies/types.js';
import { childProxyNetwork } from '../../src/proxies/networks.js';
import { sampleCells } from '../../src/spaces/nasnet/sample.js';
import { Rng } from '../../src/util/random.js';

/** Uniform [0, 1) images and labels i % numClasses, from `seed`. */
export function randomBatch(n: number, shape: [number, number, number], numClasses: number, seed = 5): ProxyBatch {
  const rng = new Rng(seed);
  const size = n * shape[0] * shape[1] * shape[2];
  const images = tf.tensor4d(
    Float32Array.from({ length: size }, () => rng.nextUint32() / 2 ** 32 - 0.3),
    [n, ...shape],
  );
  const labels = tf.tensor1d(
    Int32Array.from({ length: n }, (_, i) => i % numClasses),
    'int32',
  );
  return { images, labels, numClasses };
}

export function disposeBatch(b: ProxyBatch): void {
  tf.dispose([b.images, b.labels]);
}

/** A NASNet child with 2-block cells and tiny channels (multiples of 4, so wasm's fused batch-norm kernels run). */
export function tinyChild(seed = 1, cellsSeed = 3): ProxyNetwork {
  const cells = sampleCells(new Rng(cellsSeed), { blocks: 2, hierarchical: false });
  return childProxyNetwork(cells, { channels: [4, 8, 8, 8, 8], numClasses: 10, seed });
}

/** Deterministic small values in [-1, 1) for a weight of `shape`. */
export function values(shape: number[], seed: number): tf.Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => (rng.nextUint32() / 2 ** 32) * 2 - 1),
    shape,
  );
}

/** Sets `layer`'s weights (in layer.weights order) from tensors it then disposes. */
export function setWeights(layer: tfl.layers.Layer, ws: tf.Tensor[]): void {
  layer.setWeights(ws);
  tf.dispose(ws);
}

/**
 * images [n, 1, 1, d] -> flatten -> dense(h, relu, bias) -> dense(c, softmax, bias), weights from
 * `seed`: a network small enough to differentiate by hand.
 */
export function denseNet(d: number, h: number, c: number, seed = 7): { net: ProxyNetwork; weights: () => tf.Tensor[] } {
  const weights = () => [values([d, h], seed), values([h], seed + 1), values([h, c], seed + 2), values([c], seed + 3)];
  const build = () => {
    const x = tfl.input({ shape: [1, 1, d] });
    const flat = tfl.layers.flatten().apply(x) as tfl.SymbolicTensor;
    const l1 = tfl.layers.dense({ units: h, activation: 'relu' });
    const l2 = tfl.layers.dense({ units: c, activation: 'softmax' });
    const model = tfl.model({ inputs: x, outputs: l2.apply(l1.apply(flat)) as tfl.SymbolicTensor });
    const [w1, b1, w2, b2] = weights();
    setWeights(l1, [w1, b1]);
    setWeights(l2, [w2, b2]);
    return model;
  };
  return { net: { build }, weights };
}
