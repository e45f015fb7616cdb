import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FinalTrainingDiverged, trainFinal, type FinalEpoch, type FinalTrainOptions } from '../../../src/evaluators/child/final-train.js';
import { loadLayersModelFromDir, saveLayersModel } from '../../../src/evaluators/child/model-io.js';
import type { ImageSet } from '../../../src/data/types.js';
import { buildChild } from '../../../src/evaluators/child/build.js';
import { colorSet, exampleCells, randomImages } from './helpers.js';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

const work = mkdtempSync(join(tmpdir(), 'nascent-final-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The same images with every label swapped (0 <-> 1): a network that learned colours gets them all wrong. */
function flipped(set: ImageSet): ImageSet {
  return { ...set, labels: set.labels.map((l) => 1 - l) };
}

// 8x8 images and 2..8 channels: trains in about a second on cpu
const base: FinalTrainOptions = {
  cells: exampleCells(),
  train: colorSet(32, 8, 1),
  test: colorSet(20, 8, 2),
  channels: [4, 4, 4, 8, 8],
  epochs: 2,
  batchSize: 8,
  learningRate: 1e-2,
  seed: 7,
  numClasses: 2,
};

describe('trainFinal', () => {
  it('trains on the training images and scores the test images, once, at the end', async () => {
    const before = tf.memory().numTensors;
    const events: string[] = [];
    const epochs: FinalEpoch[] = [];
    // Records when the test images are read: only after the last epoch, never while training.
    const reads: number[] = [];
    const test = new Proxy(base.test, {
      get(target, prop, receiver) {
        if (prop === 'images' || prop === 'labels') reads.push(epochs.length);
        return Reflect.get(target, prop, receiver);
      },
    });
    const result = await trainFinal(
      { ...base, test },
      {
        onEpochStart: (e, n, batches) => events.push(`start ${e}/${n} (${batches})`),
        onBatch: (e, b) => b === 0 && events.push(`batch ${e}.${b}`),
        onEpochEnd: (s) => epochs.push(s),
        onPhase: (p, images) => events.push(`${p} ${images}`),
        onTestBatch: (done, total) => events.push(`test ${done}/${total}`),
      },
    );
    expect(events).toEqual(['start 1/2 (4)', 'batch 1.0', 'start 2/2 (4)', 'batch 2.0', 'recalibrate 32', 'test 20', 'test 8/20', 'test 16/20', 'test 20/20']);
    expect(reads.length).toBeGreaterThan(0);
    expect(new Set(reads)).toEqual(new Set([2]));
    expect(result.epochs).toEqual(epochs);
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(epochs[1].loss).toBeLessThan(epochs[0].loss);
    expect(result.testImages).toBe(20);
    expect(result.trainImages).toBe(32);
    expect(result.testAccuracy).toBeGreaterThanOrEqual(0.8); // chance is 0.5
    expect(result.params).toBe(8378 - 8 * 8 - 8); // the 10-class reference count, with a 2-class head
    result.model.dispose();
    expect(tf.memory().numTensors).toBe(before);

    // Same training, test labels swapped: the accuracy must be the exact complement, so it was
    // computed on the test set given, and on nothing else.
    const swapped = await trainFinal({ ...base, test: flipped(base.test) });
    expect(swapped.epochs).toEqual(result.epochs.map((e) => ({ ...e, seconds: expect.any(Number) })));
    expect(swapped.testAccuracy).toBeCloseTo(1 - result.testAccuracy, 10);
    swapped.model.dispose();
  });

  it('rejects, leaking nothing, when aborted or when the loss diverges', async () => {
    const before = tf.memory().numTensors;
    const stop = new AbortController();
    const aborted = trainFinal(base, { signal: stop.signal, onBatch: (_, b) => b === 1 && stop.abort(new Error('interrupted')) });
    await expect(aborted).rejects.toThrow('interrupted');
    // Adam moves every weight by about the learning rate: 1e20 overflows float32 activations
    await expect(trainFinal({ ...base, learningRate: 1e20 })).rejects.toThrow(FinalTrainingDiverged);
    await expect(trainFinal({ ...base, learningRate: 1e20 })).rejects.toThrow(/loss became NaN at epoch 1 batch \d+; try a smaller --lr/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses test images of another shape than the training images', async () => {
    await expect(trainFinal({ ...base, test: colorSet(4, 6, 1) })).rejects.toThrow(/training images are 8x8x3 but test images are 6x6x3/);
  });
});

describe('saveLayersModel / loadLayersModelFromDir', () => {
  it('round-trips a trained child, custom layers included, to identical predictions', async () => {
    const result = await trainFinal({ ...base, epochs: 1, train: colorSet(16, 8, 1) });
    const dir = mkdtempSync(join(work, 'model-'));
    const { weightsBytes } = await saveLayersModel(result.model, dir, { nascent: { key: 'abc' } });
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest).toEqual([{ paths: ['./weights.bin'], weights: expect.any(Array) }]);
    expect(json.userDefinedMetadata).toEqual({ nascent: { key: 'abc' } });
    const classes = JSON.stringify(json.modelTopology);
    expect(classes).toContain('NascentFusedBatchNormalization');
    expect(classes).toContain('NascentAvgPool3x3ExcludePad');
    expect(readFileSync(join(dir, 'weights.bin')).byteLength).toBe(weightsBytes);

    const loaded = await loadLayersModelFromDir(dir);
    const x = randomImages(6, 8, 5);
    const [a, b] = [result.model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    // BN moving statistics (not trainable) travel too: every weight, by name, bit for bit
    const weights = (m: typeof loaded) => Object.fromEntries(m.weights.map((w) => [w.originalName, Array.from(w.read().dataSync())]));
    expect(weights(loaded)).toEqual(weights(result.model));
    tf.dispose([x, a, b]);
    loaded.dispose();
    result.model.dispose();
  });

  it('loads in a process that imports only model-io, whatever custom layers the child has', async () => {
    // identity(h) + identity(h) puts an Alias layer in the model (see src/evaluators/child/alias.ts).
    const twin = { inputs: [0, 0] as [number, number], ops: ['identity', 'identity'] as ['identity', 'identity'], combine: 'add' as const };
    const cells = {
      normal: [twin, { inputs: [1, 0] as [number, number], ops: ['avg_3x3', 'sep_3x3'] as ['avg_3x3', 'sep_3x3'], combine: 'add' as const }],
      reduction: [twin],
    };
    const model = buildChild(cells, { channels: [2, 2, 2, 2, 2], inputShape: [8, 8, 3], seed: 1 });
    const dir = mkdtempSync(join(work, 'model-'));
    await saveLayersModel(model, dir);
    model.dispose();
    const classes = JSON.stringify(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).modelTopology);
    for (const name of ['NascentAlias', 'NascentAvgPool3x3ExcludePad', 'NascentFusedBatchNormalization']) expect(classes).toContain(name);
    const script = [
      "import * as tf from '@tensorflow/tfjs-core';",
      "import '@tensorflow/tfjs-backend-cpu';",
      "const { loadLayersModelFromDir } = await import('./src/evaluators/child/model-io.ts');",
      "await tf.setBackend('cpu');",
      'const m = await loadLayersModelFromDir(process.argv[1]);',
      "console.log('loaded', m.countParams());",
    ].join('\n');
    const root = resolve(__dirname, '../../..');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.stdout).toMatch(/^loaded \d+$/m);
  });
});
