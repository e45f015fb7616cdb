// float32 Add/Sub/Multiply/RealDiv for the shapes training produces: equal shapes, a scalar
// operand (optimizer updates), or an operand broadcast along the trailing axes (per-channel
// BatchNorm terms: [N, H, W, C] with [C] or [1, 1, 1, C]). tfjs-backend-wasm creates an XNNPACK
// operator on every call and its broadcasting path runs ~4x slower than the plain one; the SIMD
// kernels have neither cost. Other shapes and dtypes go to the original kernels.

import * as tf from '@tensorflow/tfjs-core';
import { backend_util, util, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import { offsetOf, original, simd, type BackendWasm, type Info } from './backend-access.js';
import type { BinaryKernelName } from './simd/kernels.js';

type Op = 'add' | 'sub' | 'mul' | 'div';

/** Shape without its leading 1s. */
function core(shape: number[]): number[] {
  const first = shape.findIndex((d) => d !== 1);
  return first < 0 ? [] : shape.slice(first);
}

/** True when `small` broadcast to `out` repeats it whole along leading axes only. */
function trailingBroadcast(small: number[], out: number[]): boolean {
  const c = core(small);
  if (c.length > out.length) return false;
  const tail = out.slice(out.length - c.length);
  return c.every((d, i) => d === tail[i]);
}

interface Plan {
  kernel: BinaryKernelName;
  aStep: number;
  bStep: number;
  blocks: number;
  len: number;
}

function plan(op: Op, a: number[], b: number[], out: number[]): Plan | undefined {
  const n = util.sizeFromShape(out);
  const na = util.sizeFromShape(a);
  const nb = util.sizeFromShape(b);
  if (n === 0) return undefined;
  if (na === n && nb === n && util.arraysEqual(core(a), core(b))) return { kernel: `${op}_vv`, aStep: 0, bStep: 0, blocks: 1, len: n };
  if (nb === 1 && na === n) return { kernel: `${op}_vs`, aStep: 0, bStep: 0, blocks: 1, len: n };
  if (na === 1 && nb === n) return { kernel: `${op}_sv`, aStep: 0, bStep: 0, blocks: 1, len: n };
  if (na === n && trailingBroadcast(b, out)) return { kernel: `${op}_vv`, aStep: nb * 4, bStep: 0, blocks: n / nb, len: nb };
  if (nb === n && trailingBroadcast(a, out)) return { kernel: `${op}_vv`, aStep: 0, bStep: na * 4, blocks: n / na, len: na };
  return undefined;
}

function binary(kernelName: string, op: Op): KernelFunc {
  return (args) => {
    const wasm = args.backend as BackendWasm;
    const { a, b } = args.inputs as { a: Info; b: Info };
    if (a.dtype === 'float32' && b.dtype === 'float32') {
      const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const p = plan(op, a.shape, b.shape, outShape);
      if (p) {
        const out = wasm.makeOutput(outShape, 'float32');
        simd(wasm)[p.kernel](offsetOf(wasm, a), p.aStep, offsetOf(wasm, b), p.bStep, offsetOf(wasm, out), p.blocks, p.len);
        return out;
      }
    }
    return original(kernelName, wasm)!({ inputs: { a, b }, attrs: args.attrs as Record<string, unknown>, backend: wasm });
  };
}

export const addConfig: KernelConfig = { kernelName: tf.Add, backendName: 'wasm', kernelFunc: binary(tf.Add, 'add') };
export const subConfig: KernelConfig = { kernelName: tf.Sub, backendName: 'wasm', kernelFunc: binary(tf.Sub, 'sub') };
export const multiplyConfig: KernelConfig = { kernelName: tf.Multiply, backendName: 'wasm', kernelFunc: binary(tf.Multiply, 'mul') };
export const realDivConfig: KernelConfig = { kernelName: tf.RealDiv, backendName: 'wasm', kernelFunc: binary(tf.RealDiv, 'div') };
