// The weight-sharing network of ENAS (Pham et al. 2018) over the NASNet space: one set of weights
// from which every child of docs/design/child-network.md can be computed. The layout is the
// child's, with every choice given its own weights:
//   - stem, each cell's input preparations (the older input's 3x3 stride-2 or 1x1 conv is fixed by
//     the cell's position in the stack, not by the architecture) and the reductions: one weight set;
//   - every block slot (cell, block, operand j) holds weights for each operation (sep_3x3/5x5/7x7:
//     depthwise + pointwise + BN); the weights of a slot are shared whichever input feeds it, as
//     ENAS shares them; pools and identity have none;
//   - each block's concat combine (2C -> C) and each cell's output 1x1 conv. The cell output always
//     concatenates all of its blocks (the spec leaves no block out), so its width is blocks x C for
//     every architecture: one weight of that size serves every choice, no slicing is needed.
// A forward pass for an architecture computes only its path: the operations it chose, the cells
// that can affect the output (liveCells) and the inputs some block reads (usedInputs), so only the
// weights on the path get gradients.
//
// BatchNorm has no moving statistics: it always normalizes with the statistics of the batch it is
// given (training mode), when training and when scoring. The path changes every step, so a moving
// average would mix the statistics of different architectures; ENAS does the same. Scoring on a
// batch of validation images is therefore scoring in training-mode BN, batch by batch.
//
// Weights are plain tf.Variables. Adam is nascent's own (SharedAdam), keyed by variable name with a
// step count per variable: tfjs's Adam pairs its moments with the gradients by position in the
// gradient map, which is wrong as soon as the set of variables with a gradient changes, and it is
// here on every step. A variable off the path is not touched (no decay of its moments either).
import * as tf from '@tensorflow/tfjs-core';
import { batchNormTrain } from '../child/batch-norm.js';
import { OPERATIONS, type Block, type Cell, type CellPair, type Operation } from '../../spaces/nasnet/types.js';
import { frame, unframe } from '../../util/framed.js';
import { Rng } from '../../util/random.js';
import { avgPool3x3ExcludePad } from '../child/avg-pool.js';
import { BN_EPSILON, CELL_STACK, liveCells, usedInputs, validateBuildOptions, validateChildCells } from '../child/build.js';

export interface SupernetOptions {
  /** Channels of the five cells, bottom to top; the stem has channels[0]. */
  channels: number[];
  /** Blocks per cell. */
  blocks: number;
  hierarchical?: boolean;
  numClasses?: number;
  /** [height, width, channels] of the images. */
  inputShape?: [number, number, number];
  /** Every initial weight is a function of this seed. */
  seed?: number;
}

const SEP_KERNEL: Partial<Record<Operation, number>> = { sep_3x3: 3, sep_5x5: 5, sep_7x7: 7 };

/** The supernet's weights and the forward pass of any architecture of its space. */
export class Supernet {
  readonly options: Required<SupernetOptions>;
  private readonly vars = new Map<string, tf.Variable>();
  private readonly rng: Rng;
  private readonly prefix: string;
  private static instances = 0;

  constructor(opts: SupernetOptions) {
    const o = { hierarchical: false, numClasses: 10, inputShape: [32, 32, 3] as [number, number, number], seed: 1, ...opts };
    validateBuildOptions({ channels: o.channels, numClasses: o.numClasses, inputShape: o.inputShape });
    if (!Number.isInteger(o.blocks) || o.blocks < 1) throw new Error(`blocks must be a positive integer, got ${o.blocks}`);
    this.options = o;
    this.rng = new Rng(o.seed);
    // tf.Variable names are global to the engine: two supernets in one process must not collide.
    this.prefix = `supernet${Supernet.instances++}/`;
    this.create();
  }

  /** Every weight, in a fixed order (creation order), by its name inside the supernet. */
  get variables(): ReadonlyMap<string, tf.Variable> {
    return this.vars;
  }

  /** Number of scalar weights in the supernet. */
  get size(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  private glorot(name: string, shape: number[], fanIn: number, fanOut: number): void {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++) values[i] = (this.rng.next() * 2 - 1) * limit;
    this.vars.set(name, tf.variable(tf.tensor(values, shape), true, this.prefix + name));
  }

  private constant(name: string, shape: number[], value: number): void {
    this.vars.set(name, tf.variable(tf.fill(shape, value), true, this.prefix + name));
  }

  private convWeight(name: string, k: number, cin: number, cout: number): void {
    this.glorot(name, [k, k, cin, cout], k * k * cin, k * k * cout);
  }

  private bnWeights(name: string, c: number): void {
    this.constant(`${name}/gamma`, [c], 1);
    this.constant(`${name}/beta`, [c], 0);
  }

  private create(): void {
    const { channels, blocks, numClasses, inputShape } = this.options;
    this.convWeight('stem/conv', 3, inputShape[2], channels[0]);
    this.bnWeights('stem/bn', channels[0]);
    // state j is the stem for j < 2, else the output of cell j - 2
    const stateChannels = [channels[0], channels[0]];
    const scales = [1, 1];
    CELL_STACK.forEach(({ kind, stride }, i) => {
      const c = channels[i];
      const at = `cell${i}`;
      const olderIsWider = scales[i] !== scales[i + 1];
      this.convWeight(`${at}/prep0/conv`, olderIsWider ? 3 : 1, stateChannels[i], c);
      this.bnWeights(`${at}/prep0/bn`, c);
      this.convWeight(`${at}/prep1/conv`, 1, stateChannels[i + 1], c);
      this.bnWeights(`${at}/prep1/bn`, c);
      if (stride === 2) {
        for (const j of [0, 1]) {
          this.convWeight(`${at}/reduce${j}/conv`, 3, c, c);
          this.bnWeights(`${at}/reduce${j}/bn`, c);
        }
      }
      for (let b = 0; b < blocks; b++) {
        for (const j of [0, 1]) {
          for (const op of OPERATIONS) {
            const k = SEP_KERNEL[op];
            if (k === undefined) continue;
            const name = `${at}/block${b}/op${j}/${op}`;
            this.glorot(`${name}/dw`, [k, k, c, 1], k * k * c, k * k);
            this.convWeight(`${name}/pw`, 1, c, c);
            this.bnWeights(`${name}/bn`, c);
          }
        }
        this.convWeight(`${at}/block${b}/combine/conv`, 1, 2 * c, c);
        this.bnWeights(`${at}/block${b}/combine/bn`, c);
      }
      this.convWeight(`${at}/out/conv`, 1, blocks * c, c);
      this.bnWeights(`${at}/out/bn`, c);
      stateChannels.push(c);
      scales.push(scales[i + 1] * stride);
      void kind;
    });
    const last = channels[channels.length - 1];
    this.glorot('head/kernel', [last, numClasses], last, numClasses);
    this.constant('head/bias', [numClasses], 0);
  }

  private v(name: string): tf.Variable {
    const w = this.vars.get(name);
    if (!w) throw new Error(`supernet has no weight ${name}`);
    return w;
  }

  /** Training-mode BatchNorm: the batch's own statistics, always (see the top of this file). */
  private bn(x: tf.Tensor4D, name: string): tf.Tensor4D {
    const r = batchNormTrain(x, this.v(`${name}/gamma`), this.v(`${name}/beta`), BN_EPSILON);
    r.mean.dispose();
    r.variance.dispose();
    return r.y as tf.Tensor4D;
  }

  /** Bias-free conv; strided ones pad k // 2 on every side, as the child (and PyTorch) do. */
  private conv(x: tf.Tensor4D, name: string, stride: 1 | 2): tf.Tensor4D {
    const w = this.v(name) as unknown as tf.Tensor4D;
    const k = w.shape[0];
    if (stride === 1) return tf.conv2d(x, w, 1, 'same');
    const p = Math.floor(k / 2);
    return tf.conv2d(
      tf.pad(x, [
        [0, 0],
        [p, p],
        [p, p],
        [0, 0],
      ]),
      w,
      2,
      'valid',
    );
  }

  private reluConvBn(x: tf.Tensor4D, name: string, stride: 1 | 2 = 1): tf.Tensor4D {
    return this.bn(this.conv(tf.relu(x), `${name}/conv`, stride), `${name}/bn`);
  }

  private operation(x: tf.Tensor4D, op: Operation, name: string): tf.Tensor4D {
    const k = SEP_KERNEL[op];
    if (k !== undefined) {
      const dw = tf.depthwiseConv2d(tf.relu(x), this.v(`${name}/${op}/dw`) as unknown as tf.Tensor4D, 1, 'same');
      return this.bn(this.conv(dw, `${name}/${op}/pw`, 1), `${name}/${op}/bn`);
    }
    if (op === 'avg_3x3') return avgPool3x3ExcludePad(x);
    if (op === 'max_3x3') return tf.maxPool(x, 3, 1, 'same');
    if (op === 'identity') return x;
    throw new Error(`unknown operation '${op}'`);
  }

  private cell(cell: Cell, i: number, older: tf.Tensor4D, newer: tf.Tensor4D, olderIsWider: boolean, stride: 1 | 2): tf.Tensor4D {
    const at = `cell${i}`;
    const [useOlder, useNewer] = usedInputs(cell);
    const states: Array<tf.Tensor4D | undefined> = [
      useOlder ? this.reluConvBn(older, `${at}/prep0`, olderIsWider ? 2 : 1) : undefined,
      useNewer ? this.reluConvBn(newer, `${at}/prep1`, 1) : undefined,
    ];
    if (stride === 2) states.forEach((h, j) => (states[j] = h && this.reluConvBn(h, `${at}/reduce${j}`, 2)));
    const outputs: tf.Tensor4D[] = [];
    cell.forEach((block: Block, b) => {
      const pick = (k: number) => (k < 2 ? states[k]! : outputs[k - 2]);
      const [x, y] = block.ops.map((op, j) => this.operation(pick(block.inputs[j]), op, `${at}/block${b}/op${j}`));
      if (block.combine === 'add') outputs.push(tf.add(x, y));
      else outputs.push(this.reluConvBn(tf.concat([x, y], -1), `${at}/block${b}/combine`));
    });
    const all = outputs.length === 1 ? outputs[0] : tf.concat(outputs, -1);
    return this.reluConvBn(all, `${at}/out`);
  }

  /** Logits of the child `cells` on images `xs` (NHWC in [0, 1]); only its path is computed. */
  logits(cells: CellPair, xs: tf.Tensor4D): tf.Tensor2D {
    validateChildCells(cells, this.options.hierarchical);
    for (const kind of ['normal', 'reduction'] as const) {
      if (cells[kind].length !== this.options.blocks) throw new Error(`${kind} cell has ${cells[kind].length} blocks, the supernet ${this.options.blocks}`);
    }
    return tf.tidy(() => {
      const stem = this.bn(this.conv(xs, 'stem/conv', 1), 'stem/bn');
      const live = liveCells(cells);
      const states: Array<{ h?: tf.Tensor4D; scale: number }> = [
        { h: stem, scale: 1 },
        { h: stem, scale: 1 },
      ];
      CELL_STACK.forEach(({ kind, stride }, i) => {
        const [older, newer] = states.slice(-2);
        const h = live[i] ? this.cell(cells[kind], i, older.h!, newer.h!, older.scale !== newer.scale, stride) : undefined;
        states.push({ h, scale: newer.scale * stride });
      });
      const pooled = tf.mean(states[states.length - 1].h!, [1, 2]) as tf.Tensor2D;
      return tf.add(tf.matMul(pooled, this.v('head/kernel') as unknown as tf.Tensor2D), this.v('head/bias')) as tf.Tensor2D;
    });
  }

  /**
   * One step on a batch along the path of `cells`: mean softmax cross-entropy, gradients of the
   * weights on the path only, and `optimizer`'s update of those. Returns the loss and the number of
   * correct training-mode predictions.
   */
  async trainStep(cells: CellPair, xs: tf.Tensor4D, ys: tf.Tensor2D, optimizer: SharedAdam): Promise<{ loss: number; correct: number }> {
    let correct: tf.Scalar | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const logits = this.logits(cells, xs);
      correct = tf.keep(tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), tf.argMax(ys, -1)), 'int32')) as tf.Scalar));
      return tf.losses.softmaxCrossEntropy(ys, logits) as tf.Scalar;
    }, [...this.vars.values()]);
    try {
      optimizer.apply(this.vars, this.prefix, grads);
      // Read back asynchronously, as the child trainer does: webgpu in Node has no synchronous read.
      const [loss, right] = await Promise.all([value.data(), correct!.data()]);
      return { loss: loss[0], correct: right[0] };
    } finally {
      tf.dispose([value, correct!, ...Object.values(grads)]);
    }
  }

  /** Correct predictions of the child `cells` on a batch (BatchNorm with that batch's statistics). */
  async correct(cells: CellPair, xs: tf.Tensor4D, ys: tf.Tensor2D): Promise<number> {
    const c = tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(this.logits(cells, xs), -1), tf.argMax(ys, -1)), 'int32')));
    try {
      return (await c.data())[0];
    } finally {
      c.dispose();
    }
  }

  /** Names of the weights on the path of `cells` (those a training step on it changes). */
  pathWeights(cells: CellPair, xs: tf.Tensor4D, ys: tf.Tensor2D): string[] {
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(ys, this.logits(cells, xs)) as tf.Scalar, [...this.vars.values()]);
    const names = Object.keys(grads).map((n) => n.slice(this.prefix.length));
    tf.dispose([value, ...Object.values(grads)]);
    return names;
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

/**
 * Adam (PyTorch's defaults: betas 0.9, 0.999, eps 1e-8) for a supernet: moments and a step count
 * per variable, kept by name, so each weight's update is Adam's over the steps it was on the path.
 */
export class SharedAdam {
  private readonly m = new Map<string, tf.Variable>();
  private readonly s = new Map<string, tf.Variable>();
  private readonly t = new Map<string, number>();

  constructor(
    readonly learningRate: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-8,
  ) {
    if (!(learningRate > 0) || !Number.isFinite(learningRate)) throw new RangeError(`learning rate must be a positive number, got ${learningRate}`);
  }

  /** Updates the variables of `vars` that have a gradient in `grads` (keyed by prefix + name). */
  apply(vars: ReadonlyMap<string, tf.Variable>, prefix: string, grads: tf.NamedTensorMap): void {
    const { beta1: b1, beta2: b2, epsilon, learningRate: lr } = this;
    tf.tidy(() => {
      for (const [full, g] of Object.entries(grads)) {
        const name = full.slice(prefix.length);
        const w = vars.get(name);
        if (!w) throw new Error(`SharedAdam: no variable ${name}`);
        if (!this.m.has(name)) {
          this.m.set(name, tf.variable(tf.zerosLike(w), false));
          this.s.set(name, tf.variable(tf.zerosLike(w), false));
        }
        const t = (this.t.get(name) ?? 0) + 1;
        this.t.set(name, t);
        const m = this.m.get(name)!;
        const s = this.s.get(name)!;
        m.assign(tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)));
        s.assign(tf.add(tf.mul(s, b2), tf.mul(tf.square(g), 1 - b2)));
        const mHat = tf.div(m, 1 - b1 ** t);
        const sHat = tf.div(s, 1 - b2 ** t);
        w.assign(tf.sub(w, tf.mul(tf.div(mHat, tf.add(tf.sqrt(sHat), epsilon)), lr)));
      }
    });
  }

  /** Step count of each variable that has been updated. */
  steps(): Record<string, number> {
    return Object.fromEntries(this.t);
  }

  moments(): Array<{ name: string; m: tf.Variable; s: tf.Variable }> {
    return [...this.m.keys()].map((name) => ({ name, m: this.m.get(name)!, s: this.s.get(name)! }));
  }

  /** Replaces the state with saved moments and step counts (the tensors are taken over). */
  restore(entries: Array<{ name: string; m: tf.Tensor; s: tf.Tensor; t: number }>): void {
    this.dispose();
    for (const e of entries) {
      this.m.set(e.name, tf.variable(e.m, false));
      this.s.set(e.name, tf.variable(e.s, false));
      this.t.set(e.name, e.t);
      e.m.dispose();
      e.s.dispose();
    }
  }

  dispose(): void {
    for (const v of [...this.m.values(), ...this.s.values()]) v.dispose();
    this.m.clear();
    this.s.clear();
    this.t.clear();
  }
}

export const SUPERNET_STATE_FORMAT = 'nascent.supernet-state';

interface StateHeader {
  format: typeof SUPERNET_STATE_FORMAT;
  version: 1;
  weights: Array<{ name: string; shape: number[] }>;
  adam: Array<{ name: string; shape: number[]; t: number }>;
}

/** The supernet's weights and its optimizer's moments: a 4-byte header length, JSON, float32 data. */
export async function encodeSupernetState(net: Supernet, adam: SharedAdam): Promise<Uint8Array> {
  const weights = [...net.variables.entries()];
  const moments = adam.moments();
  const steps = adam.steps();
  const header: StateHeader = {
    format: SUPERNET_STATE_FORMAT,
    version: 1,
    weights: weights.map(([name, v]) => ({ name, shape: v.shape })),
    adam: moments.map((e) => ({ name: e.name, shape: e.m.shape, t: steps[e.name] })),
  };
  const parts: Uint8Array[] = [];
  for (const t of [...weights.map(([, v]) => v), ...moments.flatMap((e) => [e.m, e.s])]) {
    const data = (await t.data()) as Float32Array;
    parts.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice());
  }
  return frame(header, parts);
}

/** Puts a saved state into `net` and `adam`; `what` names the file in errors. */
export function restoreSupernetState(net: Supernet, adam: SharedAdam, bytes: Uint8Array, what: string): void {
  const fail = (why: string): never => {
    throw new Error(`${what}: not a supernet state of this run (${why})`);
  };
  const { header, body: buf } = unframe<StateHeader>(bytes, SUPERNET_STATE_FORMAT, fail);
  let off = 0;
  const read = (name: string, shape: number[]): tf.Tensor => {
    const n = shape.reduce((a, b) => a * b, 1);
    if (off + n * 4 > buf.length) fail(`${name} runs past the end`);
    const values = new Float32Array(new Uint8Array(buf.subarray(off, off + n * 4)).buffer);
    off += n * 4;
    return tf.tensor(values, shape);
  };
  if (header.weights.length !== net.variables.size) fail(`${header.weights.length} weights, the supernet has ${net.variables.size}`);
  for (const w of header.weights) {
    const v = net.variables.get(w.name);
    if (!v || JSON.stringify(v.shape) !== JSON.stringify(w.shape)) fail(`weight ${w.name} [${w.shape}] does not fit the supernet`);
    const t = read(w.name, w.shape);
    v!.assign(t);
    t.dispose();
  }
  const adamEntries = header.adam.map((e) => ({ name: e.name, t: e.t, m: read(`${e.name}/m`, e.shape), s: read(`${e.name}/v`, e.shape) }));
  if (off !== buf.length) fail(`${buf.length - off} bytes after the last tensor`);
  adam.restore(adamEntries);
}
