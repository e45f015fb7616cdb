// naswot (Mellor et al. 2021, ICML, "NAS without training" v2): each ReLU's output gives every
// sample a binary code c (1 where the unit is active, x > 0); summed over all ReLUs,
//   K = c cᵀ + (1 − c)(1 − c)ᵀ   (N x N: the number of units where two samples agree),
// and the score is log|det K| (slogdet). One forward pass, batch normalisation in training mode
// (PyTorch's default mode, in which the reference runs it).
//
// ReLUs are tfl.layers.reLU layers, Activation('relu') layers, and conv/dense layers with a fused
// relu activation (their output is > 0 exactly where the pre-activation is).
// Each layer's K is an integer matrix computed in float32 (exact below 2^24 units per layer) and
// summed over the layers in float64 here.
import * as tf from '@tensorflow/tfjs-core';
import { finite, withModel } from './common.js';
import { execute, isRelu } from './executor.js';
import { slogdet } from './linalg.js';
import { type ProxyBatch, ProxyFailure, type ProxyNetwork, type ZeroCostProxy } from './types.js';

export const naswot: ZeroCostProxy = {
  name: 'naswot',
  score: (net: ProxyNetwork, batch: ProxyBatch) =>
    withModel(net, true, async (model) => {
      const n = batch.images.shape[0];
      const perLayer: tf.Tensor[] = [];
      try {
        tf.tidy(() => {
          execute(model, batch.images, {
            training: true,
            output: (layer, y) => {
              if (!isRelu(layer)) return undefined;
              // c cᵀ + (1 − c)(1 − c)ᵀ = D − s_i − s_j + 2 c cᵀ with s = the row sums of c: one
              // matMul instead of two, and on an explicit transpose, which wasm multiplies 7x
              // faster than matMul(c, c, false, true) at [64, 16384] (the matMuls were most of
              // naswot's time on a wide child).
              const k = tf.tidy(() => {
                const c = tf.cast(tf.greater(tf.reshape(y, [n, -1]), 0), 'float32');
                const s = tf.sum(c, 1, true);
                const agree = tf.sub(tf.sub(c.shape[1]!, s), tf.transpose(s));
                return tf.add(agree, tf.mul(2, tf.matMul(c, tf.transpose(c))));
              });
              perLayer.push(tf.keep(k));
              return undefined;
            },
          });
        });
        if (perLayer.length === 0) throw new ProxyFailure('naswot', 'the network has no ReLU');
        const kernel = Array.from({ length: n }, () => new Float64Array(n));
        for (const k of perLayer) {
          const data = await k.data();
          for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) kernel[i][j] += data[i * n + j];
        }
        return finite('naswot', 'log|det K|', slogdet(kernel).logAbsDet);
      } finally {
        tf.dispose(perLayer);
      }
    }),
};
