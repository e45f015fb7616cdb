// The controller's brakes on collapse and its batched update: ENAS's logit shaping bounds how
// peaked a decision can get, the entropy bonus pushes the policy back towards uniform, and one
// update over several children is the mean of their REINFORCE gradients.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { Controller } from '../../src/controller/policy.js';
import { ControllerStrategy, standardized } from '../../src/search/controller-strategy.js';

const DECISIONS = Array.from({ length: 3 }, () => ({ kind: 'op', choices: 5 }));
const entropy = (p: number[]) => -p.reduce((a, x) => a + (x > 0 ? x * Math.log(x) : 0), 0);

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

describe('controller shaping', () => {
  it('tanhConstant C keeps every probability within e^(2C) of every other, however long it is pushed', async () => {
    const c = new Controller({ decisions: DECISIONS, seed: 2, epsilon: 0, learningRate: 0.05, tanhConstant: 1, temperature: 1 });
    try {
      for (let i = 0; i < 60; i++) await c.update([0, 0, 0], 1);
      const [p0] = await c.probabilities([]);
      const bound = Math.exp(1) / (Math.exp(1) + 4 * Math.exp(-1)); // the largest share C = 1 allows of 5 choices
      expect(p0[0]).toBeGreaterThan(0.5);
      expect(p0[0]).toBeLessThanOrEqual(bound + 1e-6);
      expect(Math.min(...p0)).toBeGreaterThan(0);
    } finally {
      c.dispose();
    }
  });

  it('without it the same pushes drive the policy towards one choice', async () => {
    const c = new Controller({ decisions: DECISIONS, seed: 2, epsilon: 0, learningRate: 0.05 });
    try {
      for (let i = 0; i < 60; i++) await c.update([0, 0, 0], 1);
      expect((await c.probabilities([]))[0][0]).toBeGreaterThan(0.95);
    } finally {
      c.dispose();
    }
  });

  it('the entropy bonus alone (reward 0) flattens a peaked policy', async () => {
    const c = new Controller({ decisions: DECISIONS, seed: 4, epsilon: 0, learningRate: 0.05, entropyWeight: 1 });
    try {
      for (let i = 0; i < 20; i++) await c.update([1, 1, 1], 1); // peak it first
      const before = entropy((await c.probabilities([]))[0]);
      for (let i = 0; i < 40; i++) await c.update([1, 1, 1], 0);
      expect(entropy((await c.probabilities([]))[0])).toBeGreaterThan(before + 0.1);
    } finally {
      c.dispose();
    }
  });

  it('a batch of two identical children is the same step as one', async () => {
    const a = new Controller({ decisions: DECISIONS, seed: 5 });
    const b = new Controller({ decisions: DECISIONS, seed: 5 });
    try {
      await a.update([2, 3, 4], 0.7);
      await b.updateBatch([{ actions: [2, 3, 4], reward: 0.7 }, { actions: [2, 3, 4], reward: 0.7 }]);
      const [pa, pb] = [await a.probabilities([2, 3]), await b.probabilities([2, 3])];
      pa.forEach((row, t) => row.forEach((p, i) => expect(pb[t][i]).toBeCloseTo(p, 6)));
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('rejects bad shaping settings with the setting named', () => {
    expect(() => new Controller({ decisions: DECISIONS, temperature: 0 })).toThrow(/temperature must be a positive number/);
    expect(() => new Controller({ decisions: DECISIONS, tanhConstant: -1 })).toThrow(/tanhConstant must be >= 0/);
    expect(() => new Controller({ decisions: DECISIONS, entropyWeight: Number.NaN })).toThrow(/entropyWeight/);
    expect(() => new Controller({ decisions: [{ kind: 'op', choices: 0 }] })).toThrow(/decisions\[0\]\.choices must be a positive integer/);
  });
});

describe('ControllerStrategy batching', () => {
  it('standardizes a batch to mean 0 and sd 1, and leaves a flat batch at 0', () => {
    const s = standardized([1, 2, 3].map((r) => ({ actions: [0], reward: r }))).map((x) => x.reward);
    expect(s.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 12);
    expect(Math.sqrt(s.reduce((a, b) => a + b * b, 0) / 3)).toBeCloseTo(1, 12);
    expect(standardized([{ actions: [0], reward: 0.4 }, { actions: [1], reward: 0.4 }]).map((x) => x.reward)).toEqual([0, 0]);
  });

  it('updates once per batch and resumes exactly with a half-full batch', async () => {
    const live = ControllerStrategy.create(DECISIONS, { seed: 8, batch: 3, normalizeAdvantages: true });
    try {
      for (let i = 0; i < 4; i++) await live.observe(await live.propose(), { accuracy: 0.5, reward: i / 10 });
      const saved = JSON.parse(JSON.stringify(await live.getState()));
      expect(saved.pending).toHaveLength(1);
      const resumed = ControllerStrategy.create(DECISIONS, { seed: 99, batch: 3, normalizeAdvantages: true });
      await resumed.setState(saved);
      for (let i = 0; i < 5; i++) {
        const [p, q] = [await live.propose(), await resumed.propose()];
        expect(q).toEqual(p);
        await live.observe(p, { accuracy: 0.5, reward: i / 7 });
        await resumed.observe(q, { accuracy: 0.5, reward: i / 7 });
      }
      resumed.dispose();
    } finally {
      live.dispose();
    }
  });
});
