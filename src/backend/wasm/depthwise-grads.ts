// Gradients of a depthwise 2-D convolution (channel multiplier 1 on the fast paths).
//
// Input gradient: the SIMD scatter kernel dx[.., ih, iw, c] += dy[.., oh, ow, c] * w[kh, kw, c],
// (for strides > 1 it does 1/stride^2 of the work a zero-inserted dy would cost).
// Filter gradient: the SIMD kernel dW[kh, kw, c] += x[.., ih, iw, c] * dy[.., oh, ow, c], walking one
// dy row at a time against the filter taps so the rows involved stay in cache.
// Channel multipliers > 1 or channel counts that are not a multiple of 4 use plain loops.

import * as tf from '@tensorflow/tfjs-core';
import { backend_util, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import { alloc, dispose, heapF32, original, run, type BackendWasm, type Info } from './backend-access.js';
import { allNonNegative, inputGradPads, tapRanges, type ConvInfo } from './geometry.js';
import { runDepthwiseKernel } from './tap-kernels.js';

interface DepthwiseGradAttrs {
  strides: [number, number] | number;
  dilations: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

type Shape4 = [number, number, number, number];

function depthwiseInfo(xShape: Shape4, filterShape: Shape4, a: DepthwiseGradAttrs): ConvInfo {
  return backend_util.computeConv2DInfo(xShape, filterShape, a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode, true);
}

function simdFriendly(info: ConvInfo, filterShape: Shape4): boolean {
  return filterShape[3] === 1 && info.inChannels % 4 === 0;
}

/** Reference loops for any channel multiplier; used only off the fast paths. */
function genericDepthwiseGrad(backend: BackendWasm, mode: 'filter' | 'input', info: ConvInfo, a: Info, dyInfo: Info, out: Info): void {
  const src = heapF32(backend, a); // x (filter grad) or filter (input grad)
  const dy = heapF32(backend, dyInfo);
  const res = heapF32(backend, out);
  res.fill(0);
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const KH = info.filterHeight;
  const KW = info.filterWidth;
  const M = info.outChannels / C;
  const rows = tapRanges(H, OH, KH, info.strideHeight, info.dilationHeight, info.padInfo.top);
  const cols = tapRanges(W, OW, KW, info.strideWidth, info.dilationWidth, info.padInfo.left);
  for (let n = 0; n < N; n++) {
    for (let kh = 0; kh < KH; kh++) {
      for (let oh = rows.lo[kh]!; oh < rows.hi[kh]!; oh++) {
        const ih = oh * info.strideHeight + rows.base[kh]!;
        for (let kw = 0; kw < KW; kw++) {
          for (let ow = cols.lo[kw]!; ow < cols.hi[kw]!; ow++) {
            const iw = ow * info.strideWidth + cols.base[kw]!;
            const xBase = ((n * H + ih) * W + iw) * C;
            const dyBase = ((n * OH + oh) * OW + ow) * C * M;
            const wBase = (kh * KW + kw) * C * M;
            for (let ch = 0; ch < C; ch++) {
              for (let m = 0; m < M; m++) {
                const g = dy[dyBase + ch * M + m]!;
                if (mode === 'filter') res[wBase + ch * M + m]! += src[xBase + ch]! * g;
                else res[xBase + ch]! += src[wBase + ch * M + m]! * g;
              }
            }
          }
        }
      }
    }
  }
}

/**
 * dx of a depthwise convolution (or of an average pool, with a constant filter) given its geometry;
 * `filter` is [KH, KW, C, M].
 */
export function depthwiseInputGrad(backend: BackendWasm, dy: Info, filter: Info, info: ConvInfo): Info {
  const filterShape = filter.shape as Shape4;
  const dx = alloc(backend, [info.batchSize, info.inHeight, info.inWidth, info.inChannels]);
  if (simdFriendly(info, filterShape)) {
    heapF32(backend, dx).fill(0);
    runDepthwiseKernel(backend, 'dwInputGrad', dx, dy, filter, info);
    return dx;
  }
  dispose(backend, dx);
  const unitSteps = info.strideHeight === 1 && info.strideWidth === 1 && info.dilationHeight === 1 && info.dilationWidth === 1;
  const pads = inputGradPads(info);
  if (unitSteps && filterShape[3] === 1 && allNonNegative(pads)) {
    // Channel counts the SIMD kernel cannot take: XNNPACK's forward depthwise with the rotated filter.
    const rotated = run(backend, tf.Reverse, { x: filter }, { dims: [0, 1] });
    const out = run(
      backend,
      tf.DepthwiseConv2dNative,
      { x: dy, filter: rotated },
      {
        strides: [1, 1],
        dilations: [1, 1],
        pad: [
          [0, 0],
          [pads[0], pads[1]],
          [pads[2], pads[3]],
          [0, 0],
        ],
      },
    );
    dispose(backend, rotated);
    return out;
  }
  const out = alloc(backend, [info.batchSize, info.inHeight, info.inWidth, info.inChannels]);
  genericDepthwiseGrad(backend, 'input', info, filter, dy, out);
  return out;
}

const depthwiseBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: Info; filter: Info };
  const a = attrs as unknown as DepthwiseGradAttrs & { inputShape: Shape4 };
  const info = depthwiseInfo(a.inputShape, filter.shape as Shape4, a);
  return depthwiseInputGrad(backend as BackendWasm, dy, filter, info);
};

const depthwiseBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm;
  const { x, dy } = inputs as { x: Info; dy: Info };
  const a = attrs as unknown as DepthwiseGradAttrs & { filterShape: Shape4 };
  const info = depthwiseInfo(x.shape as Shape4, a.filterShape, a);
  const dW = alloc(wasm, a.filterShape);
  if (simdFriendly(info, a.filterShape)) {
    heapF32(wasm, dW).fill(0);
    runDepthwiseKernel(wasm, 'dwFilterGrad', x, dy, dW, info);
  } else {
    genericDepthwiseGrad(wasm, 'filter', info, x, dy, dW);
  }
  return dW;
};

/**
 * Forward depthwise convolution. XNNPACK in tfjs-backend-wasm 4.22 has fast paths only for 3x3 and
 * 5x5 windows (7x7 runs at ~1 GMAC/s); the SIMD kernel does ~10 GMAC/s on all three sizes.
 */
const depthwiseConv2d: KernelFunc = (args) => {
  const wasm = args.backend as BackendWasm;
  const { x, filter } = args.inputs as { x: Info; filter: Info };
  const a = args.attrs as unknown as DepthwiseGradAttrs & { dataFormat?: string };
  const filterShape = filter.shape as Shape4;
  const info = depthwiseInfo(x.shape as Shape4, filterShape, a);
  if (x.dtype !== 'float32' || (a.dataFormat != null && a.dataFormat !== 'NHWC') || !simdFriendly(info, filterShape)) {
    return original(tf.DepthwiseConv2dNative, wasm)!({ inputs: { x, filter }, attrs: args.attrs as Record<string, unknown>, backend: wasm });
  }
  const y = alloc(wasm, info.outShape);
  heapF32(wasm, y).fill(0);
  runDepthwiseKernel(wasm, 'dwForward', x, y, filter, info);
  return y;
};

export const depthwiseConv2dConfig: KernelConfig = {
  kernelName: tf.DepthwiseConv2dNative,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2d,
};

export const depthwiseBackpropInputConfig: KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropInput,
};

export const depthwiseBackpropFilterConfig: KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropFilter,
};
