// snip (Lee et al. 2019, as Abdelfattah et al. 2021 sum it): Σ over conv and dense kernels of
// |dL/dW ⊙ W|. The reference multiplies each kernel by a ones mask and differentiates by the
// mask; at mask = 1 that gradient is exactly dL/dW ⊙ W, so this takes the kernel gradient.
import * as tf from '@tensorflow/tfjs-core';
import { kernelGradScore } from './common.js';
import type { ProxyBatch, ProxyNetwork, ZeroCostProxy } from './types.js';

export const snip: ZeroCostProxy = {
  name: 'snip',
  score: (net: ProxyNetwork, batch: ProxyBatch) => kernelGradScore('snip', 'Σ|dL/dW ⊙ W|', net, batch, (g, w) => tf.sum(tf.abs(tf.mul(g, w)))),
};
