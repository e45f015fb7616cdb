// Launches the tap-table SIMD kernels (depthwise gradients, max-pool gradient) for one convolution
// or pooling geometry.

import { offsetOf, simd, withScratch, writeInt32, type BackendWasm, type Info } from './backend_access.js';
import { depthwiseTapTable, type ConvInfo } from './geometry.js';

export type TapKernelName = 'dwFilterGrad' | 'dwInputGrad' | 'maxPoolGrad';

/**
 * Runs `kernel` over every image, dy row and valid filter tap of `info` (channel count must be a
 * multiple of 4). `img` has the input's shape, `dy` the output's; `acc` is the filter (gradient)
 * or, for maxPoolGrad, a scratch row of outWidth * channels floats. `dx` and `out` are only read
 * by maxPoolGrad: the input gradient (zeroed) and the pooled output.
 */
export function runTapKernel(
  backend: BackendWasm,
  kernel: TapKernelName,
  img: Info,
  dy: Info,
  acc: Info | number,
  info: ConvInfo,
  extra: { dx?: Info; out?: Info } = {},
): void {
  const table = depthwiseTapTable(info);
  const c = info.inChannels;
  const imgPtr = offsetOf(backend, img);
  const dyPtr = offsetOf(backend, dy);
  const dxDelta = extra.dx ? offsetOf(backend, extra.dx) - imgPtr : 0;
  const outDelta = extra.out ? offsetOf(backend, extra.out) - dyPtr : 0;
  withScratch(backend, table.byteLength, (tablePtr) => {
    writeInt32(backend, tablePtr, table);
    simd(backend)[kernel](
      imgPtr, dyPtr, typeof acc === 'number' ? acc : offsetOf(backend, acc), tablePtr,
      info.batchSize, info.inHeight * info.inWidth * c * 4, info.inWidth * c * 4, info.strideWidth * c * 4,
      info.outHeight, info.outWidth * c * 4, info.filterHeight, info.filterWidth,
      info.strideHeight, c * 4, kernel === 'maxPoolGrad' ? 0 : Math.floor(c / 16) * 64,
      dxDelta | 0, outDelta | 0,
    );
  });
}
