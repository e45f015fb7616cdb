// The WebGPU code path on a real adapter: every op of the child network (child-spec.md), forward
// and gradients, against tfjs's cpu backend; a child trained 5 Adam steps from the same weights
// follows cpu's loss curve with a flat tensor count; the controller samples, learns and saves.
// On these machines the adapter is Mesa's lavapipe (Vulkan on the CPU): slow, but the same shaders,
// buffers and asynchronous reads as on a GPU. Nothing here reads a tensor synchronously, because
// webgpu cannot under Node (its readSync needs an OffscreenCanvas).
//
// Tolerance: max |webgpu - cpu| <= 1e-4 * max |cpu| per output, as for the wasm kernels; losses
// of the 5-step curve within 1e-3 relative, inference-mode predictions within 1e-3.
//
// Skips where Dawn finds no adapter (no Vulkan loader or driver), saying why; under CI=true it
// fails instead, since .ci/run installs Mesa's Vulkan drivers.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { openDawn, probeWebgpu } from '../../src/backend/webgpu.js';
import { avgPool3x3ExcludePad } from '../../src/evaluators/child/avg-pool.js';
import { buildChild } from '../../src/evaluators/child/build.js';
import { categoricalCrossEntropy, trainStep } from '../../src/evaluators/child/train.js';
import { batchNormTrain } from '../../src/evaluators/child/batch-norm.js';
import { Controller } from '../../src/strategies/controller/policy.js';
import { Rng } from '../../src/util/random.js';
import { childProxyNetwork } from '../../src/proxies/networks.js';
import { synflow } from '../../src/proxies/synflow.js';
import { relativeError } from './tolerance.js';
import { exampleCells, fillWeights, randomImages } from '../evaluators/child/helpers.js';

tf.env().set('PROD', true);
const TOL = 1e-4;

const probe = await probeWebgpu();
const why = probe.ok ? '' : probe.reason;
if (!probe.ok && !process.env.CI) console.warn(`skipping the webgpu tests: ${why}`);

it.runIf(!probe.ok && !!process.env.CI)("has a WebGPU adapter (CI installs Mesa's Vulkan drivers)", () => {
  throw new Error(`no WebGPU adapter, and CI must run the webgpu tests: ${why} (see .ci/run)`);
});

describe.skipIf(!probe.ok)('the webgpu backend', () => {
  beforeAll(async () => {
    await openDawn();
    await import('@tensorflow/tfjs-backend-webgpu');
    expect(await tf.setBackend('webgpu')).toBe(true);
    // Any synchronous read from here on is a bug: make it fail loudly on every backend.
    refuseSyncReads(true);
  });
  afterAll(() => refuseSyncReads(false));

  it('runs on the adapter the probe found', () => {
    expect(tf.getBackend()).toBe('webgpu');
    expect(probe.ok && probe.adapter.name.length).toBeGreaterThan(0);
  });

  describe('every op of the child, forward and gradients, agrees with cpu', () => {
    const rng = new Rng(7);
    const x = (shape: number[]) => ({ shape, values: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 2 * rng.next() - 1) });
    const positive = (n: number) => ({ shape: [n], values: Float32Array.from({ length: n }, () => 0.5 + rng.next()) });
    const cases: Array<{ name: string; inputs: Array<{ shape: number[]; values: Float32Array }>; f: (...t: tf.Tensor[]) => tf.Tensor }> = [
      { name: 'relu', inputs: [x([2, 6, 6, 4])], f: (a) => tf.relu(a) },
      {
        name: 'conv 1x1 (pointwise, prep, combine, cell output)',
        inputs: [x([2, 6, 6, 8]), x([1, 1, 8, 12])],
        f: (a, w) => tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'),
      },
      { name: 'conv 3x3 stride 1 (stem)', inputs: [x([2, 7, 7, 3]), x([3, 3, 3, 8])], f: (a, w) => tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 1, 'same') },
      {
        name: 'conv 3x3 stride 2 after zero padding 1 (reduction)',
        inputs: [x([2, 8, 8, 4]), x([3, 3, 4, 8])],
        f: (a, w) =>
          tf.conv2d(
            tf.pad(a as tf.Tensor4D, [
              [0, 0],
              [1, 1],
              [1, 1],
              [0, 0],
            ]),
            w as tf.Tensor4D,
            2,
            'valid',
          ),
      },
      ...[3, 5, 7].map((k) => ({
        name: `depthwise ${k}x${k} (sep_${k}x${k})`,
        inputs: [x([2, 9, 9, 4]), x([k, k, 4, 1])],
        f: (a: tf.Tensor, w: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'),
      })),
      {
        name: 'batch norm, training mode (batch statistics)',
        inputs: [x([4, 5, 5, 8]), positive(8), x([8])],
        f: (a, g, b) => {
          const r = batchNormTrain(a, g, b, 1e-5);
          tf.dispose([r.mean, r.variance]);
          return r.y;
        },
      },
      {
        name: 'batch norm, inference mode (moving statistics)',
        inputs: [x([2, 5, 5, 8]), x([8]), positive(8), x([8]), positive(8)],
        f: (a, mean, variance, beta, gamma) => tf.batchNorm(a, mean as tf.Tensor1D, variance as tf.Tensor1D, beta as tf.Tensor1D, gamma as tf.Tensor1D, 1e-5),
      },
      { name: 'avg 3x3, padding left out of the mean', inputs: [x([2, 6, 5, 4])], f: (a) => avgPool3x3ExcludePad(a as tf.Tensor4D) },
      { name: 'max 3x3', inputs: [x([2, 6, 5, 4])], f: (a) => tf.maxPool(a as tf.Tensor4D, 3, 1, 'same') },
      { name: 'add', inputs: [x([2, 4, 4, 8]), x([2, 4, 4, 8])], f: (a, b) => tf.add(a, b) },
      { name: 'concat on channels', inputs: [x([2, 4, 4, 8]), x([2, 4, 4, 4]), x([2, 4, 4, 8])], f: (...t) => tf.concat(t, -1) },
      { name: 'global average pooling', inputs: [x([3, 4, 4, 16])], f: (a) => tf.mean(a, [1, 2]) },
      {
        name: 'dense, softmax and cross-entropy (head and loss)',
        inputs: [x([6, 16]), x([16, 10]), x([10])],
        f: (a, w, b) =>
          categoricalCrossEntropy(
            tf.softmax(tf.add(tf.matMul(a as tf.Tensor2D, w as tf.Tensor2D), b)) as tf.Tensor2D,
            tf.oneHot(tf.tensor1d([0, 3, 9, 1, 1, 7], 'int32'), 10) as tf.Tensor2D,
          ),
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const want = await valueAndGrads('cpu', c.f, c.inputs);
        const got = await valueAndGrads('webgpu', c.f, c.inputs);
        expect(got.length).toBe(c.inputs.length + 1);
        got.forEach((g, i) => {
          const what = i === 0 ? 'forward' : `gradient of input ${i - 1}`;
          expect(g.length, what).toBe(want[i]!.length);
          expect(relativeError(g, want[i]!), what).toBeLessThanOrEqual(TOL);
        });
      });
    }
  });

  it("trains a child 5 steps on cpu's loss curve from the same weights, with a flat tensor count", async () => {
    const cpu = await trainChild('cpu', 5);
    const gpu = await trainChild('webgpu', 5);
    expect(cpu.losses.every(Number.isFinite)).toBe(true);
    expect(cpu.losses[4]!).toBeLessThan(cpu.losses[0]!); // it does learn
    for (let i = 0; i < 5; i++) expect(Math.abs(gpu.losses[i]! - cpu.losses[i]!) / cpu.losses[i]!, `loss at step ${i}`).toBeLessThan(1e-3);
    expect(relativeError(gpu.predictions, cpu.predictions)).toBeLessThan(1e-3);
    expect(new Set(gpu.tensors).size, `tensors after each step: ${gpu.tensors}`).toBe(1);
    expect(cpu.leaked).toBe(0);
    expect(gpu.leaked).toBe(0);
    expect(gpu.dataIdsLeaked).toBe(0);
  });

  it('samples, trains and saves the controller without a synchronous read or a leak', async () => {
    await tf.setBackend('webgpu');
    const before = tf.memory().numTensors;
    const controller = new Controller({ seed: 5, epsilon: 0.2 });
    const s = await controller.sample();
    const lp = await controller.logProb(s.actions);
    expect(lp).toBeCloseTo(s.logProb, 3);
    await controller.update(s.actions, 1);
    expect(await controller.logProb(s.actions)).toBeGreaterThan(lp);
    const state = JSON.parse(JSON.stringify(await controller.getState()));
    const resumed = await Controller.fromState(state);
    expect(await resumed.sample()).toEqual(await controller.sample());
    resumed.dispose();
    controller.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('scores synflow (the default proxy) without a synchronous read, as cpu does, and leaks nothing', async () => {
    const net = childProxyNetwork(exampleCells(), { channels: [2, 4, 4, 8, 8], numClasses: 10, inputShape: [16, 16, 3], seed: 3 });
    const score = async (backend: string) => {
      await tf.setBackend(backend);
      const batch = { images: tf.zeros([1, 16, 16, 3]) as tf.Tensor4D, labels: tf.zeros([1], 'int32') as tf.Tensor1D, numClasses: 10 };
      const before = tf.memory().numTensors;
      const value = await synflow.score(net, batch);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([batch.images, batch.labels]);
      return value;
    };
    const onCpu = await score('cpu');
    expect(Math.abs((await score('webgpu')) - onCpu)).toBeLessThan(1e-3);
  });
});

type SyncProto = { dataSync: unknown; arraySync: unknown; bufferSync: unknown };
const proto = tf.Tensor.prototype as unknown as SyncProto;
const original = { dataSync: proto.dataSync, arraySync: proto.arraySync, bufferSync: proto.bufferSync };
function refuseSyncReads(on: boolean): void {
  const refuse = () => {
    throw new Error('synchronous tensor read (webgpu cannot under Node)');
  };
  Object.assign(proto, on ? { dataSync: refuse, arraySync: refuse, bufferSync: refuse } : original);
}

/** f's output and its gradients with respect to every input, for a fixed random cotangent. */
async function valueAndGrads(
  backend: string,
  f: (...t: tf.Tensor[]) => tf.Tensor,
  inputs: Array<{ shape: number[]; values: Float32Array }>,
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const xs = inputs.map((i) => tf.tensor(i.values, i.shape));
  const outs = tf.tidy(() => {
    const y = f(...xs);
    const rng = new Rng(99);
    const dy = tf.tensor(
      Float32Array.from({ length: y.size }, () => 2 * rng.next() - 1),
      y.shape,
    );
    const grads = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), dy)))(xs);
    return [y, ...grads];
  });
  const values = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose([...outs, ...xs]);
  return values;
}

/** The example cells' child at small channels, trained `steps` Adam steps on 8 fixed images. */
async function trainChild(backend: string, steps: number) {
  await tf.setBackend(backend);
  const backendImpl = tf.backend() as unknown as { numDataIds(): number };
  const tensorsBefore = tf.memory().numTensors;
  const idsBefore = backendImpl.numDataIds();
  const model = buildChild(exampleCells(), { channels: [4, 8, 8, 8, 8], inputShape: [16, 16, 3], seed: 3 });
  fillWeights(model, 11); // the same values on both backends, whatever each initializer does
  const optimizer = tf.train.adam(1e-2, 0.9, 0.999, 1e-8);
  const xs = randomImages(8, 16, 5);
  const ys = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32'), 10), 'float32')) as tf.Tensor2D;
  const losses: number[] = [];
  const tensors: number[] = [];
  for (let i = 0; i < steps; i++) {
    const r = trainStep(model as tfl.LayersModel, optimizer, { xs, ys });
    losses.push((await r.loss.data())[0]!);
    tf.dispose([r.loss, r.correct]);
    if (i > 0) tensors.push(tf.memory().numTensors); // step 0 creates Adam's slots
  }
  const pred = model.predict(xs) as tf.Tensor;
  const predictions = (await pred.data()) as Float32Array;
  tf.dispose([pred, xs, ys]);
  optimizer.dispose();
  model.dispose();
  return { losses, predictions, tensors, leaked: tf.memory().numTensors - tensorsBefore, dataIdsLeaked: backendImpl.numDataIds() - idsBefore };
}
