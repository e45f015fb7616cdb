// Training-mode batch normalisation as one op with its own gradient.
//
// tfjs-layers' BatchNormalization trains through tfc.moments and tfc.batchNorm: ~5 full-size
// kernels forward and ~25 backward (tfjs-core's FusedBatchNorm and moments gradients), all kept
// alive until the step ends. On the wasm backend that was ~18 ms per call at [64, 32, 32, 16],
// ~40% of a training step of the reference child. batchNormTrain computes the same function with
// two SIMD passes forward (statistics, normalisation) and two backward (per-channel sums, input
// gradient), keeping only the input and the per-channel statistics for the backward pass.
// On other backends (or odd channel counts) it runs the same formulas with ordinary tfjs ops; the
// SIMD passes are the kernels named below, which src/backend/wasm/batch-norm-train.ts registers.
//
// FusedBatchNormalization is tfjs-layers' BatchNormalization with this op in its training path:
// same weights, initialisers, config and moving-average update, so it drops in for the layer.

import * as tf from '@tensorflow/tfjs-core';
// Registers tfjs-layers' classes (BatchNormalization among them) and tfjs-core's gradients.
import '@tensorflow/tfjs-layers';
import type { BatchNormalization } from '@tensorflow/tfjs-layers/dist/layers/normalization.js';

// The kernels batchNormTrain runs when the active backend has them registered (wasm does).
export const BATCH_NORM_STATS = 'NascentBatchNormStats';
export const BATCH_NORM_GRAD = 'NascentBatchNormGrad';

function simdPath(x: tf.Tensor): boolean {
  const c = x.shape[x.rank - 1] ?? 0;
  return (
    x.dtype === 'float32' &&
    x.rank >= 2 &&
    c > 0 &&
    c % 4 === 0 &&
    tf.getKernel(BATCH_NORM_STATS, tf.getBackend()) != null &&
    tf.getKernel(BATCH_NORM_GRAD, tf.getBackend()) != null
  );
}

function leadingAxes(x: tf.Tensor): number[] {
  return Array.from({ length: x.rank - 1 }, (_, i) => i);
}

function moments(x: tf.Tensor): [tf.Tensor1D, tf.Tensor1D] {
  if (simdPath(x)) return tf.engine().runKernel(BATCH_NORM_STATS, { x }) as unknown as [tf.Tensor1D, tf.Tensor1D];
  const { mean, variance } = tf.moments(x, leadingAxes(x));
  return [mean as tf.Tensor1D, variance as tf.Tensor1D];
}

function gradient(x: tf.Tensor, dy: tf.Tensor, mean: tf.Tensor1D, variance: tf.Tensor1D, gamma: tf.Tensor1D, epsilon: number): tf.Tensor[] {
  if (simdPath(x)) {
    return tf.engine().runKernel(BATCH_NORM_GRAD, { x, dy, mean, variance, gamma }, { varianceEpsilon: epsilon }) as unknown as tf.Tensor[];
  }
  return tf.tidy(() => {
    const axes = leadingAxes(x);
    const n = tf.util.sizeFromShape(x.shape) / x.shape[x.rank - 1]!;
    const centred = tf.sub(x, mean);
    const s = tf.rsqrt(tf.add(variance, epsilon));
    const s1 = tf.sum(dy, axes);
    const s2 = tf.sum(tf.mul(dy, centred), axes);
    const a = tf.mul(gamma, s);
    const b = tf.div(tf.mul(tf.neg(a), tf.mul(tf.square(s), s2)), n);
    const d = tf.div(tf.mul(tf.neg(a), s1), n);
    const dx = tf.add(tf.add(tf.mul(dy, a), tf.mul(centred, b)), d);
    return [dx, tf.mul(s2, s), s1];
  });
}

export interface BatchNormTrainResult {
  y: tf.Tensor;
  /** Batch statistics over every axis but the last; not differentiable. The caller disposes them. */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/**
 * y = gamma * (x - mean) / sqrt(variance + epsilon) + beta with the batch's per-channel (last
 * axis) mean and biased variance, differentiable in x, gamma and beta.
 */
export function batchNormTrain(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): BatchNormTrainResult {
  const c = x.shape[x.rank - 1];
  if (x.rank < 2) throw new Error(`batchNormTrain: x must have rank >= 2, got shape [${x.shape}]`);
  if (gamma.size !== c || beta.size !== c) {
    throw new Error(`batchNormTrain: gamma [${gamma.shape}] and beta [${beta.shape}] must have the ${c} channels of x [${x.shape}]`);
  }
  if (!(epsilon > 0)) throw new Error(`batchNormTrain: epsilon must be positive, got ${epsilon}`);
  let stats: [tf.Tensor1D, tf.Tensor1D] | undefined;
  const forward = (xIn: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const [mean, variance] = moments(xIn);
    // Kept past the op's scope: the layer needs them for its moving averages.
    stats = [tf.keep(mean), tf.keep(variance)];
    save([xIn, mean, variance, g]);
    const value = tf.batchNorm(xIn, mean, variance, b as tf.Tensor1D, g as tf.Tensor1D, epsilon);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sm, sv, sg] = saved as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
      return gradient(sx, dy, sm, sv, sg, epsilon);
    };
    return { value, gradFunc };
  };
  const op = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0]);
  const y = op(x, tf.reshape(gamma, [c!]), tf.reshape(beta, [c!]));
  return { y, mean: stats![0], variance: stats![1] };
}

interface BatchNormInternals {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: { read(): tf.Tensor };
  beta: { read(): tf.Tensor };
  movingMean: { read(): tf.Tensor; write(v: tf.Tensor): void };
  movingVariance: { read(): tf.Tensor; write(v: tf.Tensor): void };
}

type BatchNormalizationClass = typeof BatchNormalization;

// tfjs-layers does not export the class; its serialization registry holds it.
const BatchNormalizationBase = (tf.serialization.SerializationMap.getMap().classNameMap as Record<string, [BatchNormalizationClass, unknown]>)
  .BatchNormalization?.[0];
if (!BatchNormalizationBase) throw new Error("tfjs-layers' BatchNormalization class is not in tfjs's serialization registry");

/** tfjs-layers' moving average: v <- v - (v - value) * (1 - momentum). */
function movingAverage(variable: { read(): tf.Tensor; write(v: tf.Tensor): void }, value: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const orig = variable.read();
    variable.write(tf.sub(orig, tf.mul(tf.sub(orig, value), 1 - momentum)));
  });
}

/**
 * BatchNormalization over the last axis whose training path is batchNormTrain. Accepts the same
 * arguments as tfl.layers.batchNormalization; other axes, or center/scale off, train as tfjs does.
 */
export class FusedBatchNormalization extends BatchNormalizationBase {
  static override className = 'NascentFusedBatchNormalization';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const input = Array.isArray(inputs) ? inputs[0]! : inputs;
    const self = this as unknown as BatchNormInternals;
    const axis = self.axis >= 0 ? self.axis : self.axis + input.rank;
    if (kwargs.training !== true || axis !== input.rank - 1 || !self.center || !self.scale) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTrain(input, self.gamma.read(), self.beta.read(), self.epsilon);
      movingAverage(self.movingMean, mean, self.momentum);
      movingAverage(self.movingVariance, variance, self.momentum);
      tf.dispose([mean, variance]);
      return y;
    });
  }
}
tf.serialization.registerClass(FusedBatchNormalization);

/** Factory in the style of tfl.layers.batchNormalization. */
export function fusedBatchNormalization(args?: ConstructorParameters<BatchNormalizationClass>[0]): FusedBatchNormalization {
  return new FusedBatchNormalization(args);
}
