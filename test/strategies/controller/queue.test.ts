// The controller's priority queue (Abolafia et al. 2018): it keeps the best children so far, pulls
// the policy toward them at every update even when REINFORCE has nothing to say, and comes back
// with a resumed run.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { ControllerStrategy } from '../../../src/strategies/controller/strategy.js';

const DECISIONS = Array.from({ length: 4 }, () => ({ kind: 'op', choices: 5 }));
const BEST = [3, 1, 4, 2];

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

/** Fraction of 100 proposals equal to BEST, after 30 updates whose REINFORCE rewards are all 0. */
async function pulledToward(queueWeight: number): Promise<number> {
  const s = ControllerStrategy.create(DECISIONS, { seed: 3, epsilon: 0, learningRate: 0.05, queue: 3, queueWeight });
  try {
    await s.observe({ actions: BEST, explored: false }, { accuracy: 0.9, reward: 0 });
    await s.observe({ actions: [0, 0, 0, 0], explored: false }, { accuracy: 0.5, reward: 0 });
    for (let i = 0; i < 30; i++) {
      const p = await s.propose();
      // an accuracy below the queue's two, so the queue stays {BEST, [0,0,0,0], the first of these}
      await s.observe(p, { accuracy: 0.1, reward: 0 });
    }
    let hits = 0;
    for (let i = 0; i < 100; i++) if ((await s.propose()).actions.join() === BEST.join()) hits++;
    return hits / 100;
  } finally {
    s.dispose();
  }
}

describe('controller priority queue', () => {
  it('pulls the policy toward the best children when REINFORCE has no signal, and only with a weight', async () => {
    const uniform = (1 / 5) ** DECISIONS.length; // 0.0016
    expect(await pulledToward(0)).toBeLessThan(0.05);
    expect(await pulledToward(0.5)).toBeGreaterThan(100 * uniform); // 0.30 measured
  });

  it('keeps the K best distinct children, and a resumed run keeps them and proposes the same', async () => {
    const options = { seed: 5, epsilon: 0.2, learningRate: 0.05, queue: 2, queueWeight: 0.1 };
    const live = ControllerStrategy.create(DECISIONS, options);
    const resumed = ControllerStrategy.create(DECISIONS, { ...options, seed: 9 });
    try {
      const feed = [
        { actions: [1, 1, 1, 1], accuracy: 0.6 },
        { actions: [2, 2, 2, 2], accuracy: 0.8 },
        { actions: [1, 1, 1, 1], accuracy: 0.7 }, // a repeat keeps its best score, not a second place
        { actions: [3, 3, 3, 3], accuracy: 0.5 },
        { actions: [4, 4, 4, 4], accuracy: null }, // a failure never enters
      ];
      for (const f of feed) await live.observe({ actions: f.actions, explored: false }, { accuracy: f.accuracy, reward: 0.01 });
      const state = JSON.parse(JSON.stringify(await live.getState()));
      expect(state.best).toEqual([
        { actions: [2, 2, 2, 2], accuracy: 0.8 },
        { actions: [1, 1, 1, 1], accuracy: 0.7 },
      ]);
      await resumed.setState(state);
      for (let i = 0; i < 8; i++) {
        const [p, q] = [await live.propose(), await resumed.propose()];
        expect(q).toEqual(p);
        await live.observe(p, { accuracy: 0.5 + i / 100, reward: 0.01 * i });
        await resumed.observe(q, { accuracy: 0.5 + i / 100, reward: 0.01 * i });
      }
      expect((await resumed.getState()).best).toEqual((await live.getState()).best);
    } finally {
      live.dispose();
      resumed.dispose();
    }
  });

  it('names a bad queue setting, and refuses a saved queue that is not one', async () => {
    expect(() => ControllerStrategy.create(DECISIONS, { queue: 1.5 })).toThrow(/queue must be a non-negative integer/);
    expect(() => ControllerStrategy.create(DECISIONS, { queue: 2, queueWeight: -1 })).toThrow(/queueWeight must be a finite number >= 0/);
    const s = ControllerStrategy.create(DECISIONS, { queue: 2, queueWeight: 0.1 });
    try {
      const state = await s.getState();
      await expect(s.setState({ ...state, best: [{ actions: [9, 9, 9, 9], accuracy: 0.5 }] })).rejects.toThrow(/one of the queue's best children is invalid/);
      await expect(s.setState({ ...state, best: [{ actions: [1, 1, 1, 1] }] })).rejects.toThrow(/best must be an array/);
    } finally {
      s.dispose();
    }
  });
});

describe('controller without repeats (fresh)', () => {
  it('never proposes the same architecture twice while the policy has something new, and resumes with what it proposed', async () => {
    // 2 decisions of 2 choices: 4 architectures, so the fifth proposal has to repeat
    const tiny = [
      { kind: 'op', choices: 2 },
      { kind: 'op', choices: 2 },
    ];
    const live = ControllerStrategy.create(tiny, { seed: 1, epsilon: 0, fresh: true });
    const resumed = ControllerStrategy.create(tiny, { seed: 8, epsilon: 0, fresh: true });
    const without = ControllerStrategy.create(tiny, { seed: 1, epsilon: 0 });
    try {
      const keys: string[] = [];
      for (let i = 0; i < 2; i++) keys.push((await live.propose()).actions.join());
      await resumed.setState(JSON.parse(JSON.stringify(await live.getState())));
      for (let i = 0; i < 2; i++) {
        const [p, q] = [await live.propose(), await resumed.propose()];
        expect(q).toEqual(p);
        keys.push(p.actions.join());
      }
      expect(new Set(keys).size).toBe(4);
      expect((await live.propose()).actions).toHaveLength(2); // all four proposed: it repeats rather than hang
      const plain: string[] = [];
      for (let i = 0; i < 4; i++) plain.push((await without.propose()).actions.join());
      expect(new Set(plain).size).toBeLessThan(4); // without it, 4 draws from 4 architectures repeat (p = 0.91)
    } finally {
      live.dispose();
      resumed.dispose();
      without.dispose();
    }
  });
});
