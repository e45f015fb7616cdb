// Pooling gradients. tfjs-backend-wasm's MaxPoolGrad and AvgPoolGrad are scalar C++ loops.
// MaxPoolGrad: the SIMD tap kernel routes each dy to the first window position (row-major scan)
// holding the maximum, the tie rule of tfjs's reference kernels.
// AvgPoolGrad: tfjs divides every window by its full size, so dx is the input gradient of a
// depthwise convolution whose filter is the constant 1 / (filterHeight * filterWidth).

import * as tf from '@tensorflow/tfjs-core';
import { backend_util, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import { alloc, dispose, heapF32, original, withScratch, type BackendWasm, type Info } from './backend-access.js';
import { depthwiseInputGrad } from './depthwise-grads.js';
import { tapRanges } from './geometry.js';
import { runDepthwiseKernel } from './tap-kernels.js';

interface PoolGradAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

type Shape4 = [number, number, number, number];

function poolInfo(inputShape: number[], a: PoolGradAttrs): backend_util.Conv2DInfo {
  return backend_util.computePool2DInfo(inputShape as Shape4, a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
}

function delegate(kernelName: string, args: Parameters<KernelFunc>[0]): Info {
  const fallback = original(kernelName, args.backend as BackendWasm);
  if (!fallback) throw new Error(`wasm ${kernelName}: no fallback kernel for this input`);
  return fallback({ inputs: args.inputs as Record<string, Info>, attrs: args.attrs as Record<string, unknown>, backend: args.backend as BackendWasm }) as Info;
}

/**
 * Plain loops for channel counts the SIMD kernel cannot take (the wasm package's own kernel routes
 * gradients differently from tfjs's cpu reference at 'same' borders).
 */
function genericMaxPoolGrad(backend: BackendWasm, info: backend_util.Conv2DInfo, x: Info, dy: Info, dxInfo: Info): void {
  const xs = heapF32(backend, x);
  const dys = heapF32(backend, dy);
  const dx = heapF32(backend, dxInfo);
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const rows = tapRanges(H, OH, info.filterHeight, info.strideHeight, info.dilationHeight, info.padInfo.top);
  const cols = tapRanges(W, OW, info.filterWidth, info.strideWidth, info.dilationWidth, info.padInfo.left);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          let at = -1;
          for (let kh = 0; kh < info.filterHeight; kh++) {
            if (oh < rows.lo[kh]! || oh >= rows.hi[kh]!) continue;
            const ih = oh * info.strideHeight + rows.base[kh]!;
            for (let kw = 0; kw < info.filterWidth; kw++) {
              if (ow < cols.lo[kw]! || ow >= cols.hi[kw]!) continue;
              const i = ((n * H + ih) * W + ow * info.strideWidth + cols.base[kw]!) * C + c;
              if (xs[i]! > best || at < 0) {
                best = xs[i]!;
                at = i;
              }
            }
          }
          if (at >= 0) dx[at]! += dys[((n * OH + oh) * OW + ow) * C + c]!;
        }
      }
    }
  }
}

const maxPoolGrad: KernelFunc = (args) => {
  const wasm = args.backend as BackendWasm;
  const { dy, input, output } = args.inputs as { dy: Info; input: Info; output: Info };
  const info = poolInfo(input.shape, args.attrs as unknown as PoolGradAttrs);
  if (input.dtype !== 'float32') return delegate(tf.MaxPoolGrad, args);
  const dx = alloc(wasm, input.shape);
  heapF32(wasm, dx).fill(0);
  if (info.inChannels % 4 !== 0 || !output) {
    genericMaxPoolGrad(wasm, info, input, dy, dx);
    return dx;
  }
  withScratch(wasm, info.outWidth * info.inChannels * 4, (found) => {
    runDepthwiseKernel(wasm, 'maxPoolGrad', input, dy, found, info, { dx, out: output });
  });
  return dx;
};

const avgPoolGrad: KernelFunc = (args) => {
  const wasm = args.backend as BackendWasm;
  const { dy, input } = args.inputs as { dy: Info; input: Info };
  const info = poolInfo(input.shape, args.attrs as unknown as PoolGradAttrs);
  if (input.dtype !== 'float32') return delegate(tf.AvgPoolGrad, args);
  const filter = alloc(wasm, [info.filterHeight, info.filterWidth, info.inChannels, 1]);
  heapF32(wasm, filter).fill(1 / (info.filterHeight * info.filterWidth));
  const dx = depthwiseInputGrad(wasm, dy, filter, info);
  dispose(wasm, filter);
  return dx;
};

export const maxPoolGradConfig: KernelConfig = { kernelName: tf.MaxPoolGrad, backendName: 'wasm', kernelFunc: maxPoolGrad };
export const avgPoolGradConfig: KernelConfig = { kernelName: tf.AvgPoolGrad, backendName: 'wasm', kernelFunc: avgPoolGrad };
