// SIMD microkernels that run directly on the heap of the tfjs wasm backend: window kernels
// (depthwise convolution and its gradients, max-pool gradient, regular convolution gradients),
// reductions over leading axes, elementwise arithmetic with broadcasting, per-channel affine maps
// and strided copies.
// All pointers are byte offsets into that heap; all loops are vectorised over channels, which
// NHWC keeps contiguous, so each kernel requires the channel count to be a multiple of 4.

import { encodeModule, FunctionBuilder, type Local } from './assembler.js';
import { emitTapLoops, type TapRun } from './tap-loops.js';
import { KernelWorkers } from './workers.js';

/** Parameters of every tap kernel, in this order (all i32, byte sizes). */
const TAP_PARAMS = [
  'img',
  'dy',
  'acc',
  'table',
  'N',
  'imgBatchBytes',
  'imgRowBytes',
  'imgColStepBytes',
  'OH',
  'dyRowBytes',
  'KH',
  'KW',
  'strideH',
  'cBytes',
  'cBlockBytes',
  'aux0',
  'aux1',
] as const;

type TapParamName = (typeof TAP_PARAMS)[number];

function tapFunction(name: string): { f: FunctionBuilder; p: Record<TapParamName, Local> } {
  const f = new FunctionBuilder(
    name,
    TAP_PARAMS.map(() => 'i32' as const),
  );
  const p = Object.fromEntries(TAP_PARAMS.map((n, i) => [n, f.params[i]!])) as Record<TapParamName, Local>;
  return { f, p };
}

type DepthwiseMode = 'forward' | 'filterGrad' | 'inputGrad' | 'maxPoolGrad';

const DEPTHWISE_NAMES: Record<DepthwiseMode, string> = {
  forward: 'dwForward',
  filterGrad: 'dwFilterGrad',
  inputGrad: 'dwInputGrad',
  maxPoolGrad: 'maxPoolGrad',
};

/**
 * Per-channel window kernels (img and dy have the same C channels; cBlockBytes = bytes of the
 * channels handled 16 at a time):
 * - 'forward':     dy[n, oh, ow, c] += img[n, ih, iw, c] * acc[kh, kw, c]   (img = x, dy = y, acc = W)
 * - 'filterGrad':  acc[kh, kw, c] += img[n, ih, iw, c] * dy[n, oh, ow, c]  (img = x, acc = dW)
 * - 'inputGrad':   img[n, ih, iw, c] += dy[n, oh, ow, c] * acc[kh, kw, c]  (img = dx, acc = W)
 * - 'maxPoolGrad': img = x; dx (at img + aux0) receives dy at the first tap, in row-major scan
 *   order, whose x equals the pooled output (at dy + aux1), as tfjs's reference kernel does;
 *   `acc` is a scratch row of OW*C floats marking the outputs already routed.
 */
function depthwiseKernel(mode: DepthwiseMode): FunctionBuilder {
  const { f, p } = tapFunction(DEPTHWISE_NAMES[mode]);
  const accP = f.local('i32');
  const cb = f.local('i32');
  const i = f.local('i32');
  const imgP = f.local('i32');
  const dyP = f.local('i32');
  const foundP = f.local('i32');
  const v = [f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128')];
  const eq = f.local('v128');
  const found = f.local('v128');

  const vectorBlock = (run: TapRun, lanes: number) => {
    if (mode === 'maxPoolGrad') {
      f.get(accP).get(cb).i32Add().set(foundP);
    } else {
      // acc holds running sums (filterGrad) or filter weights (forward, inputGrad) for this tap.
      for (let j = 0; j < lanes; j++)
        f.get(accP)
          .get(cb)
          .i32Add()
          .v128Load(16 * j)
          .set(v[j]!);
    }
    f.get(run.imgStart).get(cb).i32Add().set(imgP);
    f.get(run.dyStart).get(cb).i32Add().set(dyP);
    f.forUp(
      i,
      () => f.i32(0),
      () => f.get(run.cnt),
      1,
      () => {
        for (let j = 0; j < lanes; j++) {
          const o = 16 * j;
          if (mode === 'filterGrad') {
            f.get(v[j]!).get(imgP).v128Load(o).get(dyP).v128Load(o).f32x4Mul().f32x4Add().set(v[j]!);
          } else if (mode === 'forward') {
            f.get(dyP);
            f.get(dyP).v128Load(o).get(imgP).v128Load(o).get(v[j]!).f32x4Mul().f32x4Add();
            f.v128Store(o);
          } else if (mode === 'inputGrad') {
            f.get(imgP);
            f.get(imgP).v128Load(o).get(dyP).v128Load(o).get(v[j]!).f32x4Mul().f32x4Add();
            f.v128Store(o);
          } else {
            // eq = (x == out) & ~found; dx += eq & dy; found |= eq
            f.get(foundP).v128Load(o).set(found);
            f.get(imgP).v128Load(o).get(dyP).get(p.aux1).i32Add().v128Load(o).f32x4Eq().get(found).v128AndNot().set(eq);
            f.get(imgP).get(p.aux0).i32Add();
            f.get(imgP).get(p.aux0).i32Add().v128Load(o).get(dyP).v128Load(o).get(eq).v128And().f32x4Add();
            f.v128Store(o);
            f.get(foundP).get(found).get(eq).v128Or().v128Store(o);
          }
        }
        f.inc(imgP, p.imgColStepBytes).inc(dyP, p.cBytes);
        if (mode === 'maxPoolGrad') f.inc(foundP, p.cBytes);
      },
    );
    if (mode === 'filterGrad') {
      for (let j = 0; j < lanes; j++)
        f.get(accP)
          .get(cb)
          .i32Add()
          .get(v[j]!)
          .v128Store(16 * j);
    }
  };

  emitTapLoops(
    f,
    { ...p, dyPixelBytes: p.cBytes },
    (run) => {
      if (mode === 'maxPoolGrad') {
        f.get(p.acc).get(run.lo).get(p.cBytes).i32Mul().i32Add().set(accP);
      } else {
        f.get(p.acc).get(run.kh).get(p.KW).i32Mul().get(run.kw).i32Add().get(p.cBytes).i32Mul().i32Add().set(accP);
      }
      f.forUp(
        cb,
        () => f.i32(0),
        () => f.get(p.cBlockBytes),
        64,
        () => vectorBlock(run, 4),
      );
      f.forUp(
        cb,
        () => f.get(p.cBlockBytes),
        () => f.get(p.cBytes),
        16,
        () => vectorBlock(run, 1),
      );
    },
    mode === 'maxPoolGrad' ? () => f.get(p.acc).i32(0).get(p.dyRowBytes).memoryFill() : undefined,
  );
  return f;
}

/**
 * Filter gradient of a regular convolution, dW[kh, kw, ci, co] += sum x[n, ih, iw, ci] * dy[n, oh, ow, co],
 * as register-tiled outer products: tiles of 4 input channels x 8 output channels stay in
 * registers while a run of output columns streams by. cBytes = Cin * 4, aux0 = Cout * 4 (the
 * pixel stride of dy and row stride of dW), aux1 = bytes of the output channels to compute (Cout * 4,
 * or less for a part of them: dy and acc then point at the part's first channel), cBlockBytes =
 * those handled 8 at a time; the rest 4 at a time, so aux1 must be a multiple of 16.
 */
function convFilterGradKernel(): FunctionBuilder {
  const { f, p } = tapFunction('convFilterGrad');
  const coutBytes = p.aux0;
  const tapW = f.local('i32');
  const ci = f.local('i32');
  const cob = f.local('i32');
  const i = f.local('i32');
  const xp = f.local('i32');
  const dp = f.local('i32');
  const wp = f.local('i32');
  const acc = Array.from({ length: 8 }, () => f.local('v128'));
  const b = [f.local('v128'), f.local('v128')];
  const a = f.local('v128');
  const xStart = f.local('i32');
  const dStart = f.local('i32');
  const cnt = f.local('i32');
  const cin = f.local('i32');
  const cin4 = f.local('i32');

  const tile = (rows: number, vecs: number) => {
    // wp = tapW + ci * coutBytes + cob
    f.get(tapW).get(ci).get(coutBytes).i32Mul().i32Add().get(cob).i32Add().set(wp);
    for (let r = 0; r < rows; r++) {
      for (let v = 0; v < vecs; v++) {
        f.get(wp);
        if (r > 0) f.get(coutBytes).i32(r).i32Mul().i32Add();
        f.v128Load(16 * v).set(acc[r * 2 + v]!);
      }
    }
    f.get(xStart).get(ci).i32(4).i32Mul().i32Add().set(xp);
    f.get(dStart).get(cob).i32Add().set(dp);
    f.forUp(
      i,
      () => f.i32(0),
      () => f.get(cnt),
      1,
      () => {
        for (let v = 0; v < vecs; v++)
          f.get(dp)
            .v128Load(16 * v)
            .set(b[v]!);
        for (let r = 0; r < rows; r++) {
          f.get(xp)
            .f32Load(4 * r)
            .f32x4Splat()
            .set(a);
          for (let v = 0; v < vecs; v++) {
            f.get(acc[r * 2 + v]!)
              .get(a)
              .get(b[v]!)
              .f32x4Mul()
              .f32x4Add()
              .set(acc[r * 2 + v]!);
          }
        }
        f.inc(xp, p.imgColStepBytes).inc(dp, coutBytes);
      },
    );
    for (let r = 0; r < rows; r++) {
      for (let v = 0; v < vecs; v++) {
        f.get(wp);
        if (r > 0) f.get(coutBytes).i32(r).i32Mul().i32Add();
        f.get(acc[r * 2 + v]!).v128Store(16 * v);
      }
    }
  };

  // cin = cBytes / 4; cin4 = cin rounded down to a multiple of 4
  f.get(p.cBytes).i32(2).i32ShrU().set(cin);
  f.get(cin).i32(-4).i32And().set(cin4);

  emitTapLoops(f, { ...p, dyPixelBytes: coutBytes }, (run) => {
    f.get(run.imgStart).set(xStart);
    f.get(run.dyStart).set(dStart);
    f.get(run.cnt).set(cnt);
    // tapW = dW + (kh * KW + kw) * Cin * Cout * 4
    f.get(p.acc).get(run.kh).get(p.KW).i32Mul().get(run.kw).i32Add().get(cin).i32Mul().get(coutBytes).i32Mul().i32Add().set(tapW);
    f.forUp(
      ci,
      () => f.i32(0),
      () => f.get(cin4),
      4,
      () => {
        f.forUp(
          cob,
          () => f.i32(0),
          () => f.get(p.cBlockBytes),
          32,
          () => tile(4, 2),
        );
        f.forUp(
          cob,
          () => f.get(p.cBlockBytes),
          () => f.get(p.aux1),
          16,
          () => tile(4, 1),
        );
      },
    );
    f.forUp(
      ci,
      () => f.get(cin4),
      () => f.get(cin),
      1,
      () => {
        f.forUp(
          cob,
          () => f.i32(0),
          () => f.get(p.cBlockBytes),
          32,
          () => tile(1, 2),
        );
        f.forUp(
          cob,
          () => f.get(p.cBlockBytes),
          () => f.get(p.aux1),
          16,
          () => tile(1, 1),
        );
      },
    );
  });
  return f;
}

/**
 * Register-tiled GEMM over the taps of a regular convolution: for every run of output columns,
 * tiles of 4 pixels x 8 channels of the accumulated side are loaded, updated with the sum over K
 * channels of the read side times the tap's weight rows, and stored back.
 * - 'convInputGrad': dx[n, ih, iw, ci] += sum_co dy[n, oh, ow, co] * Wt[kh, kw, co, ci]
 *   (accumulates on the img side; Wt is the filter with its channel axes swapped).
 * - 'convForward':   y[n, oh, ow, co] += sum_ci x[n, ih, iw, ci] * W[kh, kw, ci, co]
 *   (accumulates on the dy side).
 * cBytes = bytes of the accumulated channels per pixel (Ci*4 resp. Co*4), aux0 = bytes of the K
 * channels read per pixel, cBlockBytes = accumulated bytes handled 8 channels at a time, aux1 =
 * those handled 4 at a time (the rest one at a time). The accumulated tensor starts zeroed.
 */
function convGemmKernel(mode: 'convInputGrad' | 'convForward'): FunctionBuilder {
  const { f, p } = tapFunction(mode);
  const kBytes = p.aux0;
  const tapW = f.local('i32');
  const px = f.local('i32');
  const cnt4 = f.local('i32');
  const cib = f.local('i32');
  const k = f.local('i32');
  const accP = f.local('i32');
  const readP = f.local('i32');
  const wp = f.local('i32');
  const rp = f.local('i32');
  const accStart = f.local('i32');
  const readStart = f.local('i32');
  const cnt = f.local('i32');
  const kCount = f.local('i32');
  const accStep = f.local('i32');
  const readStep = f.local('i32');
  const acc = Array.from({ length: 8 }, () => f.local('v128'));
  const b = [f.local('v128'), f.local('v128')];
  const a = f.local('v128');
  const sacc = Array.from({ length: 4 }, () => f.local('f32'));
  const sw = f.local('f32');

  const accAddr = (r: number) => {
    f.get(accP);
    if (r > 0) f.get(accStep).i32(r).i32Mul().i32Add();
  };
  const readAddr = (r: number) => {
    f.get(rp);
    if (r > 0) f.get(readStep).i32(r).i32Mul().i32Add();
  };
  const tile = (pixels: number, vecs: number) => {
    for (let r = 0; r < pixels; r++) {
      for (let v = 0; v < vecs; v++) {
        accAddr(r);
        f.get(cib)
          .i32Add()
          .v128Load(16 * v)
          .set(acc[r * 2 + v]!);
      }
    }
    f.get(tapW).get(cib).i32Add().set(wp);
    f.get(readP).set(rp);
    f.forUp(
      k,
      () => f.i32(0),
      () => f.get(kCount),
      1,
      () => {
        for (let v = 0; v < vecs; v++)
          f.get(wp)
            .v128Load(16 * v)
            .set(b[v]!);
        for (let r = 0; r < pixels; r++) {
          readAddr(r);
          f.f32Load().f32x4Splat().set(a);
          for (let v = 0; v < vecs; v++) {
            f.get(acc[r * 2 + v]!)
              .get(a)
              .get(b[v]!)
              .f32x4Mul()
              .f32x4Add()
              .set(acc[r * 2 + v]!);
          }
        }
        f.inc(wp, p.cBytes).inc(rp, 4);
      },
    );
    for (let r = 0; r < pixels; r++) {
      for (let v = 0; v < vecs; v++) {
        accAddr(r);
        f.get(cib)
          .i32Add()
          .get(acc[r * 2 + v]!)
          .v128Store(16 * v);
      }
    }
  };
  /** One accumulated channel (at byte offset cib) for `pixels` pixels, in scalar arithmetic. */
  const scalarTile = (pixels: number) => {
    for (let r = 0; r < pixels; r++) {
      accAddr(r);
      f.get(cib).i32Add().f32Load().set(sacc[r]!);
    }
    f.get(tapW).get(cib).i32Add().set(wp);
    f.get(readP).set(rp);
    f.forUp(
      k,
      () => f.i32(0),
      () => f.get(kCount),
      1,
      () => {
        f.get(wp).f32Load().set(sw);
        for (let r = 0; r < pixels; r++) {
          f.get(sacc[r]!);
          readAddr(r);
          f.f32Load().get(sw).f32Mul().f32Add().set(sacc[r]!);
        }
        f.inc(wp, p.cBytes).inc(rp, 4);
      },
    );
    for (let r = 0; r < pixels; r++) {
      accAddr(r);
      f.get(cib).i32Add().get(sacc[r]!).f32Store();
    }
  };
  const pixelBlock = (pixels: number) => {
    f.get(accStart).get(px).get(accStep).i32Mul().i32Add().set(accP);
    f.get(readStart).get(px).get(readStep).i32Mul().i32Add().set(readP);
    f.forUp(
      cib,
      () => f.i32(0),
      () => f.get(p.cBlockBytes),
      32,
      () => tile(pixels, 2),
    );
    f.forUp(
      cib,
      () => f.get(p.cBlockBytes),
      () => f.get(p.aux1),
      16,
      () => tile(pixels, 1),
    );
    f.forUp(
      cib,
      () => f.get(p.aux1),
      () => f.get(p.cBytes),
      4,
      () => scalarTile(pixels),
    );
  };

  f.get(kBytes).i32(2).i32ShrU().set(kCount);
  const forward = mode === 'convForward';
  // Per pixel of a run, the img side moves by imgColStepBytes and the dy side by its pixel bytes.
  f.get(forward ? p.cBytes : p.imgColStepBytes).set(accStep);
  f.get(forward ? p.imgColStepBytes : kBytes).set(readStep);
  emitTapLoops(f, { ...p, dyPixelBytes: forward ? p.cBytes : kBytes }, (run) => {
    f.get(forward ? run.dyStart : run.imgStart).set(accStart);
    f.get(forward ? run.imgStart : run.dyStart).set(readStart);
    f.get(run.cnt).set(cnt);
    f.get(cnt).i32(-4).i32And().set(cnt4);
    // tapW = W + (kh * KW + kw) * K * accumulated channels * 4
    f.get(p.acc).get(run.kh).get(p.KW).i32Mul().get(run.kw).i32Add().get(kCount).i32Mul().get(p.cBytes).i32Mul().i32Add().set(tapW);
    f.forUp(
      px,
      () => f.i32(0),
      () => f.get(cnt4),
      4,
      () => pixelBlock(4),
    );
    f.forUp(
      px,
      () => f.get(cnt4),
      () => f.get(cnt),
      1,
      () => pixelBlock(1),
    );
  });
  return f;
}

type BinaryOp = 'add' | 'sub' | 'mul' | 'div';
const BINARY_OPS: BinaryOp[] = ['add', 'sub', 'mul', 'div'];
export type OperandMode = 'v' | 's';

/**
 * out = a OP b over `blocks` blocks of `len` elements; per block a and b advance by aStep/bStep
 * bytes (0 repeats a broadcast operand). An operand in mode 's' is one scalar. Named e.g. "mul_vs".
 */
function binaryKernel(op: BinaryOp, aMode: OperandMode, bMode: OperandMode): FunctionBuilder {
  const f = new FunctionBuilder(`${op}_${aMode}${bMode}`, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [a, aStep, b, bStep, out, blocks, len] = f.params as Local[];
  const blk = f.local('i32');
  const i = f.local('i32');
  const len4 = f.local('i32');
  const ap = f.local('i32');
  const bp = f.local('i32');
  const op4 = f.local('i32');
  const av = f.local('v128');
  const bv = f.local('v128');
  const as = f.local('f32');
  const bs = f.local('f32');
  const vecOp = { add: 0xe4, sub: 0xe5, mul: 0xe6, div: 0xe7 }[op];
  const scalarOp = { add: 0x92, sub: 0x93, mul: 0x94, div: 0x95 }[op];

  if (aMode === 's') f.get(a!).f32Load().tee(as).f32x4Splat().set(av);
  if (bMode === 's') f.get(b!).f32Load().tee(bs).f32x4Splat().set(bv);
  f.get(len!).i32(-4).i32And().set(len4);
  f.get(a!).set(ap);
  f.get(b!).set(bp);
  f.get(out!).set(op4);
  f.forUp(
    blk,
    () => f.i32(0),
    () => f.get(blocks!),
    1,
    () => {
      f.forUp(
        i,
        () => f.i32(0),
        () => f.get(len4),
        4,
        () => {
          f.get(op4);
          if (aMode === 's') f.get(av);
          else f.get(ap).get(i).i32(4).i32Mul().i32Add().v128Load();
          if (bMode === 's') f.get(bv);
          else f.get(bp).get(i).i32(4).i32Mul().i32Add().v128Load();
          f.simdOp(vecOp);
          f.v128Store();
          f.inc(op4, 16);
        },
      );
      f.forUp(
        i,
        () => f.get(len4),
        () => f.get(len!),
        1,
        () => {
          f.get(op4);
          if (aMode === 's') f.get(as);
          else f.get(ap).get(i).i32(4).i32Mul().i32Add().f32Load();
          if (bMode === 's') f.get(bs);
          else f.get(bp).get(i).i32(4).i32Mul().i32Add().f32Load();
          f.emit(scalarOp);
          f.f32Store();
          f.inc(op4, 4);
        },
      );
      f.inc(ap, aStep!).inc(bp, bStep!);
    },
  );
  return f;
}

/**
 * out[r, c] = (x[r, c] - mean[c]) * mul[c] + add[c] over `rows` rows of C channels (C % 4 == 0):
 * batch normalisation with mul = scale / sqrt(variance + epsilon) and add = offset.
 */
function channelAffineKernel(): FunctionBuilder {
  const f = new FunctionBuilder('channelAffine', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [x, out, mean, mul, add, rows, cBytes] = f.params as Local[];
  const r = f.local('i32');
  const c = f.local('i32');
  const xp = f.local('i32');
  const op = f.local('i32');
  f.get(x!).set(xp);
  f.get(out!).set(op);
  f.forUp(
    r,
    () => f.i32(0),
    () => f.get(rows!),
    1,
    () => {
      f.forUp(
        c,
        () => f.i32(0),
        () => f.get(cBytes!),
        16,
        () => {
          f.get(op).get(c).i32Add();
          f.get(xp).get(c).i32Add().v128Load().get(mean!).get(c).i32Add().v128Load().f32x4Sub();
          f.get(mul!).get(c).i32Add().v128Load().f32x4Mul();
          f.get(add!).get(c).i32Add().v128Load().f32x4Add();
          f.v128Store();
        },
      );
      f.inc(xp, cBytes!).inc(op, cBytes!);
    },
  );
  return f;
}

/**
 * Per-channel sums over `rows` rows of C channels (C % 4 == 0) in chunks of 64 rows, for the
 * BatchNorm statistics and gradient:
 * - 'sumSqDev': out[c] = scale * sum_r (x[r, c] - mean[c])^2
 * - 'gradSums': out[c] = sum_r dy[r, c], out[C + c] = sum_r dy[r, c] * (x[r, c] - mean[c])
 */
function channelSumsKernel(mode: 'sumSqDev' | 'gradSums'): FunctionBuilder {
  const f = new FunctionBuilder(mode, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'f32']);
  const [x, dy, mean, out, rows, cBytes, scale] = f.params as Local[];
  const cb = f.local('i32');
  const chunk = f.local('i32');
  const r = f.local('i32');
  const rEnd = f.local('i32');
  const xp = f.local('i32');
  const dp = f.local('i32');
  const m = f.local('v128');
  const d = f.local('v128');
  const g = f.local('v128');
  const [t1, t2, p1, p2] = [f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128')];
  f.forUp(
    cb,
    () => f.i32(0),
    () => f.get(cBytes!),
    16,
    () => {
      f.get(mean!).get(cb).i32Add().v128Load().set(m);
      f.v128Zero().set(t1);
      f.v128Zero().set(t2);
      f.forUp(
        chunk,
        () => f.i32(0),
        () => f.get(rows!),
        64,
        () => {
          f.v128Zero().set(p1);
          f.v128Zero().set(p2);
          f.get(chunk).i32(64).i32Add().set(rEnd);
          f.ifThen(
            () => f.get(rows!).get(rEnd).i32LtS(),
            () => f.get(rows!).set(rEnd),
          );
          f.get(x!).get(chunk).get(cBytes!).i32Mul().i32Add().get(cb).i32Add().set(xp);
          f.get(dy!).get(chunk).get(cBytes!).i32Mul().i32Add().get(cb).i32Add().set(dp);
          f.forUp(
            r,
            () => f.get(chunk),
            () => f.get(rEnd),
            1,
            () => {
              f.get(xp).v128Load().get(m).f32x4Sub().set(d);
              if (mode === 'sumSqDev') {
                f.get(p1).get(d).get(d).f32x4Mul().f32x4Add().set(p1);
              } else {
                f.get(dp).v128Load().set(g);
                f.get(p1).get(g).f32x4Add().set(p1);
                f.get(p2).get(g).get(d).f32x4Mul().f32x4Add().set(p2);
                f.inc(dp, cBytes!);
              }
              f.inc(xp, cBytes!);
            },
          );
          f.get(t1).get(p1).f32x4Add().set(t1);
          f.get(t2).get(p2).f32x4Add().set(t2);
        },
      );
      f.get(out!).get(cb).i32Add().get(t1).get(scale!).f32x4Splat().f32x4Mul().v128Store();
      if (mode === 'gradSums') f.get(out!).get(cBytes!).i32Add().get(cb).i32Add().get(t2).v128Store();
    },
  );
  return f;
}

/**
 * The BatchNorm input gradient, out[r, c] = dy[r, c] * A[c] + (x[r, c] - mean[c]) * B[c] + D[c],
 * with coef = [A, B, D] (3C floats) computed from the gradient sums.
 */
function bnGradApplyKernel(): FunctionBuilder {
  const f = new FunctionBuilder('bnGradApply', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [x, dy, mean, coef, out, rows, cBytes] = f.params as Local[];
  const r = f.local('i32');
  const c = f.local('i32');
  const xp = f.local('i32');
  const dp = f.local('i32');
  const op = f.local('i32');
  const co = f.local('i32');
  f.get(x!).set(xp);
  f.get(dy!).set(dp);
  f.get(out!).set(op);
  f.forUp(
    r,
    () => f.i32(0),
    () => f.get(rows!),
    1,
    () => {
      f.forUp(
        c,
        () => f.i32(0),
        () => f.get(cBytes!),
        16,
        () => {
          f.get(coef!).get(c).i32Add().set(co);
          f.get(op).get(c).i32Add();
          f.get(dp).get(c).i32Add().v128Load().get(co).v128Load().f32x4Mul();
          f.get(xp).get(c).i32Add().v128Load().get(mean!).get(c).i32Add().v128Load().f32x4Sub();
          f.get(co).get(cBytes!).i32Add().v128Load().f32x4Mul().f32x4Add();
          f.get(co).get(cBytes!).i32Add().get(cBytes!).i32Add().v128Load().f32x4Add();
          f.v128Store();
        },
      );
      f.inc(xp, cBytes!).inc(dp, cBytes!).inc(op, cBytes!);
    },
  );
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
    f.forUp(
      chunk,
      () => f.i32(0),
      () => f.get(R!),
      64,
      () => {
        for (let j = 0; j < lanes; j++) f.v128Zero().set(part[j]!);
        // rEnd = min(chunk + 64, R)
        f.get(chunk).i32(64).i32Add().set(rEnd);
        f.ifThen(
          () => f.get(R!).get(rEnd).i32LtS(),
          () => f.get(R!).set(rEnd),
        );
        f.get(base).get(chunk).get(cBytes!).i32Mul().i32Add().get(cb).i32Add().set(p);
        f.forUp(
          r,
          () => f.get(chunk),
          () => f.get(rEnd),
          1,
          () => {
            for (let j = 0; j < lanes; j++)
              f.get(part[j]!)
                .get(p)
                .v128Load(16 * j)
                .f32x4Add()
                .set(part[j]!);
            f.inc(p, cBytes!);
          },
        );
        for (let j = 0; j < lanes; j++) f.get(total[j]!).get(part[j]!).f32x4Add().set(total[j]!);
      },
    );
    for (let j = 0; j < lanes; j++) {
      f.get(dst!).get(a).get(cBytes!).i32Mul().i32Add().get(cb).i32Add();
      f.get(total[j]!).get(scale!).f32x4Splat().f32x4Mul();
      f.v128Store(16 * j);
    }
  };

  f.forUp(
    a,
    () => f.i32(0),
    () => f.get(A!),
    1,
    () => {
      f.get(src!).get(a).get(R!).i32Mul().get(cBytes!).i32Mul().i32Add().set(base);
      f.forUp(
        cb,
        () => f.i32(0),
        () => f.get(c16Bytes!),
        64,
        () => block(4),
      );
      f.forUp(
        cb,
        () => f.get(c16Bytes!),
        () => f.get(cBytes!),
        16,
        () => block(1),
      );
    },
  );
  return f;
}

/**
 * Up to three nested loops of contiguous runs: the general strided copy behind slice/concat.
 * Runs of at most 256 bytes that are whole vectors (e.g. 16..64 channels of a pixel) are copied
 * with v128 loads/stores; memory.copy costs more per call than such a run takes to move.
 */
function copy3dKernel(): FunctionBuilder {
  const f = new FunctionBuilder('copy3d', [
    'i32',
    'i32',
    'i32', // src, dst, runBytes
    'i32',
    'i32',
    'i32', // n0, srcStride0, dstStride0
    'i32',
    'i32',
    'i32', // n1, srcStride1, dstStride1
    'i32',
    'i32',
    'i32', // n2, srcStride2, dstStride2
  ]);
  const [src, dst, run, n0, s0, d0, n1, s1, d1, n2, s2, d2] = f.params as Local[];
  const i0 = f.local('i32');
  const i1 = f.local('i32');
  const i2 = f.local('i32');
  const ps1 = f.local('i32');
  const pd1 = f.local('i32');
  const ps2 = f.local('i32');
  const pd2 = f.local('i32');
  const b = f.local('i32');
  const vectorRuns = f.local('i32');
  // vectorRuns = run % 16 == 0 && run <= 256
  f.get(run!).i32(15).i32And().i32Eqz().get(run!).i32(257).i32LtS().i32And().set(vectorRuns);
  f.forUp(
    i0,
    () => f.i32(0),
    () => f.get(n0!),
    1,
    () => {
      f.get(src!).get(i0).get(s0!).i32Mul().i32Add().set(ps1);
      f.get(dst!).get(i0).get(d0!).i32Mul().i32Add().set(pd1);
      f.forUp(
        i1,
        () => f.i32(0),
        () => f.get(n1!),
        1,
        () => {
          f.get(ps1).set(ps2);
          f.get(pd1).set(pd2);
          f.forUp(
            i2,
            () => f.i32(0),
            () => f.get(n2!),
            1,
            () => {
              f.ifElse(
                () => f.get(vectorRuns),
                () => {
                  f.forUp(
                    b,
                    () => f.i32(0),
                    () => f.get(run!),
                    16,
                    () => {
                      f.get(pd2).get(b).i32Add().get(ps2).get(b).i32Add().v128Load().v128Store();
                    },
                  );
                },
                () => f.get(pd2).get(ps2).get(run!).memoryCopy(),
              );
              f.inc(ps2, s2!).inc(pd2, d2!);
            },
          );
          f.inc(ps1, s1!).inc(pd1, d1!);
        },
      );
    },
  );
  return f;
}

/** Arguments of the tap kernels (byte sizes; see `TAP_PARAMS`). */
export type TapArgs = [
  img: number,
  dy: number,
  acc: number,
  table: number,
  n: number,
  imgBatchBytes: number,
  imgRowBytes: number,
  imgColStepBytes: number,
  oh: number,
  dyRowBytes: number,
  kh: number,
  kw: number,
  strideH: number,
  cBytes: number,
  cBlockBytes: number,
  aux0: number,
  aux1: number,
];

export interface SimdKernels {
  dwForward(...args: TapArgs): void;
  dwFilterGrad(...args: TapArgs): void;
  dwInputGrad(...args: TapArgs): void;
  maxPoolGrad(...args: TapArgs): void;
  convFilterGrad(...args: TapArgs): void;
  convInputGrad(...args: TapArgs): void;
  convForward(...args: TapArgs): void;
  channelAffine(x: number, out: number, mean: number, mul: number, add: number, rows: number, cBytes: number): void;
  sumSqDev(x: number, unused: number, mean: number, out: number, rows: number, cBytes: number, scale: number): void;
  gradSums(x: number, dy: number, mean: number, out: number, rows: number, cBytes: number, unused: number): void;
  bnGradApply(x: number, dy: number, mean: number, coef: number, out: number, rows: number, cBytes: number): void;
  sumRows(src: number, dst: number, a: number, r: number, cBytes: number, c16Bytes: number, scale: number): void;
  copy3d(
    src: number,
    dst: number,
    runBytes: number,
    n0: number,
    srcStride0: number,
    dstStride0: number,
    n1: number,
    srcStride1: number,
    dstStride1: number,
    n2: number,
    srcStride2: number,
    dstStride2: number,
  ): void;
}

export type BinaryKernelName = `${BinaryOp}_${'vv' | 'sv' | 'vs'}`;
export type BinaryKernel = (a: number, aStep: number, b: number, bStep: number, out: number, blocks: number, len: number) => void;

/** Every exported kernel of the module. */
export type Kernels = SimdKernels & Record<BinaryKernelName, BinaryKernel>;

const instances = new WeakMap<WebAssembly.Memory, Kernels>();
const modules = new WeakMap<WebAssembly.Memory, WebAssembly.Module>();
const workerPools = new WeakMap<WebAssembly.Memory, KernelWorkers>();

/** Kernels whose calls may be split across worker threads (see tap-kernels.ts). */
export const SPLITTABLE_KERNELS = ['convFilterGrad', 'convInputGrad', 'dwForward', 'dwInputGrad'] as const;

/**
 * `workerCount` worker threads running the microkernels over `memory`, which must be shared
 * (the threaded wasm build's); started on first use, once per memory.
 */
export function simdWorkersFor(memory: WebAssembly.Memory, workerCount: number): KernelWorkers {
  simdKernelsFor(memory);
  let pool = workerPools.get(memory);
  if (!pool || pool.workerCount !== workerCount) {
    pool = new KernelWorkers(modules.get(memory)!, memory, SPLITTABLE_KERNELS, workerCount);
    workerPools.set(memory, pool);
  }
  return pool;
}

/** Instantiates the microkernels over `memory` (once per memory). */
export function simdKernelsFor(memory: WebAssembly.Memory): Kernels {
  const cached = instances.get(memory);
  if (cached) return cached;
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const bytes = encodeModule({ module: 'env', field: 'memory', shared, maximumPages: shared ? 65536 : undefined }, [
    depthwiseKernel('forward'),
    depthwiseKernel('filterGrad'),
    depthwiseKernel('inputGrad'),
    depthwiseKernel('maxPoolGrad'),
    convFilterGradKernel(),
    convGemmKernel('convInputGrad'),
    convGemmKernel('convForward'),
    ...BINARY_OPS.flatMap((op) => [binaryKernel(op, 'v', 'v'), binaryKernel(op, 's', 'v'), binaryKernel(op, 'v', 's')]),
    channelAffineKernel(),
    channelSumsKernel('sumSqDev'),
    channelSumsKernel('gradSums'),
    bnGradApplyKernel(),
    sumRowsKernel(),
    copy3dKernel(),
  ]);
  const module = new WebAssembly.Module(bytes);
  modules.set(memory, module);
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const kernels = instance.exports as unknown as Kernels;
  instances.set(memory, kernels);
  return kernels;
}
