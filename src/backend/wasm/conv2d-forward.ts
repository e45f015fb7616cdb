// Forward convolution (Conv2D, and FusedConv2D without bias or activation, which is what
// tfjs-layers' bias-free conv2d runs) with the register-tiled SIMD kernel, ~15-25% faster than
// single-threaded XNNPACK on the child's shapes. With XNNPACK threads on, or for anything else
// (bias, activations, NCHW, other dtypes), the package's XNNPACK kernels run.

import * as tf from '@tensorflow/tfjs-core';
import { backend_util, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import { alloc, heapF32, original, xnnpackThreads, type BackendWasm, type Info } from './backend-access.js';
import { runConvForward } from './tap-kernels.js';

interface ConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
}

function convolve(kernelName: string): KernelFunc {
  return (args) => {
    const wasm = args.backend as BackendWasm;
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, Info | undefined> as {
      x: Info;
      filter: Info;
      bias?: Info;
      preluActivationWeights?: Info;
    };
    const a = args.attrs as unknown as ConvAttrs;
    const plain =
      x.dtype === 'float32' &&
      filter.dtype === 'float32' &&
      (a.dataFormat == null || a.dataFormat === 'NHWC') &&
      bias == null &&
      preluActivationWeights == null &&
      (a.activation == null || a.activation === 'linear') &&
      xnnpackThreads(wasm) <= 1;
    if (!plain) {
      return original(kernelName, wasm)!({ inputs: args.inputs as Record<string, Info>, attrs: args.attrs as Record<string, unknown>, backend: wasm });
    }
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      a.strides,
      a.dilations ?? 1,
      a.pad,
      a.dimRoundingMode,
      false,
      'channelsLast',
    );
    const y = alloc(wasm, info.outShape);
    heapF32(wasm, y).fill(0);
    runConvForward(wasm, x, filter, y, info);
    return y;
  };
}

export const conv2DConfig: KernelConfig = { kernelName: tf.Conv2D, backendName: 'wasm', kernelFunc: convolve(tf.Conv2D) };
export const fusedConv2DConfig: KernelConfig = { kernelName: tf.FusedConv2D, backendName: 'wasm', kernelFunc: convolve(tf.FusedConv2D) };
