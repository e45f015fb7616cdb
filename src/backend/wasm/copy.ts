// Data movement kernels. tfjs-backend-wasm's Slice copies the whole input out of the heap
// (readSync) before slicing, SplitV slices through it, Concat copies one row at a time from JS
// and Tile is a generic scalar loop; these become memory.copy runs over the heap.

import * as tf from '@tensorflow/tfjs-core';
import { backend_util, slice_util, util, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import { memoryOf, offsetOf, original, simd, type BackendWasm, type Info } from './backend-access.js';

interface Loop {
  count: number;
  src: number;
  dst: number;
}

/**
 * Copies the box of `size` elements starting at `begin` in `x` to `dstPtr` laid out with
 * `dstStrides` (in elements). Dimensions are merged until at most three loops of one contiguous
 * run remain; any further outer loops run here.
 */
export function stridedCopy(backend: BackendWasm, x: Info, begin: number[], size: number[], dstPtr: number, dstStrides: number[]): void {
  const bytes = util.bytesPerElement(x.dtype);
  const srcStrides = util.computeStrides(x.shape);
  let srcPtr = offsetOf(backend, x);
  const loops: Loop[] = [];
  for (let d = 0; d < x.shape.length; d++) {
    const srcStride = (d === x.shape.length - 1 ? 1 : srcStrides[d]!) * bytes;
    const dstStride = (d === x.shape.length - 1 ? 1 : dstStrides[d]!) * bytes;
    srcPtr += begin[d]! * srcStride;
    if (size[d]! === 0) return;
    if (size[d]! > 1) loops.push({ count: size[d]!, src: srcStride, dst: dstStride });
  }
  let run = bytes;
  while (loops.length > 0 && loops[loops.length - 1]!.src === run && loops[loops.length - 1]!.dst === run) {
    run *= loops.pop()!.count;
  }
  const merged: Loop[] = [];
  for (const l of loops) {
    const prev = merged[merged.length - 1];
    if (prev && prev.src === l.count * l.src && prev.dst === l.count * l.dst) {
      prev.count *= l.count;
      prev.src = l.src;
      prev.dst = l.dst;
    } else {
      merged.push({ ...l });
    }
  }
  while (merged.length < 3) merged.unshift({ count: 1, src: 0, dst: 0 });
  const inner = merged.slice(-3) as [Loop, Loop, Loop];
  const outer = merged.slice(0, -3);
  const kernels = simd(backend);
  const visit = (level: number, s: number, d: number): void => {
    if (level === outer.length) {
      kernels.copy3d(
        s,
        d,
        run,
        inner[0].count,
        inner[0].src,
        inner[0].dst,
        inner[1].count,
        inner[1].src,
        inner[1].dst,
        inner[2].count,
        inner[2].src,
        inner[2].dst,
      );
      return;
    }
    const l = outer[level]!;
    for (let i = 0; i < l.count; i++) visit(level + 1, s + i * l.src, d + i * l.dst);
  };
  visit(0, srcPtr, dstPtr);
}

function sliceInfo(backend: BackendWasm, x: Info, begin: number[], size: number[]): Info {
  const out = backend.makeOutput(size, x.dtype);
  if (util.sizeFromShape(size) > 0) stridedCopy(backend, x, begin, size, offsetOf(backend, out), util.computeStrides(size));
  return out;
}

function fallback(kernelName: string, args: Parameters<KernelFunc>[0]): ReturnType<KernelFunc> {
  const fn = original(kernelName, args.backend as BackendWasm);
  if (!fn) throw new Error(`wasm ${kernelName}: no fallback kernel for this input`);
  return fn({ inputs: args.inputs as Record<string, Info>, attrs: args.attrs as Record<string, unknown>, backend: args.backend as BackendWasm });
}

const slice: KernelFunc = (args) => {
  const { x } = args.inputs as { x: Info };
  if (x.dtype === 'string') return fallback(tf.Slice, args);
  const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
  const [begin_, size_] = slice_util.parseSliceParams(x as tf.TensorInfo as tf.Tensor, begin, size);
  return sliceInfo(args.backend as BackendWasm, x, begin_, size_);
};

const splitV: KernelFunc = (args) => {
  const { x } = args.inputs as { x: Info };
  if (x.dtype === 'string') return fallback(tf.SplitV, args);
  const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
  const ax = util.parseAxisParam(axis, x.shape)[0]!;
  const sizes = backend_util.prepareSplitSize(x as tf.TensorInfo as tf.Tensor, numOrSizeSplits, ax);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = [...x.shape];
    size[ax] = s;
    const piece = sliceInfo(args.backend as BackendWasm, x, [...begin], size);
    begin[ax]! += s;
    return piece;
  });
};

const concat: KernelFunc = (args) => {
  const wasm = args.backend as BackendWasm;
  const inputs = args.inputs as unknown as Info[];
  if (inputs.length === 0 || inputs[0]!.dtype === 'string') return fallback(tf.Concat, args);
  const axis = util.parseAxisParam((args.attrs as { axis: number }).axis, inputs[0]!.shape)[0]!;
  backend_util.assertParamsConsistent(
    inputs.map((t) => t.shape),
    axis,
  );
  const outShape = backend_util.computeOutShape(
    inputs.map((t) => t.shape),
    axis,
  );
  const out = wasm.makeOutput(outShape, inputs[0]!.dtype);
  if (util.sizeFromShape(outShape) === 0) return out;
  const outStrides = util.computeStrides(outShape);
  const outPtr = offsetOf(wasm, out);
  const bytes = util.bytesPerElement(out.dtype);
  const axisStride = axis === outShape.length - 1 ? 1 : outStrides[axis]!;
  let offset = 0;
  for (const t of inputs) {
    if (util.sizeFromShape(t.shape) > 0) {
      stridedCopy(wasm, t, new Array<number>(t.shape.length).fill(0), t.shape, outPtr + offset * axisStride * bytes, outStrides);
    }
    offset += t.shape[axis]!;
  }
  return out;
};

/**
 * Tile whose output is the whole input repeated end to end (every repeated axis lies outside the
 * input's non-unit axes, e.g. BatchNorm's [1, 1, 1, C] -> [N, H, W, C]): one copy, then doubling.
 */
const tile: KernelFunc = (args) => {
  const wasm = args.backend as BackendWasm;
  const { x } = args.inputs as { x: Info };
  const { reps } = args.attrs as unknown as { reps: number[] };
  const firstWide = x.shape.findIndex((d) => d > 1);
  const lastRepeated = reps.reduce((last, r, i) => (r > 1 ? i : last), -1);
  if (x.dtype === 'string' || (firstWide >= 0 && lastRepeated >= firstWide)) return fallback(tf.Tile, args);
  const out = wasm.makeOutput(
    x.shape.map((d, i) => d * reps[i]!),
    x.dtype,
  );
  const block = util.sizeFromShape(x.shape) * util.bytesPerElement(x.dtype);
  const total = block * util.sizeFromShape(reps);
  if (total === 0) return out;
  const heap = new Uint8Array(memoryOf(wasm).buffer);
  const dst = offsetOf(wasm, out);
  heap.copyWithin(dst, offsetOf(wasm, x), offsetOf(wasm, x) + block);
  for (let filled = block; filled < total; filled *= 2) {
    heap.copyWithin(dst + filled, dst, dst + Math.min(filled, total - filled));
  }
  return out;
};

export const sliceConfig: KernelConfig = { kernelName: tf.Slice, backendName: 'wasm', kernelFunc: slice };
export const splitVConfig: KernelConfig = { kernelName: tf.SplitV, backendName: 'wasm', kernelFunc: splitV };
export const concatConfig: KernelConfig = { kernelName: tf.Concat, backendName: 'wasm', kernelFunc: concat };
export const tileConfig: KernelConfig = { kernelName: tf.Tile, backendName: 'wasm', kernelFunc: tile };
