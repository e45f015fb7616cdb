import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SPACE } from '../../../src/spaces/nasnet/types.js';
import { decisionSequence } from '../../../src/spaces/nasnet/decisions.js';
import { Controller, type ControllerOptions } from '../../../src/strategies/controller/policy.js';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

/** A few search rounds; the reward depends on the sample so both paths must agree on it. */
async function rounds(c: Controller, n: number) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const s = await c.sample();
    const reward = (s.actions.filter((a) => a === 0).length - 20) / 10;
    out.push({ ...s, loss: (await c.update(s.actions, reward)).loss });
  }
  return out;
}

async function checkResumes(options: ControllerOptions, before: number) {
  const live = new Controller(options);
  await rounds(live, before);
  const saved = JSON.parse(JSON.stringify(await live.getState()));
  const resumed = await Controller.fromState(saved);
  try {
    expect(await resumed.getState()).toEqual(saved);
    const a = await rounds(live, 6);
    const b = await rounds(resumed, 6);
    expect(b).toEqual(a); // exact: samples, log-probs and losses bit for bit
    expect(await resumed.getState()).toEqual(await live.getState());
  } finally {
    live.dispose();
    resumed.dispose();
  }
}

describe('Controller state', () => {
  it('resumes identically after updates (Adam moments, beta powers, rng, epsilon)', async () => {
    // After 5 steps tfjs's pow(0.999, 6) and the running product differ in the last bit.
    await checkResumes({ seed: 21, epsilon: 0.5 }, 5);
  });

  it('resumes identically with per-decision biases', async () => {
    await checkResumes({ seed: 23, epsilon: 0.2, decisionBias: true, learningRate: 0.01 }, 4);
  });

  it('reads a state saved before per-decision biases existed as having none', async () => {
    const c = new Controller({ seed: 4, units: 8, decisionBias: false });
    try {
      await c.update((await c.sample()).actions, 0.5);
      const state = await c.getState();
      const { decisionBias: _b, ...older } = state.options;
      const restored = await Controller.fromState({ ...state, options: older as typeof state.options });
      expect(restored.options.decisionBias).toBe(false);
      expect(await restored.sample()).toEqual(await c.sample());
      restored.dispose();
    } finally {
      c.dispose();
    }
  });

  it('resumes identically before any update and in hierarchical spaces', async () => {
    await checkResumes({ seed: 22, epsilon: 0.3, space: { blocks: 3, hierarchical: true } }, 0);
  });

  it('reads a version-1 state, which named a NASNet space instead of its decisions', async () => {
    const c = new Controller({ seed: 3, units: 8, space: { blocks: 2, hierarchical: true } });
    try {
      await c.update((await c.sample()).actions, 0.5);
      const state = await c.getState();
      const { decisions: _d, ...options } = state.options;
      const v1 = { ...state, format: 'nascent-controller/1', options: { ...options, space: { blocks: 2, hierarchical: true } } } as unknown as typeof state;
      const restored = await Controller.fromState(v1);
      expect(await restored.sample()).toEqual(await c.sample());
      restored.dispose();
    } finally {
      c.dispose();
    }
  });

  it('is plain JSON with stable weight names and the options', async () => {
    const c = new Controller({ seed: 1, units: 8, learningRate: 2e-3, epsilon: 0.25 });
    try {
      c.epsilon = 0.1;
      await c.update((await c.sample()).actions, 1);
      const state = await c.getState();
      const { decisions, ...rest } = state.options;
      expect(rest).toEqual({ units: 8, learningRate: 2e-3, epsilon: 0.1, seed: 1, temperature: 1, tanhConstant: 0, entropyWeight: 0, decisionBias: false });
      expect(decisions).toEqual(decisionSequence(DEFAULT_SPACE).map((d) => ({ kind: d.kind, choices: d.choices })));
      expect(Object.keys(state.weights).sort()).toEqual([
        'embedding/kernel',
        'head_combine/bias',
        'head_combine/kernel',
        'head_input/bias',
        'head_input/kernel',
        'head_op/bias',
        'head_op/kernel',
        'lstm/bias',
        'lstm/kernel',
        'lstm/recurrent_kernel',
      ]);
      expect(state.weights['lstm/kernel'].shape).toEqual([8, 32]);
      expect(state.optimizer.iterations).toBe(1);
      expect(Object.keys(state.optimizer.m)).toEqual(Object.keys(state.weights));
      expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    } finally {
      c.dispose();
    }
  });

  it('refuses a state for another space or width, naming both', async () => {
    const c = new Controller({ seed: 1, units: 8 });
    const state = await c.getState();
    const other = new Controller({ seed: 1, units: 16 });
    try {
      await expect(other.setState(state)).rejects.toThrow(/8 units.*16 units/);
      const broken = structuredClone(state);
      broken.weights['lstm/kernel'].values.pop();
      await expect(Controller.fromState(broken)).rejects.toThrow(/weight lstm\/kernel has 255 values, expected 256/);
      await expect(Controller.fromState({ ...state, format: 'other' as never })).rejects.toThrow(/format/);

      // A state that fails half-way leaves the controller as it was, and leaks nothing.
      const trained = new Controller({ seed: 2, units: 8 });
      await trained.update((await trained.sample()).actions, 1);
      const good = await trained.getState();
      trained.dispose();
      const badSlot = structuredClone(good);
      delete badSlot.optimizer.v['head_op/bias'];
      const probe = (await c.sample()).actions;
      const logProb = await c.logProb(probe);
      const tensors = tf.memory().numTensors;
      await expect(c.setState(badSlot)).rejects.toThrow(/optimizer v of head_op\/bias is missing/);
      expect(tf.memory().numTensors).toBe(tensors);
      expect(await c.logProb(probe)).toBe(logProb);
    } finally {
      c.dispose();
      other.dispose();
    }
  });
});
