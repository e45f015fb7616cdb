// batchNormTrain and FusedBatchNormalization compute what tfjs-layers' BatchNormalization computes
// (checked against tfjs's own moments + batchNorm on the cpu backend), on wasm's SIMD path and on
// the plain-ops path, and a model using the fused layer trains like one using tfjs-layers' layer.

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../../src/backend/wasm/index.js';
import { batchNormTrain, fusedBatchNormalization } from '../../src/evaluators/child/batch-norm.js';
import { Rng } from '../../src/util/random.js';
import { relativeError } from './tolerance.js';

tf.env().set('PROD', true);

function values(rng: Rng, n: number, offset = 0): Float32Array {
  return Float32Array.from({ length: n }, () => offset + 2 * rng.next() - 1);
}

interface Case {
  x: Float32Array;
  dy: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
  shape: number[];
}

/** tfjs-layers' training path: tfc.moments, then tfc.batchNorm. */
function reference(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number) {
  const { mean, variance } = tf.moments(
    x,
    Array.from({ length: x.rank - 1 }, (_, i) => i),
  );
  return { y: tf.batchNorm(x, mean, variance, beta as tf.Tensor1D, gamma as tf.Tensor1D, eps), mean, variance };
}

/** [y, mean, variance, dx, dgamma, dbeta] of training-mode batch norm under loss sum(y * dy). */
function run(backend: string, c: Case, fused: boolean): Float32Array[] {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor(c.x, c.shape);
    const dy = tf.tensor(c.dy, c.shape);
    const gamma = tf.tensor1d(c.gamma);
    const beta = tf.tensor1d(c.beta);
    const eps = 1e-3;
    const forward = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => (fused ? batchNormTrain(a, g, b, eps) : reference(a, g, b, eps));
    const r = forward(x, gamma, beta);
    const out = [r.y, r.mean, r.variance].map((t) => t.dataSync() as Float32Array);
    tf.dispose([r.mean, r.variance]); // batchNormTrain keeps them for its caller
    const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const s = forward(a, g, b);
      tf.dispose([s.mean, s.variance]);
      return tf.sum(tf.mul(s.y, dy));
    })([x, gamma, beta]);
    return [...out, ...grads.map((t) => t.dataSync() as Float32Array)];
  });
}

beforeAll(async () => {
  registerWasmTrainingKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
  expect(await tf.setBackend('cpu')).toBe(true);
});

describe('batchNormTrain', () => {
  it('matches tfjs moments + batchNorm (values, gradients, statistics) on wasm and cpu', () => {
    const rng = new Rng(3);
    const shapes = [
      [4, 5, 6, 16],
      [3, 7, 4, 8],
      [2, 3, 5, 6],
      [40, 12],
    ]; // 6 channels: the plain-ops path on wasm
    for (const shape of shapes) {
      const n = shape.reduce((a, b) => a * b, 1);
      const ch = shape[shape.length - 1]!;
      // An offset mean tests the two-pass variance.
      const c: Case = { x: values(rng, n, 3), dy: values(rng, n), gamma: values(rng, ch, 1), beta: values(rng, ch), shape };
      const want = run('cpu', c, false);
      for (const backend of ['wasm', 'cpu']) {
        const got = run(backend, c, true);
        const names = ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'];
        got.forEach((g, i) => expect(relativeError(g, want[i]!), `${backend} [${shape}] ${names[i]}`).toBeLessThan(1e-4));
      }
    }
  });

  it('rejects mismatched parameters with a clear error', () => {
    tf.setBackend('cpu');
    tf.tidy(() => {
      expect(() => batchNormTrain(tf.zeros([2, 3, 3, 4]), tf.ones([3]), tf.zeros([4]), 1e-3)).toThrow(/gamma \[3\].*4 channels/);
      expect(() => batchNormTrain(tf.zeros([4]), tf.ones([4]), tf.zeros([4]), 1e-3)).toThrow(/rank >= 2/);
      expect(() => batchNormTrain(tf.zeros([2, 4]), tf.ones([4]), tf.zeros([4]), 0)).toThrow(/epsilon must be positive/);
    });
  });
});

function model(fused: boolean): tfl.LayersModel {
  type ST = tfl.SymbolicTensor;
  const bn = (x: ST) =>
    (fused ? fusedBatchNormalization({ momentum: 0.9, epsilon: 1e-5 }) : tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 })).apply(x) as ST;
  const image = tfl.input({ shape: [8, 8, 3] });
  let h = bn(
    tfl.layers
      .conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) })
      .apply(image) as ST,
  );
  h = tfl.layers.reLU().apply(h) as ST;
  h = bn(tfl.layers.conv2d({ filters: 12, kernelSize: 1, useBias: false, kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }).apply(h) as ST);
  const pooled = tfl.layers.globalAveragePooling2d({}).apply(h) as ST;
  const probs = tfl.layers.dense({ units: 4, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }).apply(pooled) as ST;
  return tfl.model({ inputs: image, outputs: probs });
}

async function train(backend: string, fused: boolean): Promise<{ losses: number[]; weights: Float32Array[]; predictions: Float32Array; tensors: number[] }> {
  await tf.setBackend(backend);
  const m = model(fused);
  const optimizer = tf.train.adam(1e-2);
  m.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const rng = new Rng(9);
  const xs = tf.tensor4d(values(rng, 6 * 8 * 8 * 3), [6, 8, 8, 3]);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 3, 1, 2], 'int32'), 4));
  const losses: number[] = [];
  const tensors: number[] = [];
  for (let i = 0; i < 4; i++) {
    losses.push((await m.trainOnBatch(xs, ys)) as number);
    tensors.push(tf.memory().numTensors);
  }
  const pred = m.predict(xs) as tf.Tensor;
  const out = { losses, weights: m.getWeights().map((w) => w.dataSync() as Float32Array), predictions: pred.dataSync() as Float32Array, tensors };
  tf.dispose([pred, xs, ys]);
  optimizer.dispose();
  m.dispose();
  return out;
}

describe('FusedBatchNormalization', () => {
  it('has the weights of tfjs-layers BatchNormalization and serialises under its own name', () => {
    tf.setBackend('cpu');
    const plain = model(false);
    const fused = model(true);
    expect(fused.getWeights().map((w) => w.shape)).toEqual(plain.getWeights().map((w) => w.shape));
    const json = JSON.stringify(fused.toJSON(null, false));
    expect(json).toContain('NascentFusedBatchNormalization');
    plain.dispose();
    fused.dispose();
  });

  it('trains on wasm like tfjs-layers BatchNormalization on cpu (losses, moving statistics, inference)', async () => {
    const want = await train('cpu', false);
    const got = await train('wasm', true);
    for (let i = 0; i < want.losses.length; i++) {
      expect(Math.abs(got.losses[i]! - want.losses[i]!) / want.losses[i]!, `loss ${i}`).toBeLessThan(1e-4);
    }
    // gamma, beta, moving mean, moving variance of both layers, and the other weights.
    got.weights.forEach((w, i) => expect(relativeError(w, want.weights[i]!), `weight ${i}`).toBeLessThan(1e-3));
    expect(relativeError(got.predictions, want.predictions)).toBeLessThan(1e-3);
    expect(new Set(got.tensors).size).toBe(1);
  });
});
