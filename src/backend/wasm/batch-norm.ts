// FusedBatchNorm with per-channel statistics (what tfjs-layers' BatchNormalization passes):
// y = (x - mean) * (scale / sqrt(variance + epsilon)) + offset in one SIMD pass. The wasm
// package's kernel is a scalar C++ loop.

import * as tf from '@tensorflow/tfjs-core';
import { util, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import { memoryOf, offsetOf, original, simd, withScratch, type BackendWasm, type Info } from './backend-access.js';

function readF32(backend: BackendWasm, t: Info): Float32Array {
  return new Float32Array(memoryOf(backend).buffer, offsetOf(backend, t), util.sizeFromShape(t.shape));
}

const fusedBatchNorm: KernelFunc = (args) => {
  const wasm = args.backend as BackendWasm;
  const { x, mean, variance, offset, scale } = args.inputs as Record<string, Info | undefined> as {
    x: Info;
    mean: Info;
    variance: Info;
    offset?: Info;
    scale?: Info;
  };
  const { varianceEpsilon } = args.attrs as { varianceEpsilon: number };
  const c = x.shape[x.shape.length - 1] ?? 0;
  const perChannel = (t?: Info) => t == null || (t.dtype === 'float32' && util.sizeFromShape(t.shape) === c);
  if (x.dtype !== 'float32' || c % 4 !== 0 || c === 0 || ![mean, variance, offset, scale].every(perChannel)) {
    return original(tf.FusedBatchNorm, wasm)!({ inputs: args.inputs as Record<string, Info>, attrs: args.attrs as Record<string, unknown>, backend: wasm });
  }
  const out = wasm.makeOutput(x.shape, 'float32');
  const rows = util.sizeFromShape(x.shape) / c;
  withScratch(wasm, 2 * c * 4, (ptr) => {
    const v = readF32(wasm, variance);
    const s = scale ? readF32(wasm, scale) : undefined;
    const o = offset ? readF32(wasm, offset) : undefined;
    const terms = new Float32Array(memoryOf(wasm).buffer, ptr, 2 * c);
    for (let i = 0; i < c; i++) {
      terms[i] = (s ? s[i]! : 1) / Math.sqrt(v[i]! + varianceEpsilon);
      terms[c + i] = o ? o[i]! : 0;
    }
    simd(wasm).channelAffine(offsetOf(wasm, x), offsetOf(wasm, out), offsetOf(wasm, mean), ptr, ptr + 4 * c, rows, 4 * c);
  });
  return out;
};

export const fusedBatchNormConfig: KernelConfig = { kernelName: tf.FusedBatchNorm, backendName: 'wasm', kernelFunc: fusedBatchNorm };
