import * as tfl from '@tensorflow/tfjs-layers';
import type { Cell, CellKind, CellPair, Operation } from '../../spaces/nasnet/types.js';
import { validateCell } from '../../spaces/nasnet/validate.js';
import { Rng } from '../../util/random.js';
import { Alias, AvgPool3x3ExcludePad, fusedBatchNormalization } from './layers.js';

// The child network of docs/design/child-network.md, layer for layer the same as
// torch_child.py, so parameter counts and throughput can be compared with the PyTorch peer.

type SymbolicTensor = tfl.SymbolicTensor;

export interface BuildOptions {
  /** Channels of the five cells, bottom to top; the stem has channels[0]. */
  channels: number[];
  numClasses?: number;
  /** [height, width, channels] of the images. */
  inputShape?: [number, number, number];
  /** Blocks may take the outputs of earlier blocks of the same cell (input 2 + k = block k). */
  hierarchical?: boolean;
  /** Makes every initial weight a function of this seed. */
  seed?: number;
}

/**
 * A bias-free convolution padded as PyTorch pads it. Strided ones pad k // 2 on every side: tfjs's
 * 'same' would pad 0 before and 1 after on even sizes, shifting every window by one pixel.
 */
export function torchConv2d(
  x: SymbolicTensor,
  o: { filters: number; kernelSize: number; stride: number; name: string; kernelInitializer: ReturnType<typeof tfl.initializers.glorotUniform> },
): SymbolicTensor {
  let input = x;
  let padding: 'same' | 'valid' = 'same';
  if (o.stride > 1) {
    const pad = Math.floor(o.kernelSize / 2);
    if (pad > 0) input = tfl.layers.zeroPadding2d({ padding: pad, name: `${o.name}_pad` }).apply(x) as SymbolicTensor;
    padding = 'valid';
  }
  return tfl.layers
    .conv2d({ filters: o.filters, kernelSize: o.kernelSize, strides: o.stride, padding, useBias: false, kernelInitializer: o.kernelInitializer, name: o.name })
    .apply(input) as SymbolicTensor;
}

/** The cell stack of the spec: (kind, stride) bottom to top. */
export const CELL_STACK: ReadonlyArray<{ kind: CellKind; stride: 1 | 2 }> = [
  { kind: 'normal', stride: 1 },
  { kind: 'reduction', stride: 2 },
  { kind: 'normal', stride: 1 },
  { kind: 'reduction', stride: 2 },
  { kind: 'normal', stride: 1 },
];

// PyTorch's BatchNorm2d defaults: eps 1e-5, and its momentum 0.1 weighs the new batch by 0.1,
// which is tfjs's momentum 0.9 (tfjs keeps `momentum` of the old value).
export const BN_EPSILON = 1e-5;
export const BN_MOMENTUM = 0.9;

/** Throws the search space's CellsValidationError (every problem, by path) unless both cells are valid. */
export function validateChildCells(cells: CellPair, hierarchical = false): void {
  if (cells === null || typeof cells !== 'object') throw new TypeError(`cells must be {normal, reduction}, got ${String(cells)}`);
  for (const kind of ['normal', 'reduction'] as const) validateCell(cells[kind], kind, hierarchical);
}

/** Throws an error naming the first bad option. */
export function validateBuildOptions(opts: BuildOptions): void {
  const { channels, numClasses = 10, inputShape = [32, 32, 3] } = opts;
  if (!Array.isArray(channels) || channels.length !== CELL_STACK.length || !channels.every((c) => Number.isInteger(c) && c > 0)) {
    throw new Error(`channels must be ${CELL_STACK.length} positive integers, got ${JSON.stringify(channels)}`);
  }
  if (!Number.isInteger(numClasses) || numClasses < 2) throw new Error(`numClasses must be an integer >= 2, got ${numClasses}`);
  if (!Array.isArray(inputShape) || inputShape.length !== 3 || !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`inputShape must be [height, width, channels] of positive integers, got ${JSON.stringify(inputShape)}`);
  }
}

/** Creates layers with readable names and initializers seeded one after another from one stream. */
class LayerFactory {
  private readonly rng?: Rng;

  constructor(seed?: number) {
    this.rng = seed === undefined ? undefined : new Rng(seed);
  }

  private init() {
    return tfl.initializers.glorotUniform({ seed: this.rng?.nextUint32() });
  }

  relu(name: string) {
    return tfl.layers.reLU({ name });
  }

  conv(x: SymbolicTensor, filters: number, kernelSize: number, stride: number, name: string): SymbolicTensor {
    return torchConv2d(x, { filters, kernelSize, stride, name, kernelInitializer: this.init() });
  }

  depthwise(x: SymbolicTensor, kernelSize: number, name: string): SymbolicTensor {
    return tfl.layers.depthwiseConv2d({ kernelSize, padding: 'same', useBias: false, depthwiseInitializer: this.init(), name }).apply(x) as SymbolicTensor;
  }

  bn(x: SymbolicTensor, name: string): SymbolicTensor {
    // Same weights and moving-average update as tfl.layers.batchNormalization, but its training pass is
    // one op with a fused gradient: ~40% less memory for backprop and 1.8x faster child training on wasm.
    return fusedBatchNormalization({ epsilon: BN_EPSILON, momentum: BN_MOMENTUM, name }).apply(x) as SymbolicTensor;
  }

  reluConvBn(x: SymbolicTensor, filters: number, kernelSize: number, stride: number, name: string): SymbolicTensor {
    const r = this.relu(`${name}_relu`).apply(x) as SymbolicTensor;
    return this.bn(this.conv(r, filters, kernelSize, stride, `${name}_conv`), `${name}_bn`);
  }

  dense(x: SymbolicTensor, units: number, name: string): SymbolicTensor {
    return tfl.layers.dense({ units, activation: 'softmax', kernelInitializer: this.init(), name }).apply(x) as SymbolicTensor;
  }
}

function operation(f: LayerFactory, x: SymbolicTensor, op: Operation, channels: number, name: string): SymbolicTensor {
  if (op.startsWith('sep_')) {
    const k = Number(op.slice(4, 5));
    const r = f.relu(`${name}_relu`).apply(x) as SymbolicTensor;
    const pw = f.conv(f.depthwise(r, k, `${name}_dw`), channels, 1, 1, `${name}_pw`);
    return f.bn(pw, `${name}_bn`);
  }
  if (op === 'avg_3x3') return new AvgPool3x3ExcludePad({ name }).apply(x) as SymbolicTensor;
  if (op === 'max_3x3') return tfl.layers.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same', name }).apply(x) as SymbolicTensor;
  if (op === 'identity') return x;
  throw new Error(`unknown operation '${op}'`);
}

interface CellArgs {
  cell: Cell;
  /** Absent when the cell reads no block from it (see usedInputs). */
  older?: SymbolicTensor;
  newer?: SymbolicTensor;
  /** The older input has twice the newer one's spatial size (a reduction cell sits between). */
  olderIsWider: boolean;
  channels: number;
  stride: 1 | 2;
  name: string;
}

/** Which of the cell's two inputs (older, newer) any block reads. */
export function usedInputs(cell: Cell): [boolean, boolean] {
  const used = cell.flatMap((block) => block.inputs);
  return [used.includes(0), used.includes(1)];
}

function buildCell(f: LayerFactory, a: CellArgs): SymbolicTensor {
  const { cell, channels: c, name } = a;
  const [useOlder, useNewer] = usedInputs(cell);
  // An input no block reads gets no layers: its weights could never receive a gradient, and
  // tfjs would leave them outside the model (uncounted, and never disposed by model.dispose()).
  const states: Array<SymbolicTensor | undefined> = [
    useOlder ? f.reluConvBn(a.older!, c, a.olderIsWider ? 3 : 1, a.olderIsWider ? 2 : 1, `${name}/prep0`) : undefined,
    useNewer ? f.reluConvBn(a.newer!, c, 1, 1, `${name}/prep1`) : undefined,
  ];
  if (a.stride === 2) states.forEach((h, i) => (states[i] = h && f.reluConvBn(h, c, 3, 2, `${name}/reduce${i}`)));
  const outputs: SymbolicTensor[] = [];
  cell.forEach((block, b) => {
    const at = `${name}/block${b}`;
    const pick = (i: number) => (i < 2 ? states[i]! : outputs[i - 2]);
    const [x, y0] = block.ops.map((op, j) => operation(f, pick(block.inputs[j]), op, c, `${at}/op${j}_${op}`));
    // identity(h) on both sides: one layer must not take the same tensor twice (see alias.ts).
    const y = y0 === x ? (new Alias({ name: `${at}/op1_alias` }).apply(y0) as SymbolicTensor) : y0;
    if (block.combine === 'add') {
      outputs.push(tfl.layers.add({ name: `${at}/add` }).apply([x, y]) as SymbolicTensor);
    } else {
      const joined = tfl.layers.concatenate({ axis: -1, name: `${at}/concat` }).apply([x, y]) as SymbolicTensor;
      outputs.push(f.reluConvBn(joined, c, 1, 1, `${at}/combine`));
    }
  });
  const all = outputs.length === 1 ? outputs[0] : (tfl.layers.concatenate({ axis: -1, name: `${name}/out_concat` }).apply(outputs) as SymbolicTensor);
  return f.reluConvBn(all, c, 1, 1, `${name}/out`);
}

/**
 * Which cells of the stack can affect the output: the top one, and any cell whose output a live
 * cell reads. A cell whose output nothing reads (e.g. every normal cell reads only its newer input
 * and every reduction cell only its older one) is not built at all.
 */
export function liveCells(cells: CellPair): boolean[] {
  // state j is the stem for j < 2, else the output of cell j - 2; cell i reads states i and i + 1
  const needed = new Array<boolean>(CELL_STACK.length + 2).fill(false);
  needed[CELL_STACK.length + 1] = true;
  for (let i = CELL_STACK.length - 1; i >= 0; i--) {
    if (!needed[i + 2]) continue;
    const [older, newer] = usedInputs(cells[CELL_STACK[i].kind]);
    if (older) needed[i] = true;
    if (newer) needed[i + 1] = true;
  }
  return CELL_STACK.map((_, i) => needed[i + 2]);
}

/** The child network for `cells`, taking NHWC images in [0, 1] and giving class probabilities. */
export function buildChild(cells: CellPair, opts: BuildOptions): tfl.LayersModel {
  validateBuildOptions(opts);
  const hierarchical = opts.hierarchical ?? false;
  validateChildCells(cells, hierarchical);
  const { channels, numClasses = 10, inputShape = [32, 32, 3] } = opts;
  const f = new LayerFactory(opts.seed);

  const image = tfl.input({ shape: inputShape, name: 'image' });
  const stem = f.bn(f.conv(image, channels[0], 3, 1, 'stem_conv'), 'stem_bn');
  const live = liveCells(cells);
  // Each cell reads the outputs of the two cells below it; `scale` is their cumulative stride.
  const states: Array<{ h?: SymbolicTensor; scale: number }> = [
    { h: stem, scale: 1 },
    { h: stem, scale: 1 },
  ];
  CELL_STACK.forEach(({ kind, stride }, i) => {
    const [older, newer] = states.slice(-2);
    const h = !live[i]
      ? undefined
      : buildCell(f, {
          cell: cells[kind],
          older: older.h,
          newer: newer.h,
          olderIsWider: older.scale !== newer.scale,
          channels: channels[i],
          stride,
          name: `cell${i}_${kind}`,
        });
    states.push({ h, scale: newer.scale * stride });
  });
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'head_pool' }).apply(states[states.length - 1].h!) as SymbolicTensor;
  const probs = f.dense(pooled, numClasses, 'head_dense');
  return tfl.model({ inputs: image, outputs: probs, name: 'child' });
}

/**
 * Trainable parameters, as PyTorch's parameters() counts them (tfjs's countParams() adds the BN
 * moving statistics). For cells that leave an input unread, PyTorch also counts the layers that
 * cannot affect the output, which this network does not build; the counts then differ by those.
 */
export function countParams(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce((sum, w) => sum + w.shape.reduce((a: number, d) => a * (d ?? 1), 1), 0);
}
