// Every kernel registerWasmTrainingKernels() installs for 'wasm' is checked against tfjs's cpu
// backend on random shapes, and a small model with every op of the child network trains on wasm
// with cpu's loss curve and without leaking tensors.
//
// Tolerance: max |wasm - cpu| <= 1e-4 * max |cpu| per output (float32 sums in a different order
// differ by ~1e-7 relative; the training test allows 1e-3 relative on losses after 4 Adam steps).

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels, WASM_TRAINING_KERNEL_NAMES, WasmHeapExhaustedError } from '../../src/backend/wasm/index.js';
import { guardHeap, type BackendWasm } from '../../src/backend/wasm/backend-access.js';
import { Rng } from '../../src/util/random.js';
import { relativeError } from './tolerance.js';
import { expectMatchesCpu, input, randomValues, runOn, type Input } from './kernel-check.js';

tf.env().set('PROD', true);

type Pad = 'same' | 'valid';

interface ConvCase {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  k: number;
  stride: number;
  pad: Pad;
}

/** The k x stride x pad grid with random batch (> 1), sizes and channel counts. */
function convCases(rng: Rng, channelChoices: number[]): ConvCase[] {
  const cases: ConvCase[] = [];
  for (const k of [1, 3, 5, 7]) {
    for (const stride of [1, 2]) {
      for (const pad of ['same', 'valid'] as const) {
        const pick = () => channelChoices[rng.int(channelChoices.length)]!;
        cases.push({ n: 2 + rng.int(2), h: k + 2 + rng.int(6), w: k + 2 + rng.int(6), cin: pick(), cout: pick(), k, stride, pad });
      }
    }
  }
  return cases;
}

function outSize(size: number, k: number, stride: number, pad: Pad): number {
  return pad === 'same' ? Math.ceil(size / stride) : Math.floor((size - k) / stride) + 1;
}

beforeAll(async () => {
  registerWasmTrainingKernels();
  registerWasmTrainingKernels(); // idempotent
  expect(await tf.setBackend('wasm')).toBe(true);
  expect(await tf.setBackend('cpu')).toBe(true);
});

describe('registerWasmTrainingKernels', () => {
  it('registers the kernels the wasm package lacks, once', () => {
    for (const name of ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter']) {
      expect(tf.getKernel(name, 'wasm'), name).toBeDefined();
      expect(WASM_TRAINING_KERNEL_NAMES).toContain(name);
    }
    expect(new Set(WASM_TRAINING_KERNEL_NAMES).size).toBe(WASM_TRAINING_KERNEL_NAMES.length);
  });
});

describe('guardHeap', () => {
  it('turns a failed malloc (0) into a clear error instead of a write over address 0', () => {
    const wasmModule = { asm: { malloc: (n: number) => (n > 1000 ? 0 : 64) }, wasmMemory: new WebAssembly.Memory({ initial: 1 }), _malloc: (_n: number) => 0 };
    const fake = { wasm: wasmModule } as unknown as BackendWasm;
    guardHeap(fake);
    guardHeap(fake); // idempotent
    expect(wasmModule._malloc(16)).toBe(64);
    expect(() => wasmModule._malloc(4096)).toThrow(WasmHeapExhaustedError);
    expect(() => wasmModule._malloc(4096)).toThrow(/wasm heap exhausted.*micro-batches/);
  });
});

describe('convolution gradients match cpu', () => {
  it('Conv2DBackpropFilter', () => {
    const rng = new Rng(11);
    // 3 input channels (the stem) and 6 output channels (not a multiple of 4: the XNNPACK path).
    for (const c of convCases(rng, [3, 4, 6, 8, 16])) {
      const oh = outSize(c.h, c.k, c.stride, c.pad);
      const ow = outSize(c.w, c.k, c.stride, c.pad);
      if (oh < 1 || ow < 1) continue;
      expectMatchesCpu(
        'Conv2DBackpropFilter',
        { x: input(rng, [c.n, c.h, c.w, c.cin]), dy: input(rng, [c.n, oh, ow, c.cout]) },
        { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape: [c.k, c.k, c.cin, c.cout] },
        `Conv2DBackpropFilter ${JSON.stringify(c)}`,
      );
    }
  });

  it('Conv2DBackpropFilter of pointwise convolutions, regrouped into rows of up to 16 pixels', () => {
    const rng = new Rng(13);
    // 105 pixels (rows of 15), 256 channels; 34 pixels (rows of 2, shorter than the 17-pixel image
    // rows, so not regrouped); a single image; a prime count (one pixel per row would be slower).
    for (const [n, h, w, cin, cout] of [
      [3, 7, 5, 256, 256],
      [2, 1, 17, 4, 12],
      [1, 4, 4, 5, 8],
      [1, 1, 13, 8, 4],
    ] as const) {
      for (const pad of ['same', 'valid'] as const) {
        expectMatchesCpu(
          'Conv2DBackpropFilter',
          { x: input(rng, [n, h, w, cin]), dy: input(rng, [n, h, w, cout]) },
          { strides: 1, pad, dataFormat: 'NHWC', filterShape: [1, 1, cin, cout] },
          `pointwise Conv2DBackpropFilter ${[n, h, w, cin, cout]} ${pad}`,
        );
      }
    }
  });

  it('Conv2DBackpropInput', () => {
    const rng = new Rng(12);
    for (const c of convCases(rng, [3, 4, 8, 12, 16])) {
      const oh = outSize(c.h, c.k, c.stride, c.pad);
      const ow = outSize(c.w, c.k, c.stride, c.pad);
      if (oh < 1 || ow < 1) continue;
      expectMatchesCpu(
        'Conv2DBackpropInput',
        { dy: input(rng, [c.n, oh, ow, c.cout]), filter: input(rng, [c.k, c.k, c.cin, c.cout]) },
        { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', inputShape: [c.n, c.h, c.w, c.cin] },
        `Conv2DBackpropInput ${JSON.stringify(c)}`,
      );
    }
  });

  it('Conv2D and FusedConv2D (forward)', () => {
    const rng = new Rng(15);
    for (const c of convCases(rng, [3, 4, 6, 8, 16])) {
      const x = input(rng, [c.n, c.h, c.w, c.cin]);
      const filter = input(rng, [c.k, c.k, c.cin, c.cout]);
      const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', dilations: 1 };
      expectMatchesCpu('Conv2D', { x, filter }, attrs, `Conv2D ${JSON.stringify(c)}`);
      expectMatchesCpu('FusedConv2D', { x, filter }, { ...attrs, activation: 'linear' }, `FusedConv2D ${JSON.stringify(c)}`);
    }
    // With a bias and an activation: the package's XNNPACK kernel.
    const x = input(rng, [2, 6, 6, 4]);
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1, activation: 'relu' };
    expectMatchesCpu('FusedConv2D', { x, filter: input(rng, [3, 3, 4, 8]), bias: input(rng, [8]) }, attrs, 'FusedConv2D bias relu');
  });

  it('Conv2DBackpropInput and Filter with explicit paddings', () => {
    const rng = new Rng(13);
    const pad = [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ];
    // out = (7 + 3 - 3) / 2 + 1 = 4 rows, (6 + 1 - 3) / 2 + 1 = 3 columns
    const attrs = { strides: 2, pad, dataFormat: 'NHWC' };
    expectMatchesCpu(
      'Conv2DBackpropInput',
      { dy: input(rng, [2, 4, 3, 8]), filter: input(rng, [3, 3, 4, 8]) },
      { ...attrs, inputShape: [2, 7, 6, 4] },
      'explicit input',
    );
    expectMatchesCpu(
      'Conv2DBackpropFilter',
      { x: input(rng, [2, 7, 6, 4]), dy: input(rng, [2, 4, 3, 8]) },
      { ...attrs, filterShape: [3, 3, 4, 8] },
      'explicit filter',
    );
  });
});

describe('depthwise convolution and its gradients match cpu', () => {
  for (const kernel of ['DepthwiseConv2dNative', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter']) {
    it(kernel, () => {
      const rng = new Rng(kernel.length);
      // 6 channels: not a multiple of 4, so the non-SIMD paths run too.
      for (const c of convCases(rng, [4, 6, 8, 16, 20])) {
        const oh = outSize(c.h, c.k, c.stride, c.pad);
        const ow = outSize(c.w, c.k, c.stride, c.pad);
        if (oh < 1 || ow < 1) continue;
        const xShape = [c.n, c.h, c.w, c.cin];
        const filterShape = [c.k, c.k, c.cin, 1];
        const dyShape = [c.n, oh, ow, c.cin];
        const attrs = { strides: c.stride, pad: c.pad, dilations: 1 };
        const inputs: Record<string, Input> =
          kernel === 'DepthwiseConv2dNative'
            ? { x: input(rng, xShape), filter: input(rng, filterShape) }
            : kernel === 'DepthwiseConv2dNativeBackpropInput'
              ? { dy: input(rng, dyShape), filter: input(rng, filterShape) }
              : { x: input(rng, xShape), dy: input(rng, dyShape) };
        const extra =
          kernel === 'DepthwiseConv2dNativeBackpropInput' ? { inputShape: xShape } : kernel === 'DepthwiseConv2dNativeBackpropFilter' ? { filterShape } : {};
        expectMatchesCpu(kernel, inputs, { ...attrs, ...extra }, `${kernel} ${JSON.stringify(c)}`);
      }
    });
  }

  it('channel multiplier 2 (generic path)', () => {
    const rng = new Rng(14);
    const attrs = { strides: 2, pad: 'same', dilations: 1 };
    expectMatchesCpu(
      'DepthwiseConv2dNativeBackpropInput',
      { dy: input(rng, [2, 3, 4, 6]), filter: input(rng, [3, 3, 3, 2]) },
      { ...attrs, inputShape: [2, 5, 7, 3] },
      'dw input m=2',
    );
    expectMatchesCpu(
      'DepthwiseConv2dNativeBackpropFilter',
      { x: input(rng, [2, 5, 7, 3]), dy: input(rng, [2, 3, 4, 6]) },
      { ...attrs, filterShape: [3, 3, 3, 2] },
      'dw filter m=2',
    );
  });
});

describe('pooling gradients match cpu', () => {
  const poolCases: Array<{ k: number; s: number; pad: Pad }> = [
    { k: 3, s: 1, pad: 'same' },
    { k: 3, s: 1, pad: 'valid' },
    { k: 2, s: 2, pad: 'valid' },
    { k: 3, s: 2, pad: 'same' },
  ];
  it('MaxPoolGrad, including ties', () => {
    const rng = new Rng(21);
    for (const { k, s, pad } of poolCases) {
      for (const [c, kind] of [
        [8, 'normal'],
        [16, 'ties'],
        [6, 'normal'],
      ] as const) {
        const xShape = [2, 7, 8, c];
        const attrs = { filterSize: k, strides: s, pad };
        const x = input(rng, xShape, kind);
        const y = runOn('cpu', 'MaxPool', { x }, attrs)[0]!;
        const yShape = [2, outSize(7, k, s, pad), outSize(8, k, s, pad), c];
        expectMatchesCpu(
          'MaxPoolGrad',
          { dy: input(rng, yShape), input: x, output: { values: y, shape: yShape } },
          attrs,
          `MaxPoolGrad k${k} s${s} ${pad} c${c} ${kind}`,
        );
      }
    }
  });

  it('AvgPoolGrad', () => {
    const rng = new Rng(22);
    for (const { k, s, pad } of poolCases) {
      for (const c of [8, 6]) {
        const xShape = [3, 7, 8, c];
        const yShape = [3, outSize(7, k, s, pad), outSize(8, k, s, pad), c];
        expectMatchesCpu(
          'AvgPoolGrad',
          { dy: input(rng, yShape), input: input(rng, xShape) },
          { filterSize: k, strides: s, pad },
          `AvgPoolGrad k${k} s${s} ${pad} c${c}`,
        );
      }
    }
  });
});

describe('reductions, copies and elementwise kernels match cpu', () => {
  it('Sum and Mean over leading, middle and trailing axes', () => {
    const rng = new Rng(31);
    const x = input(rng, [3, 5, 4, 8]);
    for (const kernel of ['Sum', 'Mean']) {
      for (const axis of [[0, 1, 2], [1, 2], [0], [1], [3], [2, 3], [0, 2]]) {
        for (const keepDims of [false, true]) {
          expectMatchesCpu(kernel, { x }, { axis, keepDims }, `${kernel} axis ${axis} keepDims ${keepDims}`);
        }
      }
      expectMatchesCpu(kernel, { x: input(rng, [64, 6]) }, { axis: [0], keepDims: false }, `${kernel} 6 channels`);
      expectMatchesCpu(kernel, { x: input(rng, [300, 12]) }, { axis: 0, keepDims: true }, `${kernel} 300 rows`);
    }
  });

  it('Slice, SplitV, Concat, Tile', () => {
    const rng = new Rng(32);
    const x = input(rng, [3, 5, 6, 8]);
    expectMatchesCpu('Slice', { x }, { begin: [0, 1, 1, 0], size: [3, 3, 4, 8] }, 'slice rows/cols');
    expectMatchesCpu('Slice', { x }, { begin: [1, 0, 2, 3], size: [2, 5, 3, 4] }, 'slice everywhere');
    expectMatchesCpu('Slice', { x }, { begin: [0, 0, 0, 0], size: [-1, -1, -1, 5] }, 'slice channels');
    expectMatchesCpu('Slice', { x: input(rng, [2, 3, 4, 5, 6]) }, { begin: [1, 1, 0, 2, 1], size: [1, 2, 3, 3, 4] }, 'slice rank 5');
    expectMatchesCpu('SplitV', { x }, { numOrSizeSplits: [2, 5, 1], axis: 3 }, 'split channels');
    expectMatchesCpu('SplitV', { x }, { numOrSizeSplits: 5, axis: 1 }, 'split rows');
    expectMatchesCpu('Concat', [input(rng, [2, 3, 4, 5]), input(rng, [2, 3, 4, 3]), input(rng, [2, 3, 4, 8])], { axis: 3 }, 'concat channels');
    expectMatchesCpu('Concat', [input(rng, [2, 3, 4, 5]), input(rng, [1, 3, 4, 5])], { axis: 0 }, 'concat batch');
    expectMatchesCpu('Concat', [input(rng, [2, 3, 4, 5]), input(rng, [2, 2, 4, 5])], { axis: 1 }, 'concat rows');
    expectMatchesCpu('Tile', { x: input(rng, [1, 1, 1, 8]) }, { reps: [3, 4, 5, 1] }, 'tile channels (BatchNorm)');
    expectMatchesCpu('Tile', { x: input(rng, [2, 1, 3]) }, { reps: [2, 3, 2] }, 'tile general');
  });

  it('Add, Sub, Multiply, RealDiv on equal, scalar, broadcast and other shapes', () => {
    const rng = new Rng(33);
    const full = [2, 3, 5, 12];
    const pairs: Array<[number[], number[]]> = [
      [full, full],
      [full, []],
      [[], full],
      [full, [12]],
      [[1, 1, 1, 12], full],
      [full, [5, 12]],
      [[7], [7]], // length not a multiple of 4
      [[2, 7], [7]],
      [full, [1, 3, 5, 1]], // per-pixel scale: the original kernel
      [
        [4, 1],
        [1, 6],
      ],
    ];
    for (const kernel of ['Add', 'Sub', 'Multiply', 'RealDiv']) {
      for (const [a, b] of pairs) {
        const bIn = input(rng, b);
        if (kernel === 'RealDiv') bIn.values = bIn.values.map((v) => v + (v >= 0 ? 0.5 : -0.5));
        expectMatchesCpu(kernel, { a: input(rng, a), b: bIn }, {}, `${kernel} [${a}] [${b}]`);
      }
    }
  });

  it('FusedBatchNorm with per-channel statistics', () => {
    const rng = new Rng(34);
    for (const c of [8, 3]) {
      const stats = () => input(rng, [c]);
      const variance = { values: randomValues(rng, c).map((v) => v * v + 0.1), shape: [c] };
      expectMatchesCpu(
        'FusedBatchNorm',
        { x: input(rng, [2, 4, 5, c]), mean: stats(), variance, offset: stats(), scale: stats() },
        { varianceEpsilon: 1e-3 },
        `bn c${c}`,
      );
      expectMatchesCpu('FusedBatchNorm', { x: input(rng, [2, 4, 5, c]), mean: stats(), variance }, { varianceEpsilon: 1e-3 }, `bn c${c} no scale/offset`);
    }
  });

  it('Identity and same-dtype Cast share data that outlives the original tensor', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor([1, 2, 3, 4]);
    const id = tf.clone(x);
    const cast = tf.cast(x, 'float32');
    const asInt = tf.cast(tf.tensor([1.7, -2.2]), 'int32');
    x.dispose();
    expect(Array.from(id.dataSync())).toEqual([1, 2, 3, 4]);
    expect(Array.from(cast.dataSync())).toEqual([1, 2, 3, 4]);
    expect(Array.from(asInt.dataSync())).toEqual([1, -2]);
    tf.dispose([id, cast, asInt]);
    tf.setBackend('cpu');
  });
});

/** A small net with every op of the child network (see child-spec.md). */
function everyOpModel(seed: number): tfl.LayersModel {
  let s = seed;
  const init = () => tfl.initializers.glorotUniform({ seed: s++ });
  type ST = tfl.SymbolicTensor;
  const relu = (x: ST) => tfl.layers.reLU().apply(x) as ST;
  const bn = (x: ST) => tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }).apply(x) as ST;
  const conv = (x: ST, f: number, k: number, stride: number) => {
    const padded = stride > 1 && k > 1 ? (tfl.layers.zeroPadding2d({ padding: k >> 1 }).apply(x) as ST) : x;
    const pad = stride > 1 ? 'valid' : 'same';
    return tfl.layers.conv2d({ filters: f, kernelSize: k, strides: stride, padding: pad, useBias: false, kernelInitializer: init() }).apply(padded) as ST;
  };
  const sep = (x: ST, k: number, f: number) => {
    const dw = tfl.layers.depthwiseConv2d({ kernelSize: k, padding: 'same', useBias: false, depthwiseInitializer: init() }).apply(relu(x)) as ST;
    return bn(conv(dw, f, 1, 1));
  };
  const image = tfl.input({ shape: [12, 12, 3] });
  const stem = bn(conv(image, 8, 3, 1));
  const a = bn(conv(relu(stem), 8, 1, 1));
  const b1 = tfl.layers.add().apply([sep(a, 3, 8), tfl.layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same' }).apply(a) as ST]) as ST;
  const b2 = tfl.layers.concatenate().apply([sep(a, 5, 8), tfl.layers.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same' }).apply(stem) as ST]) as ST;
  const b3 = tfl.layers.add().apply([sep(b1, 7, 8), a]) as ST;
  const cell = bn(conv(relu(tfl.layers.concatenate().apply([b1, b2, b3]) as ST), 8, 1, 1));
  const reduced = bn(conv(relu(cell), 16, 3, 2));
  const pooled = tfl.layers.globalAveragePooling2d({}).apply(reduced) as ST;
  const probs = tfl.layers.dense({ units: 5, activation: 'softmax', kernelInitializer: init() }).apply(pooled) as ST;
  return tfl.model({ inputs: image, outputs: probs });
}

async function trainLosses(
  backend: string,
  weights: Float32Array[],
  steps: number,
): Promise<{ losses: number[]; predictions: Float32Array; tensors: number[] }> {
  await tf.setBackend(backend);
  const model = everyOpModel(5);
  const initial = model.getWeights().map((w, i) => tf.tensor(weights[i]!, w.shape));
  model.setWeights(initial);
  tf.dispose(initial);
  model.compile({ optimizer: tf.train.adam(1e-2), loss: 'categoricalCrossentropy' });
  const rng = new Rng(41);
  const xs = tf.tensor(
    randomValues(rng, 4 * 12 * 12 * 3).map((v) => (v + 1) / 2),
    [4, 12, 12, 3],
  );
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 3, 1, 4], 'int32'), 5));
  const losses: number[] = [];
  const tensors: number[] = [];
  for (let i = 0; i < steps; i++) {
    losses.push((await model.trainOnBatch(xs, ys)) as number);
    tensors.push(tf.memory().numTensors);
  }
  const pred = model.predict(xs) as tf.Tensor; // BatchNorm in inference mode
  const predictions = pred.dataSync() as Float32Array;
  tf.dispose([pred, xs, ys]);
  model.optimizer.dispose(); // compiled with our instance, so the model does not own it
  model.dispose();
  return { losses, predictions, tensors };
}

describe('training on wasm', () => {
  it('follows the cpu loss curve from the same weights, with a flat tensor count', async () => {
    await tf.setBackend('cpu');
    const reference = everyOpModel(5);
    const weights = reference.getWeights().map((w) => w.dataSync() as Float32Array);
    reference.dispose();

    const steps = 5;
    const cpuBefore = tf.memory().numTensors;
    const cpu = await trainLosses('cpu', weights, steps);
    expect(tf.memory().numTensors).toBe(cpuBefore);
    const wasmBefore = tf.memory().numTensors;
    const wasmBackend = tf.findBackend('wasm') as unknown as { numDataIds(): number };
    const idsBefore = wasmBackend.numDataIds();
    const wasm = await trainLosses('wasm', weights, steps);

    expect(cpu.losses.every(Number.isFinite)).toBe(true);
    expect(cpu.losses[steps - 1]!).toBeLessThan(cpu.losses[0]!); // it does learn
    for (let i = 0; i < steps; i++) {
      expect(Math.abs(wasm.losses[i]! - cpu.losses[i]!) / Math.abs(cpu.losses[i]!), `loss at step ${i}`).toBeLessThan(1e-3);
    }
    expect(relativeError(wasm.predictions, cpu.predictions)).toBeLessThan(1e-3);
    // No tensor (engine) or heap buffer (backend) survives a step.
    expect(new Set(wasm.tensors.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(wasmBefore);
    expect(wasmBackend.numDataIds()).toBe(idsBefore);
  });
});
