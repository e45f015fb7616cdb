import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SPACE, OPERATIONS, type CellSpace } from '../../../src/spaces/nasnet/types.js';
import { decisionIndex, decisionSequence, decodeActions, encodeCells } from '../../../src/spaces/nasnet/decisions.js';
import { Controller } from '../../../src/strategies/controller/policy.js';

const HIER: CellSpace = { blocks: 5, hierarchical: true };

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

async function draws(c: Controller, n: number) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await c.sample());
  return out;
}

describe('Controller.sample', () => {
  const controllers: Controller[] = [];
  const make = (...args: ConstructorParameters<typeof Controller>) => {
    const c = new Controller(...args);
    controllers.push(c);
    return c;
  };
  afterAll(() => controllers.forEach((c) => c.dispose()));

  it('returns consistent cells, actions and log-probability', async () => {
    const c = make({ seed: 5, epsilon: 0 });
    for (const s of await draws(c, 3)) {
      expect(s.actions).toHaveLength(50);
      expect(encodeCells(decodeActions(s.actions, DEFAULT_SPACE), DEFAULT_SPACE)).toEqual(s.actions);
      expect(s.explored).toBe(false);
      // The step-by-step sampling path and the teacher-forced path compute the same policy.
      expect(s.logProb).toBeLessThan(0);
      expect(await c.logProb(s.actions)).toBeCloseTo(s.logProb, 3);
    }
  });

  it('is deterministic for a seed and differs across seeds', async () => {
    const a = await draws(make({ seed: 11 }), 6);
    const b = await draws(make({ seed: 11 }), 6);
    const other = await draws(make({ seed: 12 }), 6);
    expect(b).toEqual(a);
    expect(other.map((s) => s.actions)).not.toEqual(a.map((s) => s.actions));
    // epsilon 0.5 by default: both branches are exercised by these six draws
    expect(new Set(a.map((s) => s.explored)).size).toBe(2);
  });

  it('explores every time with epsilon 1 and never with epsilon 0', async () => {
    const always = await draws(make({ seed: 2, epsilon: 1 }), 8);
    expect(always.every((s) => s.explored)).toBe(true);
    expect(always.every((s) => Number.isFinite(s.logProb) && s.logProb < 0)).toBe(true);
    const never = await draws(make({ seed: 2, epsilon: 0 }), 8);
    expect(never.some((s) => s.explored)).toBe(false);
  });

  it('samples from the softmax instead of taking the argmax', async () => {
    const c = make({ seed: 3, epsilon: 0 });
    const samples = await draws(c, 120);
    const op1 = decisionIndex(DEFAULT_SPACE, 'normal', 0, 'op', 0);
    const counts = new Array(OPERATIONS.length).fill(0);
    for (const s of samples) counts[s.actions[op1]]++;
    expect(counts.filter((n) => n > 0).length).toBeGreaterThanOrEqual(4);
    // The first decision has no prefix, so its empirical frequencies estimate π directly.
    const [pi0] = await c.probabilities([]);
    const freq1 = samples.filter((s) => s.actions[0] === 1).length / samples.length;
    expect(Math.abs(freq1 - pi0[1])).toBeLessThan(0.15);
    expect(new Set(samples.map((s) => s.actions.join())).size).toBe(samples.length);
  });

  it('masks the input choices a hierarchical block cannot use', async () => {
    const c = make({ space: HIER, seed: 4, epsilon: 0 });
    const seq = decisionSequence(HIER);
    for (const s of await draws(c, 10)) {
      for (const d of seq) expect(s.actions[d.index]).toBeLessThan(d.choices);
    }
    const probs = await c.probabilities((await draws(c, 1))[0].actions);
    expect(probs).toHaveLength(seq.length);
    for (const d of seq) {
      expect(probs[d.index]).toHaveLength(d.choices);
      expect(probs[d.index].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
    // Later inputs may feed on earlier blocks: block 4 sees six choices, all reachable.
    const block4 = seq.find((d) => d.cell === 'normal' && d.block === 4 && d.kind === 'input')!;
    expect(Math.min(...probs[block4.index])).toBeGreaterThan(0.01);
  });
});

describe('Controller.update', () => {
  it('takes one step on loss = -reward * log π(actions), raising π of rewarded actions', async () => {
    const c = new Controller({ seed: 8, epsilon: 0 });
    try {
      const { actions } = await c.sample();
      const before = await c.logProb(actions);
      const { loss } = await c.update(actions, 0.5);
      expect(loss).toBeCloseTo(-0.5 * before, 4);
      const after = await c.logProb(actions);
      expect(after).toBeGreaterThan(before);
      await c.update(actions, -0.5);
      await c.update(actions, -0.5);
      expect(await c.logProb(actions)).toBeLessThan(after);
    } finally {
      c.dispose();
    }
  });

  it('trains on explored samples too (teacher forcing)', async () => {
    const c = new Controller({ seed: 9, epsilon: 1 });
    try {
      const s = await c.sample();
      expect(s.explored).toBe(true);
      expect(await c.logProb(s.actions)).toBeCloseTo(s.logProb, 5);
      await c.update(s.actions, 1);
      expect(await c.logProb(s.actions)).toBeGreaterThan(s.logProb);
    } finally {
      c.dispose();
    }
  });

  it('rejects invalid actions, rewards and options with a clear error', async () => {
    expect(() => new Controller({ epsilon: 1.5 })).toThrow(/epsilon/);
    expect(() => new Controller({ units: 0 })).toThrow(/units/);
    expect(() => new Controller({ learningRate: -1 })).toThrow(/learningRate/);
    const c = new Controller({ seed: 1 });
    try {
      const { actions } = await c.sample();
      await expect(c.update(actions.slice(2), 1)).rejects.toThrow(/expected 50 actions/);
      await expect(c.update(actions, Number.NaN)).rejects.toThrow(/reward/);
      await expect(c.probabilities([7])).rejects.toThrow(/prefix\[0\]/);
      expect(() => (c.epsilon = -0.1)).toThrow(/epsilon/);
    } finally {
      c.dispose();
    }
    await expect(c.sample()).rejects.toThrow(/disposed/);
  });
});

describe('tensor hygiene', () => {
  it('keeps numTensors flat across sample, update and state reads, and frees all on dispose', async () => {
    const start = tf.memory().numTensors;
    const c = new Controller({ seed: 6, epsilon: 0.5, space: HIER });
    // The first update creates Adam's moment variables.
    await c.update((await c.sample()).actions, 0.1);
    const warm = tf.memory().numTensors;
    for (let i = 0; i < 6; i++) {
      const s = await c.sample();
      await c.update(s.actions, i % 2 ? 0.3 : -0.2);
      await c.probabilities(s.actions.slice(0, 7));
      await c.logProb(s.actions);
    }
    await c.getState();
    expect(tf.memory().numTensors).toBe(warm);
    const restored = await Controller.fromState(await c.getState());
    await restored.update((await restored.sample()).actions, 0.2);
    restored.dispose();
    expect(tf.memory().numTensors).toBe(warm);
    c.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('reads', () => {
  it('never reads a tensor synchronously (webgpu cannot under Node), sampling, training or saving', async () => {
    const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
    const saved = { dataSync: proto.dataSync, arraySync: proto.arraySync, bufferSync: proto.bufferSync };
    const refuse = () => {
      throw new Error('synchronous read');
    };
    const c = new Controller({ seed: 3, epsilon: 0.5, space: HIER });
    try {
      Object.assign(proto, { dataSync: refuse, arraySync: refuse, bufferSync: refuse });
      for (let i = 0; i < 4; i++) await c.update((await c.sample()).actions, 0.1 * i);
      await c.probabilities([0]);
      await c.logProb((await c.sample()).actions);
      const restored = await Controller.fromState(await c.getState());
      restored.dispose();
    } finally {
      Object.assign(proto, saved);
      c.dispose();
    }
  });
});
