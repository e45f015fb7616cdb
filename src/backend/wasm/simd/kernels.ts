// SIMD microkernels that run directly on the heap of the tfjs wasm backend, for the work XNNPACK
// cannot express (depthwise and max-pool gradients, reductions over leading axes) and for strided
// copies (slices, concatenation, zero-insertion of strided gradients).
// All pointers are byte offsets into that heap; all loops are vectorised over channels, which
// NHWC keeps contiguous, so each kernel requires the channel count to be a multiple of 4.

import { encodeModule, FunctionBuilder, type Local } from './assembler.js';

type TapMode = 'filterGrad' | 'inputGrad' | 'maxPoolGrad';

const TAP_KERNEL_NAMES: Record<TapMode, string> = {
  filterGrad: 'dwFilterGrad',
  inputGrad: 'dwInputGrad',
  maxPoolGrad: 'maxPoolGrad',
};

/**
 * Shared loop nest of the window gradients. For every row `oh` of dy and every filter tap (kh, kw)
 * whose input row/columns fall inside the image, it walks the valid output columns:
 * - 'filterGrad':  acc[kh, kw, c] += img[n, ih, iw, c] * dy[n, oh, ow, c]  (img = x, acc = dW)
 * - 'inputGrad':   img[n, ih, iw, c] += dy[n, oh, ow, c] * acc[kh, kw, c]  (img = dx, acc = W)
 * - 'maxPoolGrad': img = x; dx (at img + dxDelta) receives dy at the first tap, in row-major scan
 *   order, whose x equals the pooled output (at dy + outDelta), as tfjs's reference kernel does;
 *   `acc` is a scratch row of OW*C floats marking the outputs already routed.
 * The per-tap ranges come from a table the caller fills (`depthwiseTapTable` in geometry.ts).
 */
function tapKernel(mode: TapMode): FunctionBuilder {
  const f = new FunctionBuilder(TAP_KERNEL_NAMES[mode], [
    'i32', 'i32', 'i32', 'i32', // img, dy, acc, table
    'i32', 'i32', 'i32', 'i32', // N, imgBatchBytes, imgRowBytes, imgColStepBytes
    'i32', 'i32', 'i32', 'i32', // OH, dyRowBytes, KH, KW
    'i32', 'i32', 'i32', // strideH, cBytes, c16Bytes
    'i32', 'i32', // dxDelta, outDelta (maxPoolGrad only)
  ]);
  const [img, dy, acc, table, N, imgBatch, imgRow, imgColStep, OH, dyRow, KH, KW, strideH, cBytes, c16Bytes, dxDelta, outDelta] =
    f.params as Local[];
  const n = f.local('i32');
  const oh = f.local('i32');
  const kh = f.local('i32');
  const kw = f.local('i32');
  const imgN = f.local('i32');
  const dyN = f.local('i32');
  const dyRowPtr = f.local('i32');
  const imgRowPtr = f.local('i32');
  const lo = f.local('i32');
  const cnt = f.local('i32');
  const imgP0 = f.local('i32');
  const dyP0 = f.local('i32');
  const accP = f.local('i32');
  const cb = f.local('i32');
  const i = f.local('i32');
  const imgP = f.local('i32');
  const dyP = f.local('i32');
  const foundP = f.local('i32');
  const v = [f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128')];
  const eq = f.local('v128');
  const found = f.local('v128');

  // table layout (i32): ohLo[KH], ohHi[KH], rowBase[KH], owLo[KW], owHi[KW], colOffBytes[KW]
  const tableAt = (slot: () => void) => {
    f.get(table!);
    slot();
    f.i32(4).i32Mul().i32Add().i32Load();
  };

  const vectorBlock = (lanes: number) => {
    if (mode !== 'maxPoolGrad') {
      // acc holds running sums (filterGrad) or filter weights (inputGrad) for this tap.
      for (let j = 0; j < lanes; j++) f.get(accP).get(cb).i32Add().v128Load(16 * j).set(v[j]!);
    } else {
      f.get(accP).get(cb).i32Add().set(foundP);
    }
    f.get(imgP0).get(cb).i32Add().set(imgP);
    f.get(dyP0).get(cb).i32Add().set(dyP);
    f.forUp(i, () => f.i32(0), () => f.get(cnt), 1, () => {
      for (let j = 0; j < lanes; j++) {
        const o = 16 * j;
        if (mode === 'filterGrad') {
          f.get(v[j]!).get(imgP).v128Load(o).get(dyP).v128Load(o).f32x4Mul().f32x4Add().set(v[j]!);
        } else if (mode === 'inputGrad') {
          f.get(imgP);
          f.get(imgP).v128Load(o).get(dyP).v128Load(o).get(v[j]!).f32x4Mul().f32x4Add();
          f.v128Store(o);
        } else {
          // eq = (x == out) & ~found; dx += eq & dy; found |= eq
          f.get(foundP).v128Load(o).set(found);
          f.get(imgP).v128Load(o).get(dyP).get(outDelta!).i32Add().v128Load(o).f32x4Eq().get(found).v128AndNot().set(eq);
          f.get(imgP).get(dxDelta!).i32Add();
          f.get(imgP).get(dxDelta!).i32Add().v128Load(o).get(dyP).v128Load(o).get(eq).v128And().f32x4Add();
          f.v128Store(o);
          f.get(foundP).get(found).get(eq).v128Or().v128Store(o);
        }
      }
      f.inc(imgP, imgColStep!).inc(dyP, cBytes!);
      if (mode === 'maxPoolGrad') f.inc(foundP, cBytes!);
    });
    if (mode === 'filterGrad') {
      for (let j = 0; j < lanes; j++) f.get(accP).get(cb).i32Add().get(v[j]!).v128Store(16 * j);
    }
  };

  f.forUp(n, () => f.i32(0), () => f.get(N!), 1, () => {
    f.get(img!).get(n).get(imgBatch!).i32Mul().i32Add().set(imgN);
    f.get(dy!).get(n).get(OH!).i32Mul().get(dyRow!).i32Mul().i32Add().set(dyN);
    f.forUp(oh, () => f.i32(0), () => f.get(OH!), 1, () => {
      f.get(dyN).get(oh).get(dyRow!).i32Mul().i32Add().set(dyRowPtr);
      if (mode === 'maxPoolGrad') f.get(acc!).i32(0).get(dyRow!).memoryFill();
      f.forUp(kh, () => f.i32(0), () => f.get(KH!), 1, () => {
        // if (ohLo[kh] <= oh && oh < ohHi[kh])
        f.ifThen(
          () => {
            f.get(oh);
            tableAt(() => f.get(kh));
            f.i32GeS();
            f.get(oh);
            tableAt(() => f.get(KH!).get(kh).i32Add());
            f.i32LtS();
            f.emit(0x71); // i32.and
          },
          () => {
            // imgRowPtr = imgN + (oh * strideH + rowBase[kh]) * imgRow
            f.get(imgN).get(oh).get(strideH!).i32Mul();
            tableAt(() => f.get(KH!).i32(2).i32Mul().get(kh).i32Add());
            f.i32Add().get(imgRow!).i32Mul().i32Add().set(imgRowPtr);
            f.forUp(kw, () => f.i32(0), () => f.get(KW!), 1, () => {
              const kwSlot = (base: number) => () =>
                f.get(KH!).i32(3).i32Mul().get(KW!).i32(base).i32Mul().i32Add().get(kw).i32Add();
              tableAt(kwSlot(0));
              f.set(lo);
              tableAt(kwSlot(1));
              f.get(lo).i32Sub().set(cnt);
              f.ifThen(
                () => f.i32(0).get(cnt).i32LtS(),
                () => {
                  f.get(imgRowPtr);
                  tableAt(kwSlot(2));
                  f.i32Add().set(imgP0);
                  f.get(dyRowPtr).get(lo).get(cBytes!).i32Mul().i32Add().set(dyP0);
                  if (mode === 'maxPoolGrad') {
                    f.get(acc!).get(lo).get(cBytes!).i32Mul().i32Add().set(accP);
                  } else {
                    f.get(acc!).get(kh).get(KW!).i32Mul().get(kw).i32Add().get(cBytes!).i32Mul().i32Add().set(accP);
                  }
                  f.forUp(cb, () => f.i32(0), () => f.get(c16Bytes!), 64, () => vectorBlock(4));
                  f.forUp(cb, () => f.get(c16Bytes!), () => f.get(cBytes!), 16, () => vectorBlock(1));
                },
              );
            });
          },
        );
      });
    });
  });
  return f;
}

/**
 * out[a, c] = scale * sum_r src[a, r, c]: a reduction over the middle axis of [A, R, C], in
 * chunks of 64 rows so float32 rounding grows with R/64 + 64 rather than R.
 */
function sumRowsKernel(): FunctionBuilder {
  const f = new FunctionBuilder('sumRows', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'f32']);
  const [src, dst, A, R, cBytes, c16Bytes, scale] = f.params as Local[];
  const a = f.local('i32');
  const cb = f.local('i32');
  const r = f.local('i32');
  const rEnd = f.local('i32');
  const chunk = f.local('i32');
  const p = f.local('i32');
  const base = f.local('i32');
  const total = [f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128')];
  const part = [f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128')];

  const block = (lanes: number) => {
    for (let j = 0; j < lanes; j++) f.v128Zero().set(total[j]!);
    f.forUp(chunk, () => f.i32(0), () => f.get(R!), 64, () => {
      for (let j = 0; j < lanes; j++) f.v128Zero().set(part[j]!);
      // rEnd = min(chunk + 64, R)
      f.get(chunk).i32(64).i32Add().set(rEnd);
      f.ifThen(() => f.get(R!).get(rEnd).i32LtS(), () => f.get(R!).set(rEnd));
      f.get(base).get(chunk).get(cBytes!).i32Mul().i32Add().get(cb).i32Add().set(p);
      f.forUp(r, () => f.get(chunk), () => f.get(rEnd), 1, () => {
        for (let j = 0; j < lanes; j++) f.get(part[j]!).get(p).v128Load(16 * j).f32x4Add().set(part[j]!);
        f.inc(p, cBytes!);
      });
      for (let j = 0; j < lanes; j++) f.get(total[j]!).get(part[j]!).f32x4Add().set(total[j]!);
    });
    for (let j = 0; j < lanes; j++) {
      f.get(dst!).get(a).get(cBytes!).i32Mul().i32Add().get(cb).i32Add();
      f.get(total[j]!).get(scale!).f32x4Splat().f32x4Mul();
      f.v128Store(16 * j);
    }
  };

  f.forUp(a, () => f.i32(0), () => f.get(A!), 1, () => {
    f.get(src!).get(a).get(R!).i32Mul().get(cBytes!).i32Mul().i32Add().set(base);
    f.forUp(cb, () => f.i32(0), () => f.get(c16Bytes!), 64, () => block(4));
    f.forUp(cb, () => f.get(c16Bytes!), () => f.get(cBytes!), 16, () => block(1));
  });
  return f;
}

/** Up to three nested loops of memory.copy runs: the general strided copy behind slice/concat. */
function copy3dKernel(): FunctionBuilder {
  const f = new FunctionBuilder('copy3d', [
    'i32', 'i32', 'i32', // src, dst, runBytes
    'i32', 'i32', 'i32', // n0, srcStride0, dstStride0
    'i32', 'i32', 'i32', // n1, srcStride1, dstStride1
    'i32', 'i32', 'i32', // n2, srcStride2, dstStride2
  ]);
  const [src, dst, run, n0, s0, d0, n1, s1, d1, n2, s2, d2] = f.params as Local[];
  const i0 = f.local('i32');
  const i1 = f.local('i32');
  const i2 = f.local('i32');
  const ps1 = f.local('i32');
  const pd1 = f.local('i32');
  const ps2 = f.local('i32');
  const pd2 = f.local('i32');
  f.forUp(i0, () => f.i32(0), () => f.get(n0!), 1, () => {
    f.get(src!).get(i0).get(s0!).i32Mul().i32Add().set(ps1);
    f.get(dst!).get(i0).get(d0!).i32Mul().i32Add().set(pd1);
    f.forUp(i1, () => f.i32(0), () => f.get(n1!), 1, () => {
      f.get(ps1).set(ps2);
      f.get(pd1).set(pd2);
      f.forUp(i2, () => f.i32(0), () => f.get(n2!), 1, () => {
        f.get(pd2).get(ps2).get(run!).memoryCopy();
        f.inc(ps2, s2!).inc(pd2, d2!);
      });
      f.inc(ps1, s1!).inc(pd1, d1!);
    });
  });
  return f;
}

/**
 * Scatters pixels of src [N, OH, OW, C] to dst [N, Hd, Wd, C] at (oh * sH + offH, ow * sW + offW)
 * and zero-fills everything else: the zero-insertion that turns a strided convolution's gradient
 * into a stride-1 convolution.
 */
function dilateKernel(): FunctionBuilder {
  const f = new FunctionBuilder('dilate', [
    'i32', 'i32', 'i32', // src, dst, dstTotalBytes
    'i32', 'i32', 'i32', 'i32', // N, OH, OW, cBytes
    'i32', 'i32', 'i32', // dstBatchBytes, dstRowStepBytes, dstColStepBytes
    'i32', // dstOffsetBytes (of pixel (offH, offW) within an image)
  ]);
  const [src, dst, total, N, OH, OW, cBytes, dBatch, dRowStep, dColStep, dOff] = f.params as Local[] as [
    Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local,
  ];
  const n = f.local('i32');
  const oh = f.local('i32');
  const ow = f.local('i32');
  const s = f.local('i32');
  const dRow = f.local('i32');
  const d = f.local('i32');
  f.get(dst).i32(0).get(total).memoryFill();
  f.get(src).set(s);
  f.forUp(n, () => f.i32(0), () => f.get(N), 1, () => {
    f.get(dst).get(n).get(dBatch).i32Mul().i32Add().get(dOff).i32Add().set(dRow);
    f.forUp(oh, () => f.i32(0), () => f.get(OH), 1, () => {
      f.get(dRow).set(d);
      f.forUp(ow, () => f.i32(0), () => f.get(OW), 1, () => {
        f.get(d).get(s).get(cBytes).memoryCopy();
        f.inc(s, cBytes).inc(d, dColStep);
      });
      f.inc(dRow, dRowStep);
    });
  });
  return f;
}

/** Arguments shared by the tap-table kernels (byte sizes; see `tapKernel`). */
type TapArgs = [
  img: number, dy: number, acc: number, table: number,
  n: number, imgBatchBytes: number, imgRowBytes: number, imgColStepBytes: number,
  oh: number, dyRowBytes: number, kh: number, kw: number,
  strideH: number, cBytes: number, c16Bytes: number,
  dxDelta: number, outDelta: number,
];

export interface SimdKernels {
  dwFilterGrad(...args: TapArgs): void;
  dwInputGrad(...args: TapArgs): void;
  maxPoolGrad(...args: TapArgs): void;
  sumRows(src: number, dst: number, a: number, r: number, cBytes: number, c16Bytes: number, scale: number): void;
  copy3d(
    src: number, dst: number, runBytes: number,
    n0: number, srcStride0: number, dstStride0: number,
    n1: number, srcStride1: number, dstStride1: number,
    n2: number, srcStride2: number, dstStride2: number,
  ): void;
  dilate(
    src: number, dst: number, dstTotalBytes: number,
    n: number, oh: number, ow: number, cBytes: number,
    dstBatchBytes: number, dstRowStepBytes: number, dstColStepBytes: number, dstOffsetBytes: number,
  ): void;
}

const instances = new WeakMap<WebAssembly.Memory, SimdKernels>();

/** Instantiates the microkernels over `memory` (once per memory). */
export function simdKernelsFor(memory: WebAssembly.Memory): SimdKernels {
  const cached = instances.get(memory);
  if (cached) return cached;
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const bytes = encodeModule({ module: 'env', field: 'memory', shared, maximumPages: shared ? 65536 : undefined }, [
    tapKernel('filterGrad'),
    tapKernel('inputGrad'),
    tapKernel('maxPoolGrad'),
    sumRowsKernel(),
    copy3dKernel(),
    dilateKernel(),
  ]);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  const kernels = instance.exports as unknown as SimdKernels;
  instances.set(memory, kernels);
  return kernels;
}
