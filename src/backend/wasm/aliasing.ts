// Identity and same-dtype Cast as aliases. tfjs's engine saves every tensor a gradient needs by
// running Identity on it, and tfjs-backend-wasm's Identity copies the data: during training that
// doubles the memory of everything kept for the backward pass (and costs a copy each). Tensors
// are immutable in tfjs, so like the cpu backend we hand out the same data with one more reference.

import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { original, type BackendWasm, type Info } from './backend-access.js';

function alias(backend: BackendWasm, x: Info): Info {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

const identity: KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: Info };
  if (x.dtype === 'string') return original(tf.Identity, backend as BackendWasm)!({ inputs: { x }, backend: backend as BackendWasm });
  return alias(backend as BackendWasm, x);
};

const cast: KernelFunc = ({ inputs, attrs, backend }) => {
  const { x } = inputs as { x: Info };
  const { dtype } = attrs as { dtype: tf.DataType };
  if (x.dtype === dtype && dtype !== 'string') return alias(backend as BackendWasm, x);
  return original(tf.Cast, backend as BackendWasm)!({ inputs: { x }, attrs: attrs as Record<string, unknown>, backend: backend as BackendWasm });
};

export const identityConfig: KernelConfig = { kernelName: tf.Identity, backendName: 'wasm', kernelFunc: identity };
export const castConfig: KernelConfig = { kernelName: tf.Cast, backendName: 'wasm', kernelFunc: cast };
