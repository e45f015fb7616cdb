// Index arithmetic shared by the gradient kernels: which filter taps touch which output rows and
// columns, and the paddings that turn a gradient into a forward convolution.

import type { backend_util } from '@tensorflow/tfjs-core';

export type ConvInfo = backend_util.Conv2DInfo;

function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

function ceilDiv(a: number, b: number): number {
  return Math.ceil(a / b);
}

/** For one spatial axis: the output positions whose input index o*stride + k*dilation - pad is in range. */
export function tapRanges(
  inSize: number,
  outSize: number,
  filterSize: number,
  stride: number,
  dilation: number,
  pad: number,
): { lo: Int32Array; hi: Int32Array; base: Int32Array } {
  const lo = new Int32Array(filterSize);
  const hi = new Int32Array(filterSize);
  const base = new Int32Array(filterSize);
  for (let k = 0; k < filterSize; k++) {
    const shift = k * dilation - pad; // input index of output 0 for this tap
    lo[k] = Math.max(0, ceilDiv(-shift, stride));
    hi[k] = Math.max(lo[k]!, Math.min(outSize, floorDiv(inSize - 1 - shift, stride) + 1));
    base[k] = shift;
  }
  return { lo, hi, base };
}

/**
 * The int32 table the depthwise SIMD kernels read:
 * ohLo[KH], ohHi[KH], rowBase[KH], owLo[KW], owHi[KW], colOffsetBytes[KW].
 */
export function depthwiseTapTable(info: ConvInfo): Int32Array {
  const rows = tapRanges(info.inHeight, info.outHeight, info.filterHeight, info.strideHeight, info.dilationHeight, info.padInfo.top);
  const cols = tapRanges(info.inWidth, info.outWidth, info.filterWidth, info.strideWidth, info.dilationWidth, info.padInfo.left);
  const KH = info.filterHeight;
  const KW = info.filterWidth;
  const table = new Int32Array(3 * KH + 3 * KW);
  table.set(rows.lo, 0);
  table.set(rows.hi, KH);
  table.set(rows.base, 2 * KH);
  table.set(cols.lo, 3 * KH);
  table.set(cols.hi, 3 * KH + KW);
  for (let k = 0; k < KW; k++) {
    const firstCol = cols.lo[k]! * info.strideWidth + cols.base[k]!;
    table[3 * KH + 2 * KW + k] = cols.lo[k]! < cols.hi[k]! ? firstCol * info.inChannels * 4 : 0;
  }
  return table;
}

/**
 * Explicit paddings of the stride-1 correlation of the (zero-inserted) output gradient with the
 * 180°-rotated filter that yields the input gradient: [top, bottom, left, right].
 * The dilated gradient has (out - 1) * stride + 1 rows.
 */
export function inputGradPads(info: ConvInfo): [number, number, number, number] {
  const effKH = (info.filterHeight - 1) * info.dilationHeight + 1;
  const effKW = (info.filterWidth - 1) * info.dilationWidth + 1;
  const rowsD = (info.outHeight - 1) * info.strideHeight + 1;
  const colsD = (info.outWidth - 1) * info.strideWidth + 1;
  const top = effKH - 1 - info.padInfo.top;
  const left = effKW - 1 - info.padInfo.left;
  const bottom = info.inHeight + info.padInfo.top - rowsD;
  const right = info.inWidth + info.padInfo.left - colsD;
  return [top, bottom, left, right];
}

/**
 * Paddings [top, bottom, left, right] of the convolution that computes a filter gradient with the
 * input as a batch of `inChannels` images and the output gradient as the filter (dilated by the
 * stride), so that the result has exactly filterHeight x filterWidth pixels.
 */
export function filterGradPads(info: ConvInfo): [number, number, number, number] {
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const bottom = info.filterHeight + (info.outHeight - 1) * info.strideHeight - info.inHeight - top;
  const right = info.filterWidth + (info.outWidth - 1) * info.strideWidth - info.inWidth - left;
  return [top, bottom, left, right];
}

export function allNonNegative(values: number[]): boolean {
  return values.every((v) => v >= 0);
}
