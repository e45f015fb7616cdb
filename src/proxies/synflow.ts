// synflow (Tanaka et al. 2020, as Abdelfattah et al. 2021 sum it), returned as its LOG:
// on the network without batch normalisation, every weight replaced by its absolute value and a
// single all-ones image as input, R = Σ of the logits, and synflow = Σ over conv and dense kernels
// of |dR/dW ⊙ W|. This returns log(synflow): the ranking is the same, and synflow itself
// overflows float32 on deep networks (the reference computes it in float64, which tfjs lacks).
//
// How it stays finite: every activation is carried as (stored tensor, log-scale c) with
// true = stored · e^c. After each conv/dense layer the stored output is divided by its maximum m
// (a constant: a tensor kept out of the gradient, never read back mid-pass) and c grows by log m; a merge (add, concat, ...) first brings
// its inputs to their largest c; a bias b is added as b · e^(-c); positively homogeneous layers
// (ReLU, pooling, padding, ...) keep c. Because every rescaling is by a constant, the true
// R(W) = e^(c_out) · R_stored(W) for all W, so dR/dW = e^(c_out) · dR_stored/dW and
// log synflow = c_out + log Σ |dR_stored/dW ⊙ W|. (Scaling each layer's weights by 1/s_l instead
// is exact only on a chain: paths through different sets of layers would pick up different
// factors at an add.) A layer outside these kinds throws ProxyFailure; test/proxies checks
// scaled = unscaled on networks small enough not to overflow.
//
// Batch normalisation is skipped (identity) by the executor, as the reference's bn=False copy
// replaces every BatchNorm's forward with a no-op; networks whose build({batchNorm: false})
// leaves the layers in (the NASNet child) are scored the same way.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { finite, isBias, isKernelLayer, kernels, readFinite, sum, withModel } from './common.js';
import { applyLinear, execute, type Layer } from './executor.js';
import { type ProxyBatch, ProxyFailure, type ProxyNetwork, type ZeroCostProxy } from './types.js';

const MERGES = new Set(['Add', 'Average', 'Maximum', 'Minimum', 'Concatenate']);
// Layers with f(a·x) = a·f(x) for a > 0, so a stored tensor keeps its scale through them.
const HOMOGENEOUS = new Set([
  'ReLU',
  'ZeroPadding2D',
  'Cropping2D',
  'UpSampling2D',
  'MaxPooling1D',
  'MaxPooling2D',
  'AveragePooling1D',
  'AveragePooling2D',
  'GlobalAveragePooling1D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling1D',
  'GlobalMaxPooling2D',
  'Flatten',
  'Reshape',
  'Permute',
  'Dropout',
  'NascentAlias',
  'NascentAvgPool3x3ExcludePad',
  'NascentNb201Zero',
]);

const isBatchNorm = (layer: Layer) => layer.getClassName().endsWith('BatchNormalization');
const activationName = (layer: Layer) => (layer as unknown as { activation?: { getClassName(): string } | null }).activation?.getClassName() ?? 'linear';

function cannot(layer: Layer, why: string): never {
  throw new ProxyFailure('synflow', `cannot rescale through layer ${layer.name} (${layer.getClassName()}): ${why}`);
}

/**
 * The maximum of `y` where it is positive and finite, else 1: the factor a layer's output is divided
 * by. A constant of the math above, so no gradient flows through it; computed as a tensor, with no
 * read back to the CPU in the middle of the forward pass (webgpu in Node cannot read synchronously).
 */
const rescaleFactor = tf.customGrad(((y: tf.Tensor) => ({
  value: tf.tidy(() => {
    const max = tf.max(y);
    return tf.where(tf.logicalAnd(tf.greater(max, 0), tf.isFinite(max)), max, tf.onesLike(max));
  }),
  gradFunc: () => tf.zerosLike(y),
})) as unknown as Parameters<typeof tf.customGrad>[0]) as (y: tf.Tensor) => tf.Scalar;

/** R of the all-ones image, stored, and its log-scale (a scalar tensor; 0 when not scaled). */
function flow(model: tfl.LayersModel, ones: tf.Tensor, scaled: boolean): { r: tf.Scalar; logScale: tf.Scalar } {
  const zero = tf.scalar(0);
  const scales = new Map<tf.Tensor, tf.Scalar>();
  const sc = (t: tf.Tensor) => scales.get(t) ?? zero;
  const keep = (y: tf.Tensor, c: tf.Scalar) => (scales.set(y, c), y);
  const outputs = execute(model, ones, {
    logits: true,
    run: (layer, inputs, kwargs, isOutput) => {
      const cls = layer.getClassName();
      if (isBatchNorm(layer)) return inputs[0];
      if (!scaled) return undefined;
      if (MERGES.has(cls)) {
        const c = inputs.map(sc).reduce((a, b) => tf.maximum(a, b));
        // e^(c_t - c) is exactly 1 for the inputs already at the largest scale.
        const aligned = inputs.map((t) => tf.mul(t, tf.exp(tf.sub(sc(t), c))));
        return keep(layer.apply(aligned, kwargs) as tf.Tensor, c);
      }
      if (isKernelLayer(layer)) {
        let c = sc(inputs[0]);
        for (const b of layer.weights.filter(isBias)) tf.tidy(() => void b.write(tf.mul(b.read(), tf.exp(tf.neg(c)))));
        let y = applyLinear(layer, inputs, kwargs);
        const act = activationName(layer);
        if (act === 'relu') y = tf.relu(y);
        else if (act !== 'linear' && !(act === 'softmax' && isOutput)) cannot(layer, `its activation ${act} is not positively homogeneous`);
        const m = rescaleFactor(y);
        y = tf.div(y, m);
        c = tf.add(c, tf.log(m));
        return keep(y, c);
      }
      if (cls === 'Activation') {
        const act = activationName(layer);
        if (act === 'softmax' && isOutput) return inputs[0];
        if (act !== 'relu' && act !== 'linear') cannot(layer, `activation ${act} is not positively homogeneous`);
      } else if (!HOMOGENEOUS.has(cls)) cannot(layer, 'not a layer synflow knows to be positively homogeneous');
      if (inputs.length !== 1) cannot(layer, 'several inputs');
      return keep(layer.apply(inputs[0], kwargs) as tf.Tensor, sc(inputs[0]));
    },
  });
  const logScale = outputs.map(sc).reduce((a, b) => tf.maximum(a, b));
  const r = tf.addN(outputs.map((y) => tf.mul(tf.sum(y), tf.exp(tf.sub(sc(y), logScale))))) as tf.Scalar;
  return { r, logScale };
}

/**
 * log synflow of `model`, which it overwrites (absolute weights, rescaled biases): pass a throwaway
 * copy. `scaled` false computes it directly in float32, for small networks and for the tests.
 */
export async function synflowLog(model: tfl.LayersModel, inputShape: number[], scaled = true): Promise<number> {
  const ks = kernels(model);
  if (ks.length === 0) throw new ProxyFailure('synflow', 'the network has no conv or dense kernel');
  for (const w of model.weights) tf.tidy(() => void w.write(tf.abs(w.read())));
  const ones = tf.ones([1, ...inputShape]);
  let logScale: tf.Scalar | undefined;
  const { value, grads } = tf.variableGrads(
    () => {
      const f = flow(model, ones, scaled);
      logScale = tf.keep(f.logScale);
      return f.r;
    },
    ks.map((k) => k.variable),
  );
  const perKernel = tf.tidy(() =>
    tf.stack(ks.map((k) => (grads[k.variable.name] ? tf.sum(tf.abs(tf.mul(grads[k.variable.name], k.variable))) : tf.scalar(0)))),
  );
  try {
    const terms = await readFinite(
      'synflow',
      'Σ|dR/dW ⊙ W|',
      ks.map((k) => k.weight.name),
      perKernel,
    );
    const [c] = await logScale!.data();
    return finite('synflow', 'log synflow', c + Math.log(sum(terms)));
  } finally {
    tf.dispose([ones, value, perKernel, logScale!, ...Object.values(grads)]);
  }
}

export const synflow: ZeroCostProxy = {
  name: 'synflow',
  score: (net: ProxyNetwork, batch: ProxyBatch) => withModel(net, false, (model) => synflowLog(model, batch.images.shape.slice(1))),
};
