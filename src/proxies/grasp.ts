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
// where ε|g_i| is below half an ulp of W_i (most of them: g is concentrated on a few), and ReLUs
// change side; along W, a conv followed by batch normalisation changes nothing downstream, so
// on the NASNet child no ReLU moves at all.
//
// ε = STEP is a compromise, and grasp is the noisiest proxy here: float32 gradients of these
// networks carry ~1e-3 relative rounding noise (the wasm and cpu backends' gradients of one child
// differ by ~1%, the difference appearing at batch-norm backward passes), which the difference
// divides by 2ε, while a large ε moves ReLUs on networks without batch norm after every conv
// (the dense network of test/proxies is 2e-4 off at ε = 0.03, 50% off at 0.05). On 2-block NASNet
// children at batch 64 the wasm and cpu scores differ by ~0.1 (scores of -1.5 to +0.05).
import * as tf from '@tensorflow/tfjs-core';
import { finite, kernelGrads, kernels, readFinite, sum, withModel } from './common.js';
import { type ProxyBatch, ProxyFailure, type ProxyNetwork, type ZeroCostProxy } from './types.js';

/** The relative change ε of every kernel weight in the finite difference. */
export const STEP = 0.03;

/** grasp with a finite-difference step of `step` (ε). */
export const graspWithStep = (step: number): ZeroCostProxy => ({
  name: 'grasp',
  score: (net: ProxyNetwork, batch: ProxyBatch) =>
    withModel(net, true, async (model) => {
      const ks = kernels(model);
      if (ks.length === 0) throw new ProxyFailure('grasp', 'the network has no conv or dense kernel');
      const vars = ks.map((k) => k.variable);
      const first = kernelGrads(model, ks, batch);
      const g = first.grads;
      const w0 = vars.map((v) => tf.clone(v));
      const held: tf.Tensor[] = [first.loss, ...g, ...w0];
      try {
        finite('grasp', 'the loss', (await first.loss.data())[0]);
        const gradAt = (scale: number) => {
          vars.forEach((v, i) => tf.tidy(() => v.assign(tf.mul(w0[i], scale))));
          const r = kernelGrads(model, ks, batch);
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
