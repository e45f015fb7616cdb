// fisher (Theis et al. 2018, Turner et al. 2020, as Abdelfattah et al. 2021 sum it): for every
// activation channel k of every conv and dense layer's output a (the reference hooks the output of
// each nn.Conv2d / nn.Linear, before batch normalisation, ReLU or a fused activation),
//   Δ_k = 0.5 · mean over samples n of (Σ over pixels of a · dL/da)²,
// and the score is Σ |Δ_k| over all channels of all layers. L is the batch's mean cross-entropy
// with batch normalisation in training mode.
//
// Σ_pixels a · dL/da for sample n and channel k is the gradient of L with respect to a ones mask
// m[n, k] that multiplies the activation (a' = a ⊙ m, at m = 1), so one tf.grads over a mask per
// layer gives every g_nk at once, through the layer-by-layer executor.
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy, finite, isKernelLayer, readFinite, sum, trainLogits, withModel } from './common.js';
import { type Layer, layerNodes } from './executor.js';
import { type ProxyBatch, ProxyFailure, type ProxyNetwork, type ZeroCostProxy } from './types.js';

export const fisher: ZeroCostProxy = {
  name: 'fisher',
  score: (net: ProxyNetwork, batch: ProxyBatch) =>
    withModel(net, true, async (model) => {
      const n = batch.images.shape[0];
      const layers = [...new Set(layerNodes(model).map((x) => x.layer))].filter(isKernelLayer);
      if (layers.length === 0) throw new ProxyFailure('fisher', 'the network has no conv or dense layer');
      // One mask per sample and channel, broadcast over the pixels: [n, 1, ..., 1, channels].
      const masks = layers.map((layer) => {
        const shape = layer.outputShape as number[];
        return tf.ones([n, ...shape.slice(1, -1).map(() => 1), shape[shape.length - 1]]);
      });
      const index = new Map<Layer, number>(layers.map((l, i) => [l, i]));
      const held: tf.Tensor[] = [...masks];
      try {
        const gs = tf.grads((...ms: tf.Tensor[]) => {
          const logits = trainLogits(model, batch.images, {
            linear: (layer, y) => {
              const i = index.get(layer);
              return i === undefined ? undefined : tf.mul(y, ms[i]);
            },
          });
          return crossEntropy(logits, batch);
        })(masks);
        held.push(...gs);
        // Δ per layer: 0.5 · mean_n g_nk², |·|, summed over channels.
        const perLayer = tf.tidy(() =>
          tf.stack(
            gs.map((g) => {
              const gnk = tf.reshape(g, [n, -1]);
              return tf.sum(tf.abs(tf.mul(tf.mean(tf.square(gnk), 0), 0.5)));
            }),
          ),
        );
        held.push(perLayer);
        const terms = await readFinite(
          'fisher',
          'the Fisher information',
          layers.map((l) => l.name),
          perLayer,
        );
        return finite('fisher', 'the score', sum(terms));
      } finally {
        tf.dispose(held);
      }
    }),
};
