// What the gradient proxies share: which weights they score, the loss, the gradients, the checks.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { execute, type Layer, layerNodes } from './executor.js';
import { type ProxyBatch, ProxyFailure, type ProxyNetwork, type ZeroCostProxy } from './types.js';

export type LayerVariable = tfl.LayersModel['weights'][number];

/** The layers whose kernels the reference scores: PyTorch's nn.Conv2d and nn.Linear (depthwise and separable convolutions are Conv2d there too). */
export const KERNEL_LAYERS: ReadonlySet<string> = new Set(['Conv1D', 'Conv2D', 'Conv3D', 'DepthwiseConv2D', 'SeparableConv2D', 'Conv2DTranspose', 'Dense']);

export function isKernelLayer(layer: Layer): boolean {
  return KERNEL_LAYERS.has(layer.getClassName());
}

/** A kernel of a conv or dense layer: the reference's `layer.weight` (biases are left out, as there). */
export interface Kernel {
  layer: Layer;
  weight: LayerVariable;
  variable: tf.Variable;
}

export function isBias(w: LayerVariable): boolean {
  return /(^|\/)bias(_\d+)?$/.test(w.originalName);
}

/** Every conv and dense kernel of `model`, once each (a SeparableConv2D has two, as PyTorch's two Conv2d). */
export function kernels(model: tfl.LayersModel): Kernel[] {
  const seen = new Set<Layer>();
  const out: Kernel[] = [];
  for (const { layer } of layerNodes(model)) {
    if (seen.has(layer) || !isKernelLayer(layer)) continue;
    seen.add(layer);
    for (const weight of layer.weights) if (!isBias(weight)) out.push({ layer, weight, variable: weight.read() as tf.Variable });
  }
  return out;
}

/** Builds the network, runs `f` on it and disposes it, whatever `f` does. */
export async function withModel<T>(net: ProxyNetwork, batchNorm: boolean, f: (model: tfl.LayersModel) => Promise<T> | T): Promise<T> {
  const model = net.build({ batchNorm });
  try {
    return await f(model);
  } finally {
    model.dispose();
  }
}

/** Logits of the batch, batch normalisation in training mode as the reference runs it (net.train()). */
export function trainLogits(model: tfl.LayersModel, images: tf.Tensor, hooks: Parameters<typeof execute>[2] = {}): tf.Tensor2D {
  const [y] = execute(model, images, { ...hooks, training: true, logits: true });
  if (y.rank !== 2) throw new Error(`the network must output [batch, classes] logits, got shape [${y.shape}]`);
  return y as tf.Tensor2D;
}

/** Mean softmax cross-entropy of `logits` against int class ids (PyTorch's F.cross_entropy). */
export function crossEntropy(logits: tf.Tensor2D, batch: ProxyBatch): tf.Scalar {
  return tf.tidy(() => {
    const oneHot = tf.oneHot(tf.cast(batch.labels, 'int32'), batch.numClasses);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), -1)));
  });
}

/** dL/dW for every kernel (zeros where a kernel does not reach the loss), and the loss. The caller disposes them. */
export function kernelGrads(
  model: tfl.LayersModel,
  ks: Kernel[],
  batch: ProxyBatch,
  hooks: Parameters<typeof execute>[2] = {},
): { loss: tf.Scalar; grads: tf.Tensor[] } {
  const { value, grads } = tf.variableGrads(
    () => crossEntropy(trainLogits(model, batch.images, hooks), batch),
    ks.map((k) => k.variable),
  );
  return { loss: value, grads: ks.map((k) => grads[k.variable.name] ?? tf.zerosLike(k.variable)) };
}

/** Reads per-kernel (or per-layer) scalars, throwing ProxyFailure at the first non-finite one. */
export async function readFinite(proxy: string, what: string, names: string[], values: tf.Tensor): Promise<number[]> {
  const data = Array.from(await values.data());
  const bad = data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new ProxyFailure(proxy, `${what} of ${names[bad]} is ${data[bad]}`);
  return data;
}

/** `value`, or ProxyFailure when it is NaN or infinite. */
export function finite(proxy: string, what: string, value: number): number {
  if (!Number.isFinite(value)) throw new ProxyFailure(proxy, `${what} is ${value}`);
  return value;
}

/** Sum in float64 (the per-kernel terms are float32 sums already). */
export function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/**
 * A proxy that is Σ over kernels of reduce(dL/dW, W): grad_norm and snip. Such proxies differ only
 * in the reduction, so several of them can share one backward pass (kernelGradScores).
 */
export interface KernelGradProxy extends ZeroCostProxy {
  /** What one kernel's term is, for the failure message that names a non-finite one. */
  readonly what: string;
  reduce(grad: tf.Tensor, weight: tf.Tensor): tf.Scalar;
}

export function isKernelGradProxy(proxy: ZeroCostProxy): proxy is KernelGradProxy {
  return typeof (proxy as Partial<KernelGradProxy>).reduce === 'function';
}

export function kernelGradProxy(name: string, what: string, reduce: KernelGradProxy['reduce']): KernelGradProxy {
  const proxy: KernelGradProxy = {
    name,
    what,
    reduce,
    async score(net, batch) {
      const [result] = await kernelGradScores([proxy], net, batch);
      if (result instanceof ProxyFailure) throw result;
      return result;
    },
  };
  return proxy;
}

/**
 * Scores every proxy of `proxies` from one gradient of one network: each one's score, or the
 * ProxyFailure that says why it has none. The same numbers as scoring them one by one (the same
 * seeded network, the same gradient), for the cost of one.
 */
export async function kernelGradScores(proxies: KernelGradProxy[], net: ProxyNetwork, batch: ProxyBatch): Promise<(number | ProxyFailure)[]> {
  return withModel(net, true, async (model) => {
    const ks = kernels(model);
    if (ks.length === 0) return proxies.map((p) => new ProxyFailure(p.name, 'the network has no conv or dense kernel'));
    const { loss, grads } = kernelGrads(model, ks, batch);
    const perKernel = proxies.map((p) => tf.tidy(() => tf.stack(grads.map((g, i) => p.reduce(g, ks[i].variable)))));
    const names = ks.map((k) => k.weight.name);
    try {
      const lossValue = (await loss.data())[0];
      const results: (number | ProxyFailure)[] = [];
      for (const [j, p] of proxies.entries()) {
        try {
          finite(p.name, 'the loss', lossValue);
          results.push(finite(p.name, 'the score', sum(await readFinite(p.name, p.what, names, perKernel[j]))));
        } catch (err) {
          if (!(err instanceof ProxyFailure)) throw err;
          results.push(err);
        }
      }
      return results;
    } finally {
      tf.dispose([loss, ...grads, ...perKernel]);
    }
  });
}
