// Launches the tap-table SIMD kernels for one convolution or pooling geometry.

import { offsetOf, simd, withScratch, writeInt32, type BackendWasm, type Info } from './backend_access.js';
import { depthwiseTapTable, type ConvInfo } from './geometry.js';
import type { TapArgs } from './simd/kernels.js';

export type DepthwiseKernelName = 'dwForward' | 'dwFilterGrad' | 'dwInputGrad' | 'maxPoolGrad';

function launch(backend: BackendWasm, info: ConvInfo, call: (tablePtr: number) => void): void {
  const table = depthwiseTapTable(info);
  withScratch(backend, table.byteLength, (tablePtr) => {
    writeInt32(backend, tablePtr, table);
    call(tablePtr);
  });
}

/** The geometry part of the tap kernels' arguments; `pixelBytes` are dy's bytes per pixel. */
function geometryArgs(info: ConvInfo, pixelBytes: number): [number, number, number, number, number, number, number, number, number] {
  const inBytes = info.inChannels * 4;
  return [
    info.batchSize, info.inHeight * info.inWidth * inBytes, info.inWidth * inBytes, info.strideWidth * inBytes,
    info.outHeight, info.outWidth * pixelBytes, info.filterHeight, info.filterWidth, info.strideHeight,
  ];
}

/**
 * Runs a per-channel window kernel (channel multiplier 1, channels a multiple of 4) over `info`.
 * `img` has the input's shape, `dy` the output's; `acc` is the filter (or its gradient) or, for
 * maxPoolGrad, the address of a scratch row of outWidth * channels floats. `dx` and `out` are only
 * read by maxPoolGrad: the zeroed input gradient and the pooled output.
 */
export function runDepthwiseKernel(
  backend: BackendWasm,
  kernel: DepthwiseKernelName,
  img: Info,
  dy: Info,
  acc: Info | number,
  info: ConvInfo,
  extra: { dx?: Info; out?: Info } = {},
): void {
  const c = info.inChannels;
  const imgPtr = offsetOf(backend, img);
  const dyPtr = offsetOf(backend, dy);
  const dxDelta = extra.dx ? offsetOf(backend, extra.dx) - imgPtr : 0;
  const outDelta = extra.out ? offsetOf(backend, extra.out) - dyPtr : 0;
  const accPtr = typeof acc === 'number' ? acc : offsetOf(backend, acc);
  const blockBytes = kernel === 'maxPoolGrad' ? 0 : Math.floor(c / 16) * 64;
  launch(backend, info, (table) => {
    const args: TapArgs = [imgPtr, dyPtr, accPtr, table, ...geometryArgs(info, c * 4), c * 4, blockBytes, dxDelta | 0, outDelta | 0];
    simd(backend)[kernel](...args);
  });
}

/** dW (zeroed, [KH, KW, Cin, Cout]) += filter gradient of a regular convolution; Cout % 4 == 0. */
export function runConvFilterGrad(backend: BackendWasm, x: Info, dy: Info, dW: Info, info: ConvInfo): void {
  const co = info.outChannels;
  launch(backend, info, (table) => {
    const args: TapArgs = [
      offsetOf(backend, x), offsetOf(backend, dy), offsetOf(backend, dW), table,
      ...geometryArgs(info, co * 4), info.inChannels * 4, Math.floor(co / 8) * 32, co * 4, 0,
    ];
    simd(backend).convFilterGrad(...args);
  });
}

/**
 * dx (zeroed, NHWC) += input gradient of a regular convolution, from dy and the filter with its
 * channel axes swapped (wt: [KH, KW, Cout, Cin]).
 */
export function runConvInputGrad(backend: BackendWasm, dy: Info, wt: Info, dx: Info, info: ConvInfo): void {
  const ci = info.inChannels;
  launch(backend, info, (table) => {
    const args: TapArgs = [
      offsetOf(backend, dx), offsetOf(backend, dy), offsetOf(backend, wt), table,
      ...geometryArgs(info, info.outChannels * 4), ci * 4, Math.floor(ci / 8) * 32, info.outChannels * 4, Math.floor(ci / 4) * 16,
    ];
    simd(backend).convInputGrad(...args);
  });
}

/** y (zeroed, NHWC) += forward convolution of x with the filter w [KH, KW, Cin, Cout]. */
export function runConvForward(backend: BackendWasm, x: Info, w: Info, y: Info, info: ConvInfo): void {
  const co = info.outChannels;
  launch(backend, info, (table) => {
    const args: TapArgs = [
      offsetOf(backend, x), offsetOf(backend, y), offsetOf(backend, w), table,
      ...geometryArgs(info, co * 4), co * 4, Math.floor(co / 8) * 32, info.inChannels * 4, Math.floor(co / 4) * 16,
    ];
    simd(backend).convForward(...args);
  });
}
