// jacob_cov (Mellor et al. 2020, "NAS without training" v1, as Abdelfattah et al. 2021 use it):
// J = d(Σ logits)/d(images), the gradient of the sum of every logit of the batch with respect to
// the input, one flattened row per sample; C = corrcoef(J) (N x N); λ its eigenvalues, and
//   score = -Σ (log(λ + k) + 1/(λ + k)),  k = 1e-5.
// Batch normalisation runs in training mode as in the reference, so a row also carries the other
// samples' influence through the batch statistics; that is the reference's definition.
import * as tf from '@tensorflow/tfjs-core';
import { finite, trainLogits, withModel } from './common.js';
import { corrcoef, symmetricEigenvalues } from './linalg.js';
import { type ProxyBatch, ProxyFailure, type ProxyNetwork, type ZeroCostProxy } from './types.js';

const K = 1e-5;

/** The reference's eval_score on the rows of J. */
export function jacobCovScore(rows: ArrayLike<number>[]): number {
  const lambdas = symmetricEigenvalues(corrcoef(rows));
  let s = 0;
  for (const l of lambdas) s += Math.log(l + K) + 1 / (l + K);
  return -s;
}

export const jacobCov: ZeroCostProxy = {
  name: 'jacob_cov',
  score: (net: ProxyNetwork, batch: ProxyBatch) =>
    withModel(net, true, async (model) => {
      const n = batch.images.shape[0];
      if (n < 2) throw new ProxyFailure('jacob_cov', `needs a batch of at least 2 images, got ${n}`);
      const jacobian = tf.grad((x: tf.Tensor) => tf.sum(trainLogits(model, x)))(batch.images);
      let data: Float32Array;
      try {
        data = (await jacobian.data()) as Float32Array;
      } finally {
        jacobian.dispose();
      }
      const d = data.length / n;
      const rows = Array.from({ length: n }, (_, i) => data.subarray(i * d, (i + 1) * d));
      const bad = data.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new ProxyFailure('jacob_cov', `the input gradient of sample ${Math.floor(bad / d)} has ${data[bad]}`);
      if (rows.some((r) => r.every((v) => v === r[0]))) throw new ProxyFailure('jacob_cov', 'an input gradient is constant: its correlation is NaN');
      return finite('jacob_cov', 'the score', jacobCovScore(rows));
    }),
};
