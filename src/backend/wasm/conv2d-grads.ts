// Gradients of a regular 2-D convolution.
//
// Filter gradient: dW[kh, kw, ci, co] = sum_{n, oh, ow} x[n, oh*s + kh - p, ow*s + kw - p, ci] * dy[n, oh, ow, co]
// as register-tiled SIMD outer products (~15 GMAC/s on one thread, 1.5-4x XNNPACK formulations;
// with XNNPACK threads the output channels are split across the SIMD workers). For output
// channel counts that are not a multiple of 4, XNNPACK: a 1x1 stride-1 gradient is the matrix
// product x^T . dy; otherwise a convolution of x viewed as `inChannels` images of N channels
// ([Ci, H, W, N]) with dy viewed as an OH x OW filter ([OH, OW, N, Co]) dilated by the stride,
// which needs no im2col buffer.
//
// Input gradient: dx[.., ih, iw, ci] += dy[.., oh, ow, co] * W[kh, kw, ci, co] as register-tiled
// SIMD (simd/kernels.ts; images split across the SIMD workers when XNNPACK has threads); or, with
// XNNPACK threads at stride 1, the output gradient correlated
// with the 180°-rotated filter whose in/out channels are swapped.

import * as tf from '@tensorflow/tfjs-core';
import { backend_util, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import { alloc, dispose, heapF32, reshape, run, transpose, xnnpackThreads, type BackendWasm, type Info } from './backend-access.js';
import { allNonNegative, filterGradPads, inputGradPads, type ConvInfo } from './geometry.js';
import { runConvFilterGrad, runConvInputGrad } from './tap-kernels.js';

interface Conv2DBackpropFilterAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

interface Conv2DBackpropInputAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

function requireChannelsLast(kernel: string, dataFormat: string | undefined): void {
  if (dataFormat != null && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`wasm ${kernel}: only dataFormat 'NHWC' is supported, got '${dataFormat}'`);
  }
}

function explicitPad(top: number, bottom: number, left: number, right: number): backend_util.ExplicitPadding {
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}

/** dW = x^T . dy for 1x1 stride-1 unpadded convolutions. */
function pointwiseFilterGrad(backend: BackendWasm, x: Info, dy: Info, info: ConvInfo): Info {
  const rows = info.batchSize * info.outHeight * info.outWidth;
  const ci = info.inChannels;
  const co = info.outChannels;
  // XNNPACK's matmul needs both operands untransposed; transpose whichever side is narrower.
  const x2 = reshape(backend, x, [rows, ci]);
  const dy2 = reshape(backend, dy, [rows, co]);
  let result: Info;
  if (ci <= co) {
    const xT = transpose(backend, x2, [1, 0]);
    const a = reshape(backend, xT, [1, ci, rows]);
    const b = reshape(backend, dy2, [1, rows, co]);
    const prod = run(backend, tf.BatchMatMul, { a, b }, { transposeA: false, transposeB: false });
    result = reshape(backend, prod, [1, 1, ci, co]);
    dispose(backend, xT, a, b, prod);
  } else {
    const dyT = transpose(backend, dy2, [1, 0]);
    const a = reshape(backend, dyT, [1, co, rows]);
    const b = reshape(backend, x2, [1, rows, ci]);
    const prod = run(backend, tf.BatchMatMul, { a, b }, { transposeA: false, transposeB: false });
    const prod2 = reshape(backend, prod, [co, ci]);
    const t = transpose(backend, prod2, [1, 0]);
    result = reshape(backend, t, [1, 1, ci, co]);
    dispose(backend, dyT, a, b, prod, prod2, t);
  }
  dispose(backend, x2, dy2);
  return result;
}

/**
 * The pixels of a pointwise (1x1, stride 1) gradient, which all count alike, regrouped as rows of
 * up to POINTWISE_ROW_PIXELS: the kernel reloads its register tiles once per row, and an image
 * row of the child's 8x8 maps is too short to amortise that (~1.5x slower at 256 channels),
 * while one row of all N*H*W pixels streams more than the cache holds per tile (~2x slower).
 * The sums are the same, in the same order.
 */
function pointwiseRows(info: ConvInfo): ConvInfo {
  const pixels = info.batchSize * info.inHeight * info.inWidth;
  let rowPixels = Math.min(pixels, POINTWISE_ROW_PIXELS);
  while (pixels % rowPixels !== 0) rowPixels--;
  if (rowPixels <= info.inWidth) return info; // e.g. a prime pixel count: image rows are no shorter
  return backend_util.computeConv2DInfo([1, pixels / rowPixels, rowPixels, info.inChannels], [1, 1, info.inChannels, info.outChannels], 1, 1, 'valid');
}

const POINTWISE_ROW_PIXELS = 16;

function convFilterGrad(backend: BackendWasm, x: Info, dy: Info, info: ConvInfo): Info {
  let pads = filterGradPads(info);
  let input = x;
  // Trailing rows/columns that no output reads would need negative padding: crop them instead.
  if (pads[1] < 0 || pads[3] < 0) {
    const h = info.inHeight + Math.min(0, pads[1]);
    const w = info.inWidth + Math.min(0, pads[3]);
    input = run(backend, tf.Slice, { x }, { begin: [0, 0, 0, 0], size: [info.batchSize, h, w, info.inChannels] });
    pads = [pads[0], Math.max(0, pads[1]), pads[2], Math.max(0, pads[3])];
  }
  const xT = transpose(backend, input, [3, 1, 2, 0]); // [Ci, H, W, N]
  const dyT = transpose(backend, dy, [1, 2, 0, 3]); // [OH, OW, N, Co]
  const conv = run(
    backend,
    tf.Conv2D,
    { x: xT, filter: dyT },
    {
      strides: [1, 1],
      pad: explicitPad(...pads),
      dataFormat: 'NHWC',
      dilations: [info.strideHeight, info.strideWidth],
    },
  ); // [Ci, KH, KW, Co]
  const dW = transpose(backend, conv, [1, 2, 0, 3]);
  dispose(backend, xT, dyT, conv);
  if (input !== x) dispose(backend, input);
  return dW;
}

const conv2DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm;
  const { x, dy } = inputs as { x: Info; dy: Info };
  const a = attrs as unknown as Conv2DBackpropFilterAttrs;
  requireChannelsLast('Conv2DBackpropFilter', a.dataFormat);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    a.filterShape,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
    false,
    'channelsLast',
  );
  const pointwise =
    info.filterHeight === 1 &&
    info.filterWidth === 1 &&
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.padInfo.top === 0 &&
    info.padInfo.left === 0 &&
    info.outHeight === info.inHeight &&
    info.outWidth === info.inWidth;
  if (info.outChannels % 4 === 0 && x.dtype === 'float32') {
    const dW = alloc(wasm, a.filterShape);
    heapF32(wasm, dW).fill(0);
    const geometry = pointwise ? pointwiseRows(info) : info;
    runConvFilterGrad(wasm, x, dy, dW, geometry);
    return dW;
  }
  return pointwise ? pointwiseFilterGrad(wasm, x, dy, info) : convFilterGrad(wasm, x, dy, info);
};

const conv2DBackpropInput: KernelFunc = (args) => {
  const { inputs, backend, attrs } = args;
  const wasm = backend as BackendWasm;
  const { dy, filter } = inputs as { dy: Info; filter: Info };
  const a = attrs as unknown as Conv2DBackpropInputAttrs;
  requireChannelsLast('Conv2DBackpropInput', a.dataFormat);
  const info = backend_util.computeConv2DInfo(
    a.inputShape,
    filter.shape as [number, number, number, number],
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
    false,
    'channelsLast',
  );
  const swapped = transpose(wasm, filter, [0, 1, 3, 2]); // [KH, KW, Co, Ci]
  const strided = info.strideHeight > 1 || info.strideWidth > 1;
  const pads = inputGradPads(info);
  // The SIMD kernel beats single-threaded XNNPACK and skips the zeros a dilated dy would feed it
  // (5x at stride 2). With XNNPACK threads on, stride-1 gradients go to XNNPACK.
  if (strided || xnnpackThreads(wasm) <= 1 || !allNonNegative(pads)) {
    const dx = alloc(wasm, a.inputShape);
    heapF32(wasm, dx).fill(0);
    runConvInputGrad(wasm, dy, swapped, dx, info);
    dispose(wasm, swapped);
    return dx;
  }
  const rotated = info.filterHeight > 1 || info.filterWidth > 1 ? run(wasm, tf.Reverse, { x: swapped }, { dims: [0, 1] }) : swapped;
  const dx = run(
    wasm,
    tf.Conv2D,
    { x: dy, filter: rotated },
    {
      strides: [1, 1],
      pad: explicitPad(pads[0], pads[1], pads[2], pads[3]),
      dataFormat: 'NHWC',
      dilations: [1, 1],
    },
  );
  if (rotated !== swapped) dispose(wasm, rotated);
  dispose(wasm, swapped);
  return dx;
};

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter,
};

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput,
};
