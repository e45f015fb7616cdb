// snip (Lee et al. 2019, as Abdelfattah et al. 2021 sum it): Σ over conv and dense kernels of
// |dL/dW ⊙ W|. The reference multiplies each kernel by a ones mask and differentiates by the
// mask; at mask = 1 that gradient is exactly dL/dW ⊙ W, so this takes the kernel gradient.
import * as tf from '@tensorflow/tfjs-core';
import { kernelGradProxy } from './common.js';

export const snip = kernelGradProxy('snip', 'Σ|dL/dW ⊙ W|', (g, w) => tf.sum(tf.abs(tf.mul(g, w))));
