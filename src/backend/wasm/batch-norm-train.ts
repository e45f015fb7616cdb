// The wasm kernels of batchNormTrain (src/evaluators/child/batch-norm.ts), training-mode batch
// normalisation with its own gradient: two SIMD passes forward (per-channel statistics; the
// normalisation itself is FusedBatchNorm, batch-norm.ts) and two backward (per-channel sums, input
// gradient), keeping only the input and the per-channel statistics for the backward pass.

import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { alloc, memoryOf, offsetOf, simd, withScratch, type BackendWasm, type Info } from './backend-access.js';
import { BATCH_NORM_GRAD, BATCH_NORM_STATS } from '../../evaluators/child/batch-norm.js';

function f32View(backend: BackendWasm, t: Info): Float32Array {
  return new Float32Array(memoryOf(backend).buffer, offsetOf(backend, t), tf.util.sizeFromShape(t.shape));
}

/** x [..., C] -> [mean [C], variance [C]] over all leading axes (biased variance, as tfc.moments). */
const statsKernel: KernelFunc = ({ inputs, backend }) => {
  const wasm = backend as BackendWasm;
  const { x } = inputs as { x: Info };
  const c = x.shape[x.shape.length - 1]!;
  const rows = tf.util.sizeFromShape(x.shape) / c;
  const mean = alloc(wasm, [c]);
  const variance = alloc(wasm, [c]);
  const k = simd(wasm);
  k.sumRows(offsetOf(wasm, x), offsetOf(wasm, mean), 1, rows, c * 4, Math.floor(c / 16) * 64, 1 / rows);
  k.sumSqDev(offsetOf(wasm, x), 0, offsetOf(wasm, mean), offsetOf(wasm, variance), rows, c * 4, 1 / rows);
  return [mean, variance];
};

/** Gradient of y = gamma * (x - mean) / sqrt(variance + eps) + beta with batch statistics. */
const gradKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm;
  const { x, dy, mean, variance, gamma } = inputs as Record<string, Info> as { x: Info; dy: Info; mean: Info; variance: Info; gamma: Info };
  const { varianceEpsilon } = attrs as { varianceEpsilon: number };
  const c = x.shape[x.shape.length - 1]!;
  const rows = tf.util.sizeFromShape(x.shape) / c;
  const dx = alloc(wasm, x.shape);
  const dGamma = alloc(wasm, [c]);
  const dBeta = alloc(wasm, [c]);
  withScratch(wasm, 5 * c * 4, (scratch) => {
    const k = simd(wasm);
    const sumsPtr = scratch; // [sum dy, sum dy * (x - mean)]
    const coefPtr = scratch + 2 * c * 4; // [A, B, D]
    k.gradSums(offsetOf(wasm, x), offsetOf(wasm, dy), offsetOf(wasm, mean), sumsPtr, rows, c * 4, 1);
    const heap = memoryOf(wasm).buffer;
    const sums = new Float32Array(heap, sumsPtr, 2 * c);
    const coef = new Float32Array(heap, coefPtr, 3 * c);
    const v = f32View(wasm, variance);
    const g = f32View(wasm, gamma);
    const dg = f32View(wasm, dGamma);
    const db = f32View(wasm, dBeta);
    for (let i = 0; i < c; i++) {
      const s = 1 / Math.sqrt(v[i]! + varianceEpsilon);
      const s1 = sums[i]!;
      const s2 = sums[c + i]!;
      coef[i] = g[i]! * s;
      coef[c + i] = (-g[i]! * s * s * s * s2) / rows;
      coef[2 * c + i] = (-g[i]! * s * s1) / rows;
      dg[i] = s2 * s;
      db[i] = s1;
    }
    k.bnGradApply(offsetOf(wasm, x), offsetOf(wasm, dy), offsetOf(wasm, mean), coefPtr, offsetOf(wasm, dx), rows, c * 4);
  });
  return [dx, dGamma, dBeta];
};

export const batchNormStatsConfig: KernelConfig = { kernelName: BATCH_NORM_STATS, backendName: 'wasm', kernelFunc: statsKernel };
export const batchNormGradConfig: KernelConfig = { kernelName: BATCH_NORM_GRAD, backendName: 'wasm', kernelFunc: gradKernel };
