// Sum and Mean over a run of axes that stops before the last one (BatchNorm moments and their
// gradients, global average pooling). tfjs-backend-wasm transposes the reduced axes to the end
// and then reduces; the SIMD kernel reduces in place over [outer, reduced, inner].

import * as tf from '@tensorflow/tfjs-core';
import { backend_util, util, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import { alloc, offsetOf, original, simd, type BackendWasm, type Info } from './backend-access.js';

interface ReduceAttrs {
  axis: number | number[];
  keepDims: boolean;
}

/** [outer, reduced, inner] sizes when `axes` is one contiguous run ending before the last axis. */
export function leadingReduction(shape: number[], axis: number | number[]): [number, number, number] | undefined {
  const axes = util.parseAxisParam(axis, shape).sort((a, b) => a - b);
  if (axes.length === 0) return undefined;
  for (let i = 1; i < axes.length; i++) if (axes[i] !== axes[0]! + i) return undefined;
  const first = axes[0]!;
  const last = axes[axes.length - 1]!;
  if (last >= shape.length - 1) return undefined;
  return [util.sizeFromShape(shape.slice(0, first)), util.sizeFromShape(shape.slice(first, last + 1)), util.sizeFromShape(shape.slice(last + 1))];
}

function reduceKernel(kernelName: string, mean: boolean): KernelFunc {
  return (args) => {
    const wasm = args.backend as BackendWasm;
    const { x } = args.inputs as { x: Info };
    const { axis, keepDims } = args.attrs as unknown as ReduceAttrs;
    const split = x.dtype === 'float32' ? leadingReduction(x.shape, axis) : undefined;
    if (!split || split[1] === 0 || split[2] % 4 !== 0) {
      const fallback = original(kernelName, wasm)!;
      return fallback({ inputs: { x }, attrs: args.attrs as Record<string, unknown>, backend: wasm }) as Info;
    }
    const [outer, reduced, inner] = split;
    const axes = util.parseAxisParam(axis, x.shape);
    const [outShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
    const out = alloc(wasm, keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape);
    simd(wasm).sumRows(offsetOf(wasm, x), offsetOf(wasm, out), outer, reduced, inner * 4, Math.floor(inner / 16) * 64, mean ? 1 / reduced : 1);
    return out;
  };
}

export const sumConfig: KernelConfig = { kernelName: tf.Sum, backendName: 'wasm', kernelFunc: reduceKernel(tf.Sum, false) };
export const meanConfig: KernelConfig = { kernelName: tf.Mean, backendName: 'wasm', kernelFunc: reduceKernel(tf.Mean, true) };
