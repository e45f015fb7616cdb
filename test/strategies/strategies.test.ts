// The strategies the controller must beat: proposals always in range, exact resume, regularized
// evolution's rules, and that evolution and TPE beat random search on an objective with structure.
import { describe, expect, it } from 'vitest';
import { makeStrategy, STRATEGY_NAMES, type StrategyName } from '../../src/strategies/index.js';
import { RegularizedEvolution } from '../../src/strategies/evolution.js';
import { TreeParzenEstimator, tpeGamma } from '../../src/strategies/tpe.js';
import type { Strategy } from '../../src/search/types.js';
import { Rng } from '../../src/util/random.js';

const DECISIONS = [...Array.from({ length: 8 }, () => ({ kind: 'op', choices: 5, label: '' })), { kind: 'fixed', choices: 1, label: '' }];
/** Fraction of decisions matching a hidden target, plus small noise. */
function objective(seed: number) {
  const rng = new Rng(seed);
  const target = DECISIONS.map((d) => rng.int(d.choices));
  return (a: number[]) => a.filter((v, i) => v === target[i]).length / a.length + 0.01 * rng.next();
}
const NON_CONTROLLER = STRATEGY_NAMES.filter((n) => n !== 'controller') as StrategyName[];

async function bestAfter(s: Strategy, score: (a: number[]) => number, n: number): Promise<number> {
  let best = 0;
  for (let i = 0; i < n; i++) {
    const p = await s.propose();
    const acc = score(p.actions);
    best = Math.max(best, acc);
    await s.observe(p, { accuracy: acc, reward: acc });
  }
  return best;
}

describe('strategies', () => {
  for (const name of NON_CONTROLLER) {
    it(`${name}: proposals in range, and a restored state continues the same stream`, async () => {
      const score = objective(1);
      const live = makeStrategy(name, DECISIONS, 4, { evolution: { population: 6, tournament: 3 }, tpe: { startup: 5 } });
      for (let i = 0; i < 12; i++) {
        const p = await live.propose();
        p.actions.forEach((a, d) => expect(a >= 0 && a < DECISIONS[d].choices).toBe(true));
        await live.observe(p, { accuracy: i === 3 ? null : score(p.actions), reward: 0 });
      }
      const resumed = makeStrategy(name, DECISIONS, 99, { evolution: { population: 6, tournament: 3 }, tpe: { startup: 5 } });
      await resumed.setState(JSON.parse(JSON.stringify(await live.getState())));
      for (let i = 0; i < 10; i++) {
        const [p, q] = [await live.propose(), await resumed.propose()];
        expect(q).toEqual(p);
        const acc = score(p.actions);
        await live.observe(p, { accuracy: acc, reward: 0 });
        await resumed.observe(q, { accuracy: acc, reward: 0 });
      }
    });
  }

  it('evolution: random until the population is full, then one-decision mutants of a tournament winner; the oldest leaves', async () => {
    const s = new RegularizedEvolution(DECISIONS, 2, { population: 4, tournament: 4 });
    const seen: { actions: number[]; accuracy: number }[] = [];
    for (let i = 0; i < 4; i++) {
      const p = await s.propose();
      expect(p.explored).toBe(true);
      seen.push({ actions: p.actions, accuracy: i / 10 });
      await s.observe(p, { accuracy: i / 10, reward: 0 });
    }
    // tournament = population: the parent is always the best member, here the last one
    const child = await s.propose();
    expect(child.explored).toBe(false);
    expect(child.actions.filter((a, d) => a !== seen[3].actions[d])).toHaveLength(1);
    expect(child.actions[8]).toBe(0); // the one-choice decision never changes
    await s.observe(child, { accuracy: 0, reward: 0 });
    const state = (await s.getState()) as { population: { actions: number[] }[] };
    expect(state.population).toHaveLength(4);
    expect(state.population[0].actions).toEqual(seen[1].actions); // the oldest (seen[0]) is gone
    expect(() => new RegularizedEvolution(DECISIONS, 1, { population: 3, tournament: 5 })).toThrow(
      /tournament must be an integer from 1 to the population \(3\)/,
    );
  });

  it("tpe: gamma follows Optuna's default, and bad options are named", () => {
    expect([1, 10, 11, 100, 300].map(tpeGamma)).toEqual([1, 1, 2, 10, 25]);
    expect(() => new TreeParzenEstimator(DECISIONS, 1, { candidates: 0 })).toThrow(/candidates must be a positive integer/);
  });

  it('evolution and tpe beat random search on a structured objective (20 seeds, best after 100)', async () => {
    const mean = async (name: StrategyName) => {
      let sum = 0;
      for (let seed = 1; seed <= 20; seed++) sum += await bestAfter(makeStrategy(name, DECISIONS, seed), objective(1000 + seed), 100);
      return sum / 20;
    };
    const [random, evolution, tpe] = [await mean('random'), await mean('evolution'), await mean('tpe')];
    console.log(`toy objective, best after 100 (mean of 20): random ${random.toFixed(3)}, evolution ${evolution.toFixed(3)}, tpe ${tpe.toFixed(3)}`);
    expect(evolution).toBeGreaterThan(random + 0.05);
    expect(tpe).toBeGreaterThan(random + 0.05);
  });
});
