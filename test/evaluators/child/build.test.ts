import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sampleCells } from '../../../src/spaces/nasnet/sample.js';
import type { CellPair } from '../../../src/spaces/nasnet/types.js';
import { avgPool3x3ExcludePad } from '../../../src/evaluators/child/avg-pool.js';
import { buildChild, countParams, liveCells } from '../../../src/evaluators/child/build.js';
import { Rng } from '../../../src/util/random.js';
import { exampleCells, fillWeights, randomImages } from './helpers.js';
import type { TorchCase } from './fixtures/torch-cases.js';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

describe('buildChild', () => {
  it('has exactly the PyTorch reference parameter counts for the example cells', () => {
    for (const [channels, expected] of [
      [[16, 32, 32, 64, 64], 301_098],
      [[4, 16, 16, 256, 256], 3_212_674],
    ] as const) {
      const model = buildChild(exampleCells(), { channels: [...channels] });
      expect(countParams(model)).toBe(expected);
      // tfjs's own count adds the BN moving mean and variance
      expect(model.countParams()).toBeGreaterThan(expected);
      model.dispose();
    }
  });

  interface PeerCase extends TorchCase {
    /** All of PyTorch's parameters, and those a backward pass reaches. */
    params: number;
    liveParams: number;
    probsEval: number[];
    probsTrain: number[];
  }
  const peer = JSON.parse(readFileSync(new URL('./fixtures/torch-peer.json', import.meta.url), 'utf8')) as { cases: PeerCase[] };

  it.each(peer.cases.map((c) => [c.name, c] as const))('computes what the PyTorch reference computes with the same weights: %s', (_, c) => {
    const model = buildChild(c.cells, { channels: c.channels, hierarchical: c.hierarchical, inputShape: [c.size, c.size, 3] });
    fillWeights(model, c.weightSeed);
    expect(countParams(model)).toBe(c.liveParams);
    const x = randomImages(c.n, c.size, c.inputSeed);
    // inference uses the (non-trivial) moving statistics, training mode the batch's
    for (const [training, expected] of [
      [false, c.probsEval],
      [true, c.probsTrain],
    ] as const) {
      const probs = tf.tidy(() => model.apply(x, { training }) as tf.Tensor);
      expect(probs.shape).toEqual([c.n, 10]);
      const got = probs.dataSync();
      const worst = Math.max(...expected.map((v, i) => Math.abs(v - got[i])));
      expect(worst).toBeLessThan(2e-5);
      probs.dispose();
    }
    x.dispose();
    model.dispose();
  });

  it('gives [N, classes] probabilities for random flat and hierarchical cells and varied channels', () => {
    const rng = new Rng(42);
    const schedules = [
      [2, 2, 2, 4, 4],
      [3, 6, 5, 7, 2],
      [8, 4, 4, 2, 2],
      [1, 1, 1, 1, 1],
    ];
    for (let i = 0; i < 8; i++) {
      const hierarchical = i % 2 === 1;
      const blocks = 1 + rng.int(5);
      const cells = sampleCells(rng, { blocks, hierarchical });
      const size = [8, 12, 32][i % 3];
      const numClasses = i === 3 ? 3 : 10;
      const model = buildChild(cells, { channels: schedules[i % schedules.length], hierarchical, inputShape: [size, size, 3], numClasses });
      const probs = tf.tidy(() => model.predict(randomImages(2, size, i)) as tf.Tensor);
      expect(probs.shape).toEqual([2, numClasses]);
      const sums = tf.tidy(() => tf.sum(probs, -1).dataSync());
      for (const s of sums) expect(s).toBeCloseTo(1, 5);
      probs.dispose();
      model.dispose();
    }
  });

  it('evaluates blocks that feed one tensor to both sides of their combine (identity(h) + identity(h))', () => {
    // Regression: tfjs-layers' inference executor disposed such a tensor while other layers still read
    // it, so about one architecture in eight failed at validation (see src/evaluators/child/alias.ts).
    const twin = (combine: 'add' | 'concat', input: number) => ({
      inputs: [input, input] as [number, number],
      ops: ['identity', 'identity'] as ['identity', 'identity'],
      combine,
    });
    const flat: CellPair = {
      normal: [twin('add', 0), { inputs: [0, 1], ops: ['sep_3x3', 'identity'], combine: 'add' }, twin('concat', 1)],
      reduction: [twin('add', 1), { inputs: [0, 0], ops: ['sep_3x3', 'max_3x3'], combine: 'add' }],
    };
    const hierarchical: CellPair = {
      normal: [
        { inputs: [0, 1], ops: ['sep_3x3', 'avg_3x3'], combine: 'add' },
        twin('add', 2),
        { inputs: [2, 0], ops: ['identity', 'sep_5x5'], combine: 'concat' },
      ],
      reduction: [twin('concat', 0), twin('add', 2)],
    };
    for (const [cells, h] of [
      [flat, false],
      [hierarchical, true],
    ] as const) {
      const model = buildChild(cells, { channels: [2, 4, 4, 4, 4], hierarchical: h, inputShape: [8, 8, 3] });
      const probs = tf.tidy(() => (model.predict(randomImages(2, 8, 1)) as tf.Tensor).arraySync() as number[][]);
      for (const row of probs) expect(row.reduce((a, b) => a + b)).toBeCloseTo(1, 5);
      model.dispose();
    }
  });

  it('names layers after their cell, block and operation', () => {
    const model = buildChild(exampleCells(), { channels: [2, 2, 2, 2, 2] });
    // the example's normal block 3 is sep_7x7 (+ identity); reduction block 1 joins by concat
    for (const name of [
      'stem_conv',
      'cell2_normal/block3/op0_sep_7x7_dw',
      'cell2_normal/block3/op0_sep_7x7_pw',
      'cell1_reduction/reduce0_conv',
      'cell1_reduction/block1/combine_conv',
      'cell4_normal/block1/op1_avg_3x3',
      'cell4_normal/out_bn',
      'head_dense',
    ]) {
      expect(model.getLayer(name).name).toBe(name);
    }
    model.dispose();
  });

  it('initializes deterministically from a seed', () => {
    const weights = (seed: number) => {
      const model = buildChild(exampleCells(), { channels: [2, 2, 2, 4, 4], seed });
      const values = model.trainableWeights.filter((w) => /kernel/.test(w.name)).map((w) => w.read().dataSync().join());
      model.dispose();
      return values;
    };
    const a = weights(5);
    expect(weights(5)).toEqual(a);
    expect(weights(6)).not.toEqual(a);
    // kernels of equal shape (many 1x1 convs here) are drawn independently
    expect(new Set(a).size).toBe(a.length);
  });

  it('leaves no tensors behind once disposed, also when inputs and whole cells are unread', () => {
    const unread = peer.cases.find((c) => c.params > c.liveParams)!;
    // cell 4 reads cell 3 only, cell 3 reads cell 1 only, cell 1 the stem only
    expect(liveCells(unread.cells)).toEqual([false, true, false, true, true]);
    for (const [cells, hierarchical] of [
      [sampleCells(new Rng(1), { blocks: 5, hierarchical: true }), true],
      [unread.cells, true],
    ] as const) {
      const before = tf.memory().numTensors;
      const model = buildChild(cells, { channels: [2, 2, 2, 2, 2], hierarchical });
      tf.dispose(tf.tidy(() => model.apply(randomImages(1, 32, 0), { training: true }) as tf.Tensor));
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('rejects bad cells and options with errors naming the problem', () => {
    const cells = exampleCells();
    const ok = { channels: [2, 2, 2, 2, 2] };
    expect(() => buildChild(cells, { channels: [2, 2, 2, 2] })).toThrow(/channels must be 5 positive integers/);
    expect(() => buildChild(cells, { channels: [2, 2, 0, 2, 2] })).toThrow(/channels/);
    expect(() => buildChild(cells, { ...ok, inputShape: [32, 32] as never })).toThrow(/inputShape/);
    const withOp = structuredClone(cells);
    withOp.normal[2].ops[1] = 'conv_9x9' as never;
    expect(() => buildChild(withOp, ok)).toThrow(/normal\[2\]\.ops\[1\]: "conv_9x9" is not an operation/);
    const deep = structuredClone(cells);
    deep.reduction[3].inputs = [0, 4];
    expect(() => buildChild(deep, ok)).toThrow(/reduction\[3\]\.inputs\[1\]: 4 is out of range/);
    const hierarchicalOk = buildChild(deep, { ...ok, hierarchical: true });
    hierarchicalOk.dispose();
    deep.reduction[1].inputs = [3, 0];
    expect(() => buildChild(deep, { ...ok, hierarchical: true })).toThrow(/reduction\[1\]\.inputs\[0\]: 3 is out of range/);
    const combine = structuredClone(cells);
    combine.normal[0].combine = 'mul' as never;
    expect(() => buildChild(combine, ok)).toThrow(/normal\[0\]\.combine: "mul"/);
    expect(() => buildChild({ normal: [], reduction: cells.reduction }, ok)).toThrow(/normal: expected at least one block, got none/);
  });
});

describe('avg_3x3', () => {
  // direct reference: mean over the in-image pixels of each 3x3 window (PyTorch count_include_pad=False)
  function reference(x: Float32Array, h: number, w: number, c: number): Float32Array {
    const out = new Float32Array(x.length);
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        for (let ch = 0; ch < c; ch++) {
          let sum = 0;
          let count = 0;
          for (let dy = -1; dy <= 1; dy++) {
            for (let dx = -1; dx <= 1; dx++) {
              const yy = y + dy;
              const xw = xx + dx;
              if (yy < 0 || yy >= h || xw < 0 || xw >= w) continue;
              sum += x[(yy * w + xw) * c + ch];
              count++;
            }
          }
          out[(y * w + xx) * c + ch] = sum / count;
        }
      }
    }
    return out;
  }

  it('leaves the padding out of border means', () => {
    const [h, w, c] = [5, 4, 2];
    const rng = new Rng(9);
    const values = Float32Array.from({ length: h * w * c }, () => rng.next() * 4 - 2);
    const input = tf.tensor4d(values, [1, h, w, c]);
    const got = avgPool3x3ExcludePad(input).dataSync();
    const want = reference(values, h, w, c);
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
    // a constant image stays constant only when padding is excluded
    const ones = tf.ones([1, h, w, 1]) as tf.Tensor4D;
    expect(Array.from(avgPool3x3ExcludePad(ones).dataSync())).toEqual(new Array(h * w).fill(1));
    tf.dispose([input, ones]);
  });

  it('has the gradient of the padding-excluded mean (not the /9 of tfjs cpu AvgPoolGrad)', () => {
    const [h, w] = [4, 5];
    const rng = new Rng(3);
    const weights = Float32Array.from({ length: h * w }, () => rng.next());
    const x = tf.tensor4d(
      Float32Array.from({ length: h * w }, () => rng.next()),
      [1, h, w, 1],
    );
    const wt = tf.tensor4d(weights, [1, h, w, 1]);
    const grad = tf
      .grad((t: tf.Tensor) => tf.sum(tf.mul(avgPool3x3ExcludePad(t as tf.Tensor4D), wt)))(x)
      .dataSync();
    // d/dx_p of sum_q w_q * mean(window q) = sum over windows q containing p of w_q / |q|
    const count = (y: number, xx: number) => (Math.min(h - 1, y + 1) - Math.max(0, y - 1) + 1) * (Math.min(w - 1, xx + 1) - Math.max(0, xx - 1) + 1);
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        let want = 0;
        for (let qy = Math.max(0, y - 1); qy <= Math.min(h - 1, y + 1); qy++) {
          for (let qx = Math.max(0, xx - 1); qx <= Math.min(w - 1, xx + 1); qx++) want += weights[qy * w + qx] / count(qy, qx);
        }
        expect(grad[y * w + xx]).toBeCloseTo(want, 5);
      }
    }
    tf.dispose([x, wt]);
  });
});
