// grasp (Wang et al. 2020, as Abdelfattah et al. 2021 sum it): -Σ over conv and dense kernels of
// (H g) ⊙ W, with g = dL/dW and H the Hessian of the loss in the kernels (biases and batch
// normalisation weights held fixed, as the reference differentiates only `layer.weight`).
//
// The Hessian product is a central finite difference of the gradient, not tfjs's second-order
// gradients: tfjs-core registers no gradient for the ops a first gradient of a conv net is made
// of (Conv2DBackpropFilter, the depthwise backprops, MaxPoolGrad, AvgPoolGrad) nor for the wasm
// backend's fused batch-norm gradient, so grad-of-grad fails on every NASNet child; and where it
// runs it is silently wrong for ops whose gradient reads their saved output (exp, logSoftmax).
//
// The difference is taken along W, not along g: H is symmetric, so Σ W ⊙ (H g) = Σ g ⊙ (H W), and
//   H W ≈ (∇L(W · (1 + ε)) − ∇L(W · (1 − ε))) / 2ε
// changes every weight by the same relative ε. Along g, float32 loses the step on every weight
// where ε|g_i| is below half an ulp of W_i (most of them: g is concentrated on a few).
//
// Every ReLU keeps the mask (x > 0) it had at W in the two shifted passes. Double backpropagation,
// the reference's way, differentiates within the network's current linear region (ReLU'' = 0),
// but the gradient of a deep ReLU network is shattered (Balduzzi et al. 2017): even a 1% shift of
// W flips enough ReLUs (behind NAS-Bench-201's reduction shortcuts, which have no batch norm) that
// g · ∇L(W(1 ± ε)) drops by |ε| times 3 (measured: g·g 47.6, 44.8 at 0.99 and 44.7 at 1.01,
// 21.5 at 0.9), and the difference measured those flips, not H. Without the masks grasp's ρ over
// 150 NAS-Bench-201 cells was −0.16; the PyTorch peer's exact grasp has 0.64 over 100.
// Max pooling's choices (NASNet children) are not frozen and still shift with W.
//
// ε = STEP is a compromise: float32 gradients carry ~1e-3 relative rounding noise (the wasm and
// cpu backends' gradients of one child differ by ~1%, at batch-norm backward passes), which the
// difference divides by 2ε, while a large ε leaves the region where H is constant (batch
// normalisation and the softmax curve). With the masks the score no longer jumps with ε: on one
// NAS-Bench-201 cell 26.04 at ε = 0.003, 25.97 at 0.01, 25.38 at 0.03, 19.89 at 0.1 (without
// them 54, 6.0, −11.8, −16.7).
import * as tf from '@tensorflow/tfjs-core';
import { finite, kernelGrads, kernels, readFinite, sum, withModel } from './common.js';
import { applyLinear, type ExecuteOptions, isRelu, type Layer, ownActivation } from './executor.js';
import { type ProxyBatch, ProxyFailure, type ProxyNetwork, type ZeroCostProxy } from './types.js';

/** The relative change ε of every kernel weight in the finite difference. */
export const STEP = 0.01;

/** grasp with a finite-difference step of `step` (ε). */
export const graspWithStep = (step: number): ZeroCostProxy => ({
  name: 'grasp',
  score: (net: ProxyNetwork, batch: ProxyBatch) =>
    withModel(net, true, async (model) => {
      const ks = kernels(model);
      if (ks.length === 0) throw new ProxyFailure('grasp', 'the network has no conv or dense kernel');
      const vars = ks.map((k) => k.variable);
      const masks: tf.Tensor[] = [];
      const first = kernelGrads(model, ks, batch, recording(masks));
      const g = first.grads;
      const w0 = vars.map((v) => tf.clone(v));
      const held: tf.Tensor[] = [first.loss, ...g, ...w0, ...masks];
      try {
        finite('grasp', 'the loss', (await first.loss.data())[0]);
        const gradAt = (scale: number) => {
          vars.forEach((v, i) => tf.tidy(() => v.assign(tf.mul(w0[i], scale))));
          const r = kernelGrads(model, ks, batch, frozen(masks));
          held.push(r.loss, ...r.grads);
          return r.grads;
        };
        const plus = gradAt(1 + step);
        const minus = gradAt(1 - step);
        vars.forEach((v, i) => v.assign(w0[i]));
        const perKernel = tf.tidy(() => tf.stack(ks.map((_, i) => tf.neg(tf.sum(tf.mul(g[i], tf.div(tf.sub(plus[i], minus[i]), 2 * step)))))));
        held.push(perKernel);
        const terms = await readFinite(
          'grasp',
          '-Σ g ⊙ (HW)',
          ks.map((k) => k.weight.name),
          perKernel,
        );
        return finite('grasp', 'the score', sum(terms));
      } finally {
        tf.dispose(held);
      }
    }),
});

export const grasp = graspWithStep(STEP);

/** A ReLU the shifted passes can hold: one without a cap (x · mask is not relu6). */
const holdable = (layer: Layer) => isRelu(layer) && (layer as unknown as { maxValue?: number | null }).maxValue == null;

/** Hooks that push the 0/1 mask (x > 0) of every ReLU onto `masks`, in the order they run. */
function recording(masks: tf.Tensor[]): ExecuteOptions {
  return {
    // relu(x) > 0 exactly where x > 0; kept, since the pass runs inside variableGrads' scope.
    output: (layer, y) => {
      if (holdable(layer)) masks.push(tf.keep(tf.cast(tf.greater(y, 0), 'float32')));
      return undefined;
    },
  };
}

/** Hooks that compute every ReLU as its input (a fused one: its pre-activation) times its recorded mask. */
function frozen(masks: readonly tf.Tensor[]): ExecuteOptions {
  let next = 0;
  return {
    run: (layer, inputs, kwargs) => {
      if (!holdable(layer)) return undefined;
      const mask = masks[next++];
      if (!mask) throw new Error('grasp: a ReLU ran that the recording pass did not see');
      return tf.mul(ownActivation(layer) ? applyLinear(layer, inputs, kwargs) : inputs[0], mask);
    },
  };
}
