// grad_norm (Abdelfattah et al. 2021): Σ over conv and dense kernels of ‖dL/dW‖₂, with L the
// mean cross-entropy of the batch and batch normalisation in training mode. Biases and batch
// normalisation weights are left out, as the reference scores only `layer.weight`.
import * as tf from '@tensorflow/tfjs-core';
import { kernelGradProxy } from './common.js';

export const gradNorm = kernelGradProxy('grad_norm', 'the gradient norm', (g) => tf.norm(g) as tf.Scalar);
