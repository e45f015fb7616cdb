// Launches the tap-table SIMD kernels for one convolution or pooling geometry. With XNNPACK
// threads on, large calls are split across the SIMD worker threads (simd/workers.ts): by image
// where each image writes its own output, by output channels for the convolution filter gradient.

import { offsetOf, simd, simdWorkers, withScratch, writeInt32, type BackendWasm, type Info } from './backend-access.js';
import { depthwiseTapTable, type ConvInfo } from './geometry.js';
import type { SPLITTABLE_KERNELS, TapArgs } from './simd/kernels.js';

type SplittableKernel = (typeof SPLITTABLE_KERNELS)[number];

/**
 * Multiply-adds below which a call stays on one thread: handing a part to a worker and waiting
 * for it costs tens of microseconds, a call of 2^22 MACs takes ~0.3 ms.
 */
const MIN_SPLIT_MACS = 1 << 22;

/** Runs `args` on this thread, or as the parts `split` makes of it on this thread and the workers. */
function dispatch(backend: BackendWasm, name: SplittableKernel, args: TapArgs, macs: number, split: (parts: number) => TapArgs[]): void {
  const local = simd(backend)[name];
  const workers = macs >= MIN_SPLIT_MACS ? simdWorkers(backend) : undefined;
  const parts = workers ? split(workers.threads) : [];
  if (!workers || parts.length <= 1) local(...args);
  else workers.run(name, local, parts);
}

/** Splits a call over its images (args[4]); each part must only write its own images' output. */
function byImage(args: TapArgs, parts: number): TapArgs[] {
  const [img, dy, , , n, imgBatchBytes, , , oh, dyRowBytes] = args;
  const out: TapArgs[] = [];
  for (let p = 0, first = 0; p < parts && first < n; p++) {
    const count = Math.ceil((n - first) / (parts - p));
    const part = [...args] as TapArgs;
    part[0] = img + first * imgBatchBytes;
    part[1] = dy + first * oh * dyRowBytes;
    part[4] = count;
    out.push(part);
    first += count;
  }
  return out;
}

export type DepthwiseKernelName = 'dwForward' | 'dwFilterGrad' | 'dwInputGrad' | 'maxPoolGrad';

/** Multiply-adds of a windowed kernel over `info` with `perTap` of them per tap and output pixel. */
function macsOf(info: ConvInfo, perTap: number): number {
  return info.batchSize * info.outHeight * info.outWidth * info.filterHeight * info.filterWidth * perTap;
}

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
    info.batchSize,
    info.inHeight * info.inWidth * inBytes,
    info.inWidth * inBytes,
    info.strideWidth * inBytes,
    info.outHeight,
    info.outWidth * pixelBytes,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
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
    // Forward and input gradient write per-image outputs; the filter gradient sums over images
    // and maxPoolGrad shares its scratch row, so those stay on one thread.
    if (kernel === 'dwForward' || kernel === 'dwInputGrad') {
      dispatch(backend, kernel, args, macsOf(info, c), (parts) => byImage(args, parts));
    } else {
      simd(backend)[kernel](...args);
    }
  });
}

/** dW (zeroed, [KH, KW, Cin, Cout]) += filter gradient of a regular convolution; Cout % 4 == 0. */
export function runConvFilterGrad(backend: BackendWasm, x: Info, dy: Info, dW: Info, info: ConvInfo): void {
  const co = info.outChannels;
  launch(backend, info, (table) => {
    const args: TapArgs = [
      offsetOf(backend, x),
      offsetOf(backend, dy),
      offsetOf(backend, dW),
      table,
      ...geometryArgs(info, co * 4),
      info.inChannels * 4,
      Math.floor(co / 8) * 32,
      co * 4,
      co * 4,
    ];
    // Every image adds to all of dW: split its output channels instead, in multiples of 8.
    dispatch(backend, 'convFilterGrad', args, macsOf(info, info.inChannels * co), (parts) => {
      const chunk = Math.ceil(co / parts / 8) * 8;
      const out: TapArgs[] = [];
      for (let first = 0; first < co; first += chunk) {
        const count = Math.min(chunk, co - first);
        const part = [...args] as TapArgs;
        part[1] += first * 4;
        part[2] += first * 4;
        part[14] = Math.floor(count / 8) * 32;
        part[16] = count * 4;
        out.push(part);
      }
      return out;
    });
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
      offsetOf(backend, dx),
      offsetOf(backend, dy),
      offsetOf(backend, wt),
      table,
      ...geometryArgs(info, info.outChannels * 4),
      ci * 4,
      Math.floor(ci / 8) * 32,
      info.outChannels * 4,
      Math.floor(ci / 4) * 16,
    ];
    dispatch(backend, 'convInputGrad', args, macsOf(info, ci * info.outChannels), (parts) => byImage(args, parts));
  });
}

/** y (zeroed, NHWC) += forward convolution of x with the filter w [KH, KW, Cin, Cout]. */
export function runConvForward(backend: BackendWasm, x: Info, w: Info, y: Info, info: ConvInfo): void {
  const co = info.outChannels;
  launch(backend, info, (table) => {
    const args: TapArgs = [
      offsetOf(backend, x),
      offsetOf(backend, y),
      offsetOf(backend, w),
      table,
      ...geometryArgs(info, co * 4),
      co * 4,
      Math.floor(co / 8) * 32,
      info.inChannels * 4,
      Math.floor(co / 4) * 16,
    ];
    // Only runs without XNNPACK threads (with them, XNNPACK's forward is as fast): no workers.
    simd(backend).convForward(...args);
  });
}
