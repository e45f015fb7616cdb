// The controller's brakes on collapse and its batched update: ENAS's logit shaping bounds how
// peaked a decision can get, the entropy bonus pushes the policy back towards uniform, and one
// update over several children is the mean of their REINFORCE gradients.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { Controller } from '../../../src/strategies/controller/policy.js';
import { ControllerStrategy, standardized } from '../../../src/strategies/controller/strategy.js';

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
      await b.updateBatch([
        { actions: [2, 3, 4], reward: 0.7 },
        { actions: [2, 3, 4], reward: 0.7 },
      ]);
      const [pa, pb] = [await a.probabilities([2, 3]), await b.probabilities([2, 3])];
      pa.forEach((row, t) => row.forEach((p, i) => expect(pb[t][i]).toBeCloseTo(p, 6)));
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('one batched update teacher-forces every child: its loss is -(1/M) sum_i reward_i log π(actions_i)', async () => {
    const c = new Controller({ decisions: DECISIONS, seed: 6, decisionBias: true });
    try {
      const batch = [
        { actions: [0, 1, 2], reward: 0.3 },
        { actions: [4, 4, 0], reward: -0.5 },
        { actions: [1, 3, 3], reward: 1.25 },
      ];
      const logps = await Promise.all(batch.map((b) => c.logProb(b.actions)));
      const expected = -batch.reduce((s, b, i) => s + b.reward * logps[i], 0) / batch.length;
      expect((await c.updateBatch(batch)).loss).toBeCloseTo(expected, 5);
    } finally {
      c.dispose();
    }
  });

  it('per-decision biases are weights of their own, one row per decision of a kind, starting at zero', async () => {
    const withBias = new Controller({ decisions: [...DECISIONS, { kind: 'input', choices: 2 }], seed: 7, decisionBias: true });
    const without = new Controller({ decisions: [...DECISIONS, { kind: 'input', choices: 2 }], seed: 7 });
    try {
      const { weights } = await withBias.getState();
      expect(weights['bias_op/kernel']).toEqual({ shape: [3, 5], values: new Array(15).fill(0) });
      expect(weights['bias_input/kernel'].shape).toEqual([1, 2]);
      expect(Object.keys((await without.getState()).weights).some((k) => k.startsWith('bias_'))).toBe(false);
      // zero biases: the same policy as without them
      expect(await withBias.probabilities([1, 2, 3])).toEqual(await without.probabilities([1, 2, 3]));
      await withBias.update([1, 2, 3, 0], 1);
      expect((await withBias.getState()).weights['bias_op/kernel'].values.some((v) => v !== 0)).toBe(true);
    } finally {
      withBias.dispose();
      without.dispose();
    }
  });

  it("sampleBatch draws each child as sample() would, its log-probability the policy's", async () => {
    const one = new Controller({ decisions: DECISIONS, seed: 9, epsilon: 0.3 });
    const many = new Controller({ decisions: DECISIONS, seed: 9, epsilon: 0.3 });
    try {
      expect(await many.sampleBatch(1)).toEqual([await one.sample()]);
      const batch = await many.sampleBatch(12);
      expect(batch.some((s) => s.explored) && batch.some((s) => !s.explored)).toBe(true);
      for (const s of batch) expect(await many.logProb(s.actions)).toBeCloseTo(s.logProb, 4);
      await expect(many.sampleBatch(0)).rejects.toThrow(/n must be a positive integer/);
    } finally {
      one.dispose();
      many.dispose();
    }
  });

  it('weights each child by π/q so uniform draws do not steer an on-policy update', async () => {
    const flat = new Controller({ decisions: DECISIONS, seed: 11, epsilon: 0 });
    const mixed = new Controller({ decisions: DECISIONS, seed: 11, epsilon: 0.25, learningRate: 0.05, tanhConstant: 0 });
    try {
      expect((await flat.sampleBatch(5)).every((s) => s.weight === 1)).toBe(true);
      for (let i = 0; i < 80; i++) await mixed.update([0, 0, 0], 1); // peak the policy on [0, 0, 0]
      const batch = await mixed.sampleBatch(40);
      const uniform = batch.filter((s) => s.explored && s.actions.some((a) => a !== 0));
      const own = batch.filter((s) => !s.explored);
      expect(uniform.length).toBeGreaterThan(0);
      expect(Math.max(...uniform.map((s) => s.weight))).toBeLessThan(0.05);
      for (const s of own) {
        expect(s.weight).toBeLessThanOrEqual(1 / 0.75 + 1e-9);
        // π/q with q = 0.25 U + 0.75 π, from the log-probability the sample carries
        expect(s.weight).toBeCloseTo(1 / (0.75 + 0.25 * Math.exp(-3 * Math.log(5) - s.logProb)), 9);
      }
    } finally {
      flat.dispose();
      mixed.dispose();
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
    expect(
      standardized([
        { actions: [0], reward: 0.4 },
        { actions: [1], reward: 0.4 },
      ]).map((x) => x.reward),
    ).toEqual([0, 0]);
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

  it('draws a batch together and resumes exactly with some of it not yet proposed', async () => {
    const live = ControllerStrategy.create(DECISIONS, { seed: 10, batch: 4, epsilon: 0 });
    try {
      await live.observe(await live.propose(), { accuracy: 0.5, reward: 0.1 });
      const saved = JSON.parse(JSON.stringify(await live.getState()));
      expect(saved.queued).toHaveLength(3);
      const resumed = ControllerStrategy.create(DECISIONS, { seed: 99, batch: 4, epsilon: 0 });
      await resumed.setState(saved);
      for (let i = 0; i < 6; i++) {
        const [p, q] = [await live.propose(), await resumed.propose()];
        expect(q).toEqual(p);
        await live.observe(p, { accuracy: 0.5, reward: i / 9 });
        await resumed.observe(q, { accuracy: 0.5, reward: i / 9 });
      }
      resumed.dispose();
      const bad = ControllerStrategy.create(DECISIONS, { seed: 1, batch: 4 });
      await expect(bad.setState({ ...saved, queued: [{ actions: [9, 9, 9], explored: false, logProb: 0 }] })).rejects.toThrow(/queued proposal is invalid/);
      bad.dispose();
    } finally {
      live.dispose();
    }
  });
});
