// NAS-Bench-201's network (Dong & Yang, ICLR 2020; its code's TinyNetwork, InferCell and
// ResNetBasicblock) as a tfjs layers model, layer for layer, so that scores computed on it (zero-cost
// proxies) are scores of the benchmark's networks and parameter counts equal the table's.
//
// stem (conv 3x3 + BN) -> N cells at C -> residual reduction -> N cells at 2C -> reduction -> N cells
// at 4C -> BN -> ReLU -> global average pool -> dense. Every edge of a cell is built, `none` too: the
// benchmark sums all six, a `none` edge multiplying its input by zero. That keeps a convolution
// whose node nothing else reads in the model (PyTorch counts and trains its weights), and gives a
// node whose inputs are all `none` a tensor of zeros, which a convolution on it then turns into its
// BatchNorm's output, as in the benchmark.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { BN_EPSILON, BN_MOMENTUM, torchConv2d } from '../../evaluators/child/build.js';
import { Alias, AvgPool3x3ExcludePad, fusedBatchNormalization } from '../../evaluators/child/layers.js';
import { Rng } from '../../util/random.js';
import { NB201_EDGES, type Nb201Cell, type Nb201Op, nasBench201Space } from './space.js';

type SymbolicTensor = tfl.SymbolicTensor;

export interface Nb201NetworkOptions {
  /** Channels of the first stage (C); the others have 2C and 4C. The benchmark's is 16. */
  channels?: number;
  /** Cells per stage (N); the benchmark's is 5. */
  cellsPerStage?: number;
  numClasses?: number;
  /** [height, width, channels] of the images (NHWC); height and width must be multiples of 4. */
  inputShape?: [number, number, number];
  /** Every initial weight is a function of this seed. */
  seed?: number;
  /** false leaves out every BatchNorm, as zero-cost-proxy code does for synflow. */
  batchNorm?: boolean;
}

/**
 * The `none` operation: the input times zero (the benchmark's Zero, `x.mul(0.)`). Its output has
 * its input's shape and still depends on it, so what feeds it stays in the model.
 */
export class Nb201Zero extends tfl.layers.Layer {
  static className = 'NascentNb201Zero';

  computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, 0);
  }
}
tf.serialization.registerClass(Nb201Zero);

/** Creates the network's layers, each kernel seeded from one stream in the order built. */
class Nb201Layers {
  private readonly rng: Rng;

  constructor(
    seed: number,
    private readonly batchNorm: boolean,
  ) {
    this.rng = new Rng(seed);
  }

  /** PyTorch's default for conv and linear kernels, kaiming_uniform(a=sqrt(5)): U(±1/sqrt(fan_in)). */
  private kernelInit() {
    return tfl.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform', seed: this.rng.nextUint32() });
  }

  /** A bias-free convolution padded like PyTorch's. */
  conv(x: SymbolicTensor, filters: number, kernelSize: number, stride: number, name: string): SymbolicTensor {
    return torchConv2d(x, { filters, kernelSize, stride, name, kernelInitializer: this.kernelInit() });
  }

  /** BatchNorm2d (affine, running statistics, PyTorch's eps and momentum), or nothing without BN. */
  bn(x: SymbolicTensor, name: string): SymbolicTensor {
    return this.batchNorm ? (fusedBatchNormalization({ epsilon: BN_EPSILON, momentum: BN_MOMENTUM, name }).apply(x) as SymbolicTensor) : x;
  }

  relu(x: SymbolicTensor, name: string): SymbolicTensor {
    return tfl.layers.reLU({ name }).apply(x) as SymbolicTensor;
  }

  reluConvBn(x: SymbolicTensor, filters: number, kernelSize: number, stride: number, name: string): SymbolicTensor {
    return this.bn(this.conv(this.relu(x, `${name}_relu`), filters, kernelSize, stride, `${name}_conv`), `${name}_bn`);
  }

  /** The sum of `terms`; a tensor given twice goes through an Alias (see alias.ts). */
  add(terms: SymbolicTensor[], name: string): SymbolicTensor {
    const seen = new Set<SymbolicTensor>();
    const operands = terms.map((t, i) => {
      if (seen.has(t)) return new Alias({ name: `${name}_alias${i}` }).apply(t) as SymbolicTensor;
      seen.add(t);
      return t;
    });
    return tfl.layers.add({ name }).apply(operands) as SymbolicTensor;
  }

  /** Linear logits; PyTorch's nn.Linear draws its bias from U(±1/sqrt(fan_in)) too. */
  dense(x: SymbolicTensor, units: number, name: string): SymbolicTensor {
    const bound = 1 / Math.sqrt(x.shape[x.shape.length - 1] as number);
    const kernelInitializer = this.kernelInit();
    const biasInitializer = tfl.initializers.randomUniform({ minval: -bound, maxval: bound, seed: this.rng.nextUint32() });
    return tfl.layers.dense({ units, kernelInitializer, biasInitializer, name }).apply(x) as SymbolicTensor;
  }
}

function operation(f: Nb201Layers, x: SymbolicTensor, op: Nb201Op, channels: number, name: string): SymbolicTensor {
  switch (op) {
    case 'none':
      return new Nb201Zero({ name }).apply(x) as SymbolicTensor;
    case 'skip_connect':
      return x;
    case 'nor_conv_1x1':
      return f.reluConvBn(x, channels, 1, 1, name);
    case 'nor_conv_3x3':
      return f.reluConvBn(x, channels, 3, 1, name);
    case 'avg_pool_3x3':
      // AvgPool2d(3, 1, 1, count_include_pad=False): border windows average their real pixels only.
      return new AvgPool3x3ExcludePad({ name }).apply(x) as SymbolicTensor;
  }
}

/** InferCell: node j = sum over i < j of op_ij(node i); the output is node 3. */
function buildCell(f: Nb201Layers, x: SymbolicTensor, edges: readonly Nb201Op[], channels: number, name: string): SymbolicTensor {
  const nodes = [x];
  for (let j = 1; j < 4; j++) {
    const terms: SymbolicTensor[] = [];
    NB201_EDGES.forEach(([i, to], k) => {
      if (to === j) terms.push(operation(f, nodes[i], edges[k], channels, `${name}/edge${i}${j}_${edges[k]}`));
    });
    nodes.push(terms.length === 1 ? terms[0] : f.add(terms, `${name}/node${j}`));
  }
  return nodes[3];
}

/** ResNetBasicblock(C_in, C_out, stride 2): ReLU-conv3x3/2-BN, ReLU-conv3x3-BN, plus AvgPool2x2 -> conv1x1. */
function reduction(f: Nb201Layers, x: SymbolicTensor, channels: number, name: string): SymbolicTensor {
  const a = f.reluConvBn(x, channels, 3, 2, `${name}/conv_a`);
  const b = f.reluConvBn(a, channels, 3, 1, `${name}/conv_b`);
  const pooled = tfl.layers.averagePooling2d({ poolSize: 2, strides: 2, padding: 'valid', name: `${name}/shortcut_pool` }).apply(x) as SymbolicTensor;
  return f.add([f.conv(pooled, channels, 1, 1, `${name}/shortcut_conv`), b], `${name}/add`);
}

function validateOptions(o: Required<Nb201NetworkOptions>): void {
  const positive = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
  if (!positive(o.channels)) throw new Error(`channels must be a positive integer, got ${o.channels}`);
  if (!Number.isInteger(o.cellsPerStage) || o.cellsPerStage < 0) throw new Error(`cellsPerStage must be an integer >= 0, got ${o.cellsPerStage}`);
  if (!Number.isInteger(o.numClasses) || o.numClasses < 2) throw new Error(`numClasses must be an integer >= 2, got ${o.numClasses}`);
  const s = o.inputShape;
  // The residual sum of each reduction needs the strided conv (ceil) and the 2x2 pool (floor) to agree.
  if (!Array.isArray(s) || s.length !== 3 || !s.every(positive) || s[0] % 4 !== 0 || s[1] % 4 !== 0) {
    throw new Error(`inputShape must be [height, width, channels], height and width multiples of 4, got ${JSON.stringify(s)}`);
  }
  if (!Number.isInteger(o.seed)) throw new Error(`seed must be an integer, got ${o.seed}`);
}

/**
 * The NAS-Bench-201 network of `cell` (a cell or the benchmark's string), taking NHWC images and
 * giving logits. The same seed gives the same weights; batchNorm: false builds the same
 * convolutions and dense layer with the same initial weights, without any BatchNorm.
 */
export function nb201Network(cell: Nb201Cell | string, options: Nb201NetworkOptions = {}): tfl.LayersModel {
  const { edges } = nasBench201Space.validate(cell);
  const o: Required<Nb201NetworkOptions> = {
    channels: 16,
    cellsPerStage: 5,
    numClasses: 10,
    inputShape: [32, 32, 3],
    seed: 0,
    batchNorm: true,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  };
  validateOptions(o);
  const f = new Nb201Layers(o.seed, o.batchNorm);
  const image = tfl.input({ shape: o.inputShape, name: 'image' });
  let x = f.bn(f.conv(image, o.channels, 3, 1, 'stem_conv'), 'stem_bn');
  for (let stage = 0; stage < 3; stage++) {
    const channels = o.channels * 2 ** stage;
    if (stage > 0) x = reduction(f, x, channels, `reduction${stage}`);
    for (let i = 0; i < o.cellsPerStage; i++) x = buildCell(f, x, edges, channels, `stage${stage}_cell${i}`);
  }
  const act = f.relu(f.bn(x, 'head_bn'), 'head_relu');
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'head_pool' }).apply(act) as SymbolicTensor;
  return tfl.model({ inputs: image, outputs: f.dense(pooled, o.numClasses, 'head_dense'), name: 'nb201' });
}
