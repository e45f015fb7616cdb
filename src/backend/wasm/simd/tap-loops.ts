// The loop nest shared by every windowed kernel (depthwise and regular convolution gradients,
// max-pool gradient): images, output rows, filter taps whose input row is inside the image, and
// for each tap the run of output columns whose input column is inside too. The run bounds come
// from a small int32 table the caller fills (`depthwiseTapTable` in ../geometry.ts), so the kernel
// needs no division and no per-pixel bounds checks.

import type { FunctionBuilder, Local } from './assembler.js';

export interface TapLoopParams {
  /** base of the NHWC input-side tensor (x, or dx) */
  img: Local;
  /** base of the NHWC output-side tensor (dy, or y) */
  dy: Local;
  /** table: ohLo[KH], ohHi[KH], rowBase[KH], owLo[KW], owHi[KW], colOffsetBytes[KW] */
  table: Local;
  N: Local;
  imgBatchBytes: Local;
  imgRowBytes: Local;
  OH: Local;
  dyRowBytes: Local;
  KH: Local;
  KW: Local;
  strideH: Local;
  /** bytes of one dy pixel (its channel count * 4) */
  dyPixelBytes: Local;
}

export interface TapRun {
  kh: Local;
  kw: Local;
  /** number of output columns in the run (> 0) */
  cnt: Local;
  /** first output column of the run */
  lo: Local;
  /** img address of the input pixel under the run's first output column, for this tap */
  imgStart: Local;
  /** dy address of the run's first output pixel */
  dyStart: Local;
  /** dy address of the current row's first pixel */
  dyRow: Local;
}

/**
 * Emits the loops; `onRow` runs once per (image, output row) before its taps, `onRun` once per
 * non-empty run.
 */
export function emitTapLoops(f: FunctionBuilder, p: TapLoopParams, onRun: (run: TapRun) => void, onRow?: (dyRow: Local) => void): void {
  const n = f.local('i32');
  const oh = f.local('i32');
  const kh = f.local('i32');
  const kw = f.local('i32');
  const imgN = f.local('i32');
  const dyN = f.local('i32');
  const dyRow = f.local('i32');
  const imgRow = f.local('i32');
  const lo = f.local('i32');
  const cnt = f.local('i32');
  const imgStart = f.local('i32');
  const dyStart = f.local('i32');

  const tableAt = (slot: () => void) => {
    f.get(p.table);
    slot();
    f.i32(4).i32Mul().i32Add().i32Load();
  };
  const kwSlot = (base: number) => () => f.get(p.KH).i32(3).i32Mul().get(p.KW).i32(base).i32Mul().i32Add().get(kw).i32Add();

  f.forUp(
    n,
    () => f.i32(0),
    () => f.get(p.N),
    1,
    () => {
      f.get(p.img).get(n).get(p.imgBatchBytes).i32Mul().i32Add().set(imgN);
      f.get(p.dy).get(n).get(p.OH).i32Mul().get(p.dyRowBytes).i32Mul().i32Add().set(dyN);
      f.forUp(
        oh,
        () => f.i32(0),
        () => f.get(p.OH),
        1,
        () => {
          f.get(dyN).get(oh).get(p.dyRowBytes).i32Mul().i32Add().set(dyRow);
          onRow?.(dyRow);
          f.forUp(
            kh,
            () => f.i32(0),
            () => f.get(p.KH),
            1,
            () => {
              f.ifThen(
                () => {
                  // ohLo[kh] <= oh && oh < ohHi[kh]
                  f.get(oh);
                  tableAt(() => f.get(kh));
                  f.i32GeS();
                  f.get(oh);
                  tableAt(() => f.get(p.KH).get(kh).i32Add());
                  f.i32LtS();
                  f.i32And();
                },
                () => {
                  // imgRow = imgN + (oh * strideH + rowBase[kh]) * imgRowBytes
                  f.get(imgN).get(oh).get(p.strideH).i32Mul();
                  tableAt(() => f.get(p.KH).i32(2).i32Mul().get(kh).i32Add());
                  f.i32Add().get(p.imgRowBytes).i32Mul().i32Add().set(imgRow);
                  f.forUp(
                    kw,
                    () => f.i32(0),
                    () => f.get(p.KW),
                    1,
                    () => {
                      tableAt(kwSlot(0));
                      f.set(lo);
                      tableAt(kwSlot(1));
                      f.get(lo).i32Sub().set(cnt);
                      f.ifThen(
                        () => f.i32(0).get(cnt).i32LtS(),
                        () => {
                          f.get(imgRow);
                          tableAt(kwSlot(2));
                          f.i32Add().set(imgStart);
                          f.get(dyRow).get(lo).get(p.dyPixelBytes).i32Mul().i32Add().set(dyStart);
                          onRun({ kh, kw, cnt, lo, imgStart, dyStart, dyRow });
                        },
                      );
                    },
                  );
                },
              );
            },
          );
        },
      );
    },
  );
}
