// SIMD microkernels that run directly on the heap of the tfjs wasm backend, for the two depthwise
// gradients XNNPACK cannot express and for the zero-insertion ("dilation") of strided gradients.
// All pointers are byte offsets into that heap; all loops are vectorised over channels, which
// NHWC keeps contiguous, so each kernel requires the channel count to be a multiple of 4.

import { encodeModule, FunctionBuilder, type Local } from './assembler.js';

/**
 * Shared loop nest of the depthwise gradients. For every image row `oh` of dy and every filter tap
 * (kh, kw) whose input row/columns fall inside the image, it walks the valid output columns:
 * - mode 'filterGrad': acc[kh, kw, c] += img[n, ih, iw, c] * dy[n, oh, ow, c]  (img = x, acc = dW)
 * - mode 'inputGrad':  img[n, ih, iw, c] += dy[n, oh, ow, c] * acc[kh, kw, c]  (img = dx, acc = W)
 * The per-tap ranges come from a table that the caller fills (see `tapTable` in depthwise.ts).
 */
function depthwiseTapKernel(mode: 'filterGrad' | 'inputGrad'): FunctionBuilder {
  const f = new FunctionBuilder(mode === 'filterGrad' ? 'dwFilterGrad' : 'dwInputGrad', [
    'i32', 'i32', 'i32', 'i32', // img, dy, acc, table
    'i32', 'i32', 'i32', 'i32', // N, imgBatchBytes, imgRowBytes, imgColStepBytes
    'i32', 'i32', 'i32', 'i32', // OH, dyRowBytes, KH, KW
    'i32', 'i32', 'i32', // strideH, cBytes, c16Bytes
  ]);
  const [img, dy, acc, table, N, imgBatch, imgRow, imgColStep, OH, dyRow, KH, KW, strideH, cBytes, c16Bytes] =
    f.params;
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
  const v = [f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128')];

  // table layout (i32): ohLo[KH], ohHi[KH], rowBase[KH], owLo[KW], owHi[KW], colOffBytes[KW]
  const tableAt = (slot: (fb: FunctionBuilder) => void) => {
    f.get(table);
    slot(f);
    f.i32(4).i32Mul().i32Add().i32Load();
  };

  const vectorBlock = (lanes: number) => {
    // Load `lanes` vectors of acc (filterGrad: running sums; inputGrad: filter weights).
    for (let j = 0; j < lanes; j++) {
      f.get(accP).get(cb).i32Add().v128Load(16 * j).set(v[j]!);
    }
    f.get(imgP0).get(cb).i32Add().set(imgP);
    f.get(dyP0).get(cb).i32Add().set(dyP);
    f.forUp(i, () => f.i32(0), () => f.get(cnt), 1, () => {
      for (let j = 0; j < lanes; j++) {
        if (mode === 'filterGrad') {
          f.get(v[j]!).get(imgP).v128Load(16 * j).get(dyP).v128Load(16 * j).f32x4Mul().f32x4Add().set(v[j]!);
        } else {
          f.get(imgP);
          f.get(imgP).v128Load(16 * j).get(dyP).v128Load(16 * j).get(v[j]!).f32x4Mul().f32x4Add();
          f.v128Store(16 * j);
        }
      }
      f.inc(imgP, imgColStep).inc(dyP, cBytes);
    });
    if (mode === 'filterGrad') {
      for (let j = 0; j < lanes; j++) {
        f.get(accP).get(cb).i32Add().get(v[j]!).v128Store(16 * j);
      }
    }
  };

  f.forUp(n, () => f.i32(0), () => f.get(N), 1, () => {
    f.get(img).get(n).get(imgBatch).i32Mul().i32Add().set(imgN);
    f.get(dy).get(n).get(OH).i32Mul().get(dyRow).i32Mul().i32Add().set(dyN);
    f.forUp(oh, () => f.i32(0), () => f.get(OH), 1, () => {
      f.get(dyN).get(oh).get(dyRow).i32Mul().i32Add().set(dyRowPtr);
      f.forUp(kh, () => f.i32(0), () => f.get(KH), 1, () => {
        // if (oh >= ohLo[kh] && oh < ohHi[kh])
        f.ifThen(
          () => {
            f.get(oh);
            tableAt(() => f.get(kh));
            f.i32GeS();
            f.get(oh);
            tableAt(() => f.get(KH).get(kh).i32Add());
            f.i32LtS();
            f.emit(0x71); // i32.and
          },
          () => {
            // imgRowPtr = imgN + (oh * strideH + rowBase[kh]) * imgRow
            f.get(imgN).get(oh).get(strideH).i32Mul();
            tableAt(() => f.get(KH).i32(2).i32Mul().get(kh).i32Add());
            f.i32Add().get(imgRow).i32Mul().i32Add().set(imgRowPtr);
            f.forUp(kw, () => f.i32(0), () => f.get(KW), 1, () => {
              const kwSlot = (base: number) => () =>
                f.get(KH).i32(3).i32Mul().get(KW).i32(base).i32Mul().i32Add().get(kw).i32Add();
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
                  f.get(dyRowPtr).get(lo).get(cBytes).i32Mul().i32Add().set(dyP0);
                  f.get(acc).get(kh).get(KW).i32Mul().get(kw).i32Add().get(cBytes).i32Mul().i32Add().set(accP);
                  f.forUp(cb, () => f.i32(0), () => f.get(c16Bytes), 64, () => vectorBlock(4));
                  f.forUp(cb, () => f.get(c16Bytes), () => f.get(cBytes), 16, () => vectorBlock(1));
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

export interface SimdKernels {
  dwFilterGrad(
    x: number, dy: number, acc: number, table: number,
    n: number, imgBatchBytes: number, imgRowBytes: number, imgColStepBytes: number,
    oh: number, dyRowBytes: number, kh: number, kw: number,
    strideH: number, cBytes: number, c16Bytes: number,
  ): void;
  dwInputGrad(
    dx: number, dy: number, w: number, table: number,
    n: number, imgBatchBytes: number, imgRowBytes: number, imgColStepBytes: number,
    oh: number, dyRowBytes: number, kh: number, kw: number,
    strideH: number, cBytes: number, c16Bytes: number,
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
    depthwiseTapKernel('filterGrad'),
    depthwiseTapKernel('inputGrad'),
    dilateKernel(),
  ]);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  const kernels = instance.exports as unknown as SimdKernels;
  instances.set(memory, kernels);
  return kernels;
}
