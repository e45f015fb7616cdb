// Weight inheritance: a child saved after k epochs and continued to n is the child trained n epochs
// straight (weights, BN statistics, Adam's moments and step count, and the data order all carry
// over, Adam's bias-correction powers to the bit), and a state that does not fit the child is
// refused with the file named.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { ChildManager, type ChildManagerOptions } from '../../../src/evaluators/child/manager.js';
import { decodeChildState } from '../../../src/evaluators/child/state.js';
import { colorSet, exampleCells } from './helpers.js';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

// 40 images in batches of 8: 5 Adam steps an epoch. After 5 steps tfjs's own setWeights restores
// beta2^6 by pow(), which rounds differently from the 6 multiplications training made.
const data = { train: colorSet(40, 8, 1), val: colorSet(32, 8, 2) };
const base: ChildManagerOptions = { data, channels: [4, 4, 4, 8, 8], epochs: 3, batchSize: 8, learningRate: 1e-2, seed: 7, numClasses: 2 };

describe('continuing a saved child', () => {
  it('1 epoch, saved, then 2 more gives the 3-epoch child exactly, and leaves no tensors', async () => {
    const manager = new ChildManager(base);
    const straight = await manager.train(exampleCells(), {}, { epochs: 3, keepState: true });
    const before = tf.memory().numTensors;
    const first = await manager.train(exampleCells(), {}, { epochs: 1, keepState: true });
    expect(first.state).toBeInstanceOf(Uint8Array);
    const header = decodeChildState(first.state!, 'x');
    expect(header.epochs).toBe(1);
    tf.dispose([...header.model, ...header.optimizer.map((w) => w.tensor)]);
    const epochsSeen: number[] = [];
    const rest = await manager.train(
      exampleCells(),
      { onEpochStart: (e) => epochsSeen.push(e) },
      { epochs: 3, resume: { bytes: first.state!, what: 'states/episode-1.state' }, keepState: true },
    );
    expect(epochsSeen).toEqual([1, 2]);
    expect(rest).toMatchObject({ initialEpoch: 1, epochsTrained: 2 });
    expect([...first.valAccuracies, ...rest.valAccuracies]).toEqual(straight.valAccuracies);
    expect([...first.losses, ...rest.losses]).toEqual(straight.losses);
    // Same weights and Adam state (tensor names differ: tfjs numbers the layers of each new model).
    const [a, b] = [decodeChildState(rest.state!, 'a'), decodeChildState(straight.state!, 'b')];
    const values = (s: typeof a) => [...s.model, ...s.optimizer.map((w) => w.tensor)].map((t) => Array.from(t.dataSync()));
    expect(values(a)).toEqual(values(b));
    expect(a.epochs).toBe(3);
    for (const s of [a, b]) tf.dispose([...s.model, ...s.optimizer.map((w) => w.tensor)]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a child continued twice (1, then 2, then 4 epochs: two Hyperband promotions) is the 4-epoch child to the bit', async () => {
    const manager = new ChildManager(base);
    const straight = await manager.train(exampleCells(), {}, { epochs: 4, keepState: true });
    let state: Uint8Array | undefined;
    const losses: number[] = [];
    for (const epochs of [1, 2, 4]) {
      const r = await manager.train(exampleCells(), {}, { epochs, keepState: true, ...(state ? { resume: { bytes: state, what: 's' } } : {}) });
      losses.push(...r.losses);
      state = r.state;
    }
    expect(losses).toEqual(straight.losses);
    const [a, b] = [decodeChildState(state!, 'a'), decodeChildState(straight.state!, 'b')];
    const values = (s: typeof a) => [...s.model, ...s.optimizer.map((w) => w.tensor)].map((t) => Array.from(t.dataSync()));
    expect(values(a)).toEqual(values(b));
    for (const s of [a, b]) tf.dispose([...s.model, ...s.optimizer.map((w) => w.tensor)]);
  });

  it('refuses a state of other channels, a damaged file, or one already at the budget, naming the file', async () => {
    const saved = (await new ChildManager({ ...base, channels: [4, 4, 4, 8, 16] }).train(exampleCells(), {}, { epochs: 1, keepState: true })).state!;
    const manager = new ChildManager(base);
    await expect(manager.train(exampleCells(), {}, { epochs: 2, resume: { bytes: saved, what: 'run/states/episode-4.state' } })).rejects.toThrow(
      /run\/states\/episode-4\.state: weight \d+ .* has shape/,
    );
    await expect(manager.train(exampleCells(), {}, { epochs: 2, resume: { bytes: saved.subarray(0, saved.length - 3), what: 'f.state' } })).rejects.toThrow(
      /f\.state: not a child state file \(tensor .* runs past the end\)/,
    );
    const own = (await manager.train(exampleCells(), {}, { epochs: 2, keepState: true })).state!;
    await expect(manager.train(exampleCells(), {}, { epochs: 2, resume: { bytes: own, what: 'g.state' } })).rejects.toThrow(
      /g\.state: already trained 2 epochs, nothing to continue to 2/,
    );
  });
});
