// Warm starts from a proxy-scored pool: which architectures each strategy starts from, the wrapper's
// state across a resume, and the controller's pre-training moving its policy toward the well-scored.
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { nasBench201Space } from '../../src/spaces/nas-bench-201/space.js';
import { ControllerStrategy } from '../../src/strategies/controller/strategy.js';
import { RegularizedEvolution } from '../../src/strategies/evolution.js';
import { seedProposals, standardizedRanks, WarmStarted, type Scored } from '../../src/strategies/warm-start.js';
import { Rng } from '../../src/util/random.js';

const decisions = nasBench201Space.decisions;
const rng = new Rng(3);
const pool: Scored[] = Array.from({ length: 40 }, (_, i) => ({ actions: decisions.map((d) => rng.int(d.choices)), score: (i * 37) % 40 }));
const bestFirst = [...pool].sort((a, b) => b.score - a.score);

describe('warm starts', () => {
  it('seeds evolution with the P best, TPE with its startup best, random with the best of each batch', () => {
    expect(seedProposals('evolution', pool, { episodes: 100, population: 5, startup: 10 })).toEqual(bestFirst.slice(0, 5).map((s) => s.actions));
    expect(seedProposals('tpe', pool, { episodes: 100, population: 5, startup: 3 })).toEqual(bestFirst.slice(0, 3).map((s) => s.actions));
    const random = seedProposals('random', pool, { episodes: 4, population: 5, startup: 3 });
    expect(random).toHaveLength(4);
    for (let b = 0; b < 4; b++) {
      const batch = pool.slice(b * 10, b * 10 + 10);
      expect(random[b]).toEqual([...batch].sort((x, y) => y.score - x.score)[0].actions);
    }
    expect(seedProposals('controller', pool, { episodes: 4, population: 5, startup: 3 })).toEqual([]);
  });

  it('proposes the seeds first, then the strategy’s own, and keeps what is left of them in its state', async () => {
    const seeds = bestFirst.slice(0, 3).map((s) => s.actions);
    const w = new WarmStarted(new RegularizedEvolution(decisions, 1, { population: 3, tournament: 2 }), seeds);
    expect((await w.propose()).actions).toEqual(seeds[0]);
    const saved = await w.getState();
    const again = new WarmStarted(new RegularizedEvolution(decisions, 1, { population: 3, tournament: 2 }), []);
    await again.setState(JSON.parse(JSON.stringify(saved)));
    expect((await again.propose()).actions).toEqual(seeds[1]);
    expect((await again.propose()).actions).toEqual(seeds[2]);
    expect(again.name).toBe('evolution');
    await expect(again.setState({ nope: 1 })).rejects.toThrow(/warm-started strategy state/);
  });

  it('standardizes ranks, and pre-training moves the controller toward the best-scored architectures', async () => {
    const r = standardizedRanks([3, 1, 2]);
    expect(r[1]).toBeLessThan(r[2]);
    expect(r[2]).toBeLessThan(r[0]);
    expect(r.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 12);
    // A pool where the best architectures all take op 3 on the first edge.
    const skewed = Array.from({ length: 64 }, (_, i) => {
      const actions = decisions.map((d) => rng.int(d.choices));
      return { actions, score: actions[0] === 3 ? 10 + i : i };
    });
    const share = async (c: ControllerStrategy) => {
      let n = 0;
      for (let i = 0; i < 200; i++) n += (await c.propose()).actions[0] === 3 ? 1 : 0;
      return n / 200;
    };
    const cold = ControllerStrategy.create(decisions, { seed: 5, epsilon: 0, batch: 1000 });
    const warm = ControllerStrategy.create(decisions, { seed: 5, epsilon: 0, batch: 1000 });
    const rewards = standardizedRanks(skewed.map((s) => s.score));
    await warm.pretrain(
      skewed.map((s, i) => ({ actions: s.actions, reward: rewards[i] })),
      100,
    );
    try {
      expect(await share(warm)).toBeGreaterThan((await share(cold)) + 0.15);
    } finally {
      cold.dispose();
      warm.dispose();
    }
  });

  it('a proposal the proxy rung turned down is no update of the controller; a trained one is', async () => {
    const c = ControllerStrategy.create(decisions, { seed: 3, epsilon: 0, batch: 1 });
    try {
      const p = await c.propose();
      const before = JSON.stringify(await c.getState());
      await c.observe(p, { accuracy: null, reward: -0.9, rejected: true });
      expect(JSON.stringify(await c.getState())).toBe(before);
      await c.observe(p, { accuracy: null, reward: -0.9 });
      expect(JSON.stringify(await c.getState())).not.toBe(before);
    } finally {
      c.dispose();
    }
  });
});
