import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareBackend } from '../../src/backend/index.js';
import { execute } from '../../src/proxies/executor.js';
import { disposeBatch, randomBatch, tinyChild } from './helpers.js';

beforeAll(async () => {
  await prepareBackend('wasm');
});

describe('execute', () => {
  it('reproduces model.predict exactly on a NASNet child, and its logits give predict’s softmax', async () => {
    const model = tinyChild().build({ batchNorm: true });
    const { images, labels } = randomBatch(4, [32, 32, 3], 10);
    const before = tf.memory().numTensors;
    const [expected, actual, fromLogits] = tf.tidy(() => [
      model.predict(images) as tf.Tensor,
      execute(model, images)[0],
      tf.softmax(execute(model, images, { logits: true })[0]),
    ]);
    expect(Array.from(await actual.data())).toEqual(Array.from(await expected.data()));
    const [p, q] = [await fromLogits.data(), await expected.data()];
    p.forEach((v, i) => expect(v).toBeCloseTo(q[i], 6));
    tf.dispose([expected, actual, fromLogits]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    tf.dispose([images, labels]);
  });

  it('training mode matches model.apply(x, {training: true})', async () => {
    const model = tinyChild().build({ batchNorm: true });
    const batch = randomBatch(4, [32, 32, 3], 10);
    const [a, b] = tf.tidy(() => [model.apply(batch.images, { training: true }) as tf.Tensor, execute(model, batch.images, { training: true })[0]]);
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    tf.dispose([a, b]);
    model.dispose();
    disposeBatch(batch);
  });

  it('runs Sequential models, sees every layer, and lets a hook replace an output', async () => {
    const model = tfl.sequential({
      layers: [tfl.layers.dense({ inputShape: [3], units: 4, activation: 'relu' }), tfl.layers.dense({ units: 2, activation: 'softmax' })],
    });
    const x = tf.tensor2d([
      [1, 2, 3],
      [-1, 0, 2],
    ]);
    const seen: string[] = [];
    const linear: string[] = [];
    const [same, zeroed, logits] = tf.tidy(() => [
      execute(model, x, { output: (l) => void seen.push(l.getClassName()) })[0],
      // Zeroing the hidden layer's output leaves softmax(bias) for every row.
      execute(model, x, { output: (l, y) => (l === model.layers[0] ? tf.zerosLike(y) : undefined) })[0],
      execute(model, x, { logits: true, linear: (l) => void linear.push(l.name) })[0],
    ]);
    expect(seen).toEqual(['Dense', 'Dense']);
    expect(linear).toEqual(model.layers.map((l) => l.name));
    const predicted = model.predict(x) as tf.Tensor;
    expect(Array.from(await same.data())).toEqual(Array.from(await predicted.data()));
    const bias = model.layers[1].getWeights()[1];
    const expectedZeroed = tf.softmax(tf.stack([bias, bias]));
    Array.from(await zeroed.data()).forEach((v, i) => expect(v).toBeCloseTo(expectedZeroed.dataSync()[i], 6));
    const softmaxOfLogits = tf.softmax(logits);
    Array.from(await softmaxOfLogits.data()).forEach((v, i) => expect(v).toBeCloseTo(predicted.dataSync()[i], 6));
    tf.dispose([x, same, zeroed, logits, predicted, expectedZeroed, softmaxOfLogits]);
    model.dispose();
  });
});
