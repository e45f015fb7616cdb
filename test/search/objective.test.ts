// MnasNet's objective and the Pareto front, and the loop ranking children by the objective.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MovingBaseline } from '../../src/strategies/controller/baseline.js';
import { nasnetSpace } from '../../src/spaces/nasnet/space.js';
import type { CellPair } from '../../src/spaces/nasnet/types.js';
import { runSearch } from '../../src/search/loop.js';
import { accuracyObjective, mnasObjective } from '../../src/search/objective.js';
import { paretoFront } from '../../src/search/pareto.js';
import { RandomStrategy } from '../../src/strategies/random.js';
import type { ChildOutcome, EvalRequest, Evaluator, Feedback } from '../../src/search/types.js';
import type { TrialRecord } from '../../src/store/records.js';
import { RunStore } from '../../src/store/run-store.js';
import { recoverRun } from '../../src/search/resume.js';

describe('mnas objective', () => {
  it('is ACC x (cost/T)^w: at the target it is the accuracy, at twice the cost about 4.7% less for w = -0.07', () => {
    const o = mnasObjective({ cost: 'params', target: 1000, w: -0.07 });
    expect(o.score(0.8, { params: 1000 })).toBeCloseTo(0.8, 12);
    expect(o.score(0.8, { params: 2000 })).toBeCloseTo(0.8 * 2 ** -0.07, 12);
    expect(o.score(0.8, { params: 2000 }) / 0.8).toBeCloseTo(0.9526, 4);
    expect(o.score(0.8, { params: 500 })).toBeGreaterThan(0.8);
    const lat = mnasObjective({ cost: 'latency', target: 10, w: -0.5 });
    expect(lat.score(0.5, { params: 1, latencyMs: 40 })).toBeCloseTo(0.25, 12);
    expect(() => lat.score(0.5, { params: 1 })).toThrow(/needs the child's latency, got undefined/);
    expect(accuracyObjective.score(0.3, { params: 9 })).toBe(0.3);
  });

  it('finds the Pareto front of accuracy against cost, one point per key', () => {
    const t = (episode: number, key: string, accuracy: number | null, params: number) => ({ episode, key, accuracy, params, cells: {} }) as TrialRecord;
    const front = paretoFront(
      [t(1, 'a', 0.5, 100), t(2, 'b', 0.6, 300), t(3, 'c', 0.55, 400), t(4, 'd', 0.7, 500), t(5, 'e', 0.4, 50), t(6, 'f', null, 10), t(7, 'a', 0.9, 100)],
      'params',
    );
    expect(front.map((p) => p.episode)).toEqual([5, 1, 2, 4]);
  });
});

const NASNET = nasnetSpace();
// Accuracy and parameters both grow with the number of sep ops: bigger is more accurate.
const evaluator: Evaluator = {
  async train(cells: CellPair, _h, req?: EvalRequest): Promise<ChildOutcome> {
    const n = [...cells.normal, ...cells.reduction].flatMap((b) => b.ops).filter((o) => o.startsWith('sep')).length;
    return { accuracy: 0.3 + n / 40, valAccuracies: [0.3 + n / 40], params: 1000 * (1 + n), seconds: 0, ...(req?.measureLatency ? { latencyMs: 1 + n } : {}) };
  },
};

describe('the loop with --objective mnas', () => {
  it('rewards, ranks and feeds the strategy by the objective, records latency and objective, and keeps the front in best-cells.json', async () => {
    const store = RunStore.create(join(mkdtempSync(join(tmpdir(), 'nascent-mnas-')), 'run'), { objective: 'mnas', targetParams: 5000 });
    const strategy = new RandomStrategy(NASNET.decisions, 2);
    const seen: Feedback[] = [];
    const observe = strategy.observe.bind(strategy);
    strategy.observe = async (p, f) => (seen.push(f), observe(p, f));
    const objective = mnasObjective({ cost: 'params', target: 5000, w: -0.5 });
    await runSearch({
      store,
      space: NASNET,
      strategy,
      evaluator,
      baseline: new MovingBaseline({ window: 3, initial: 0.1 }),
      episodes: 12,
      backend: 't',
      settings: { s: 1 },
      objective,
      frontCost: 'params',
      measureLatency: true,
    });
    const { trials } = store.readTrials();
    for (const [i, t] of trials.entries()) {
      expect(t.objective).toBeCloseTo(objective.score(t.accuracy!, { params: t.params }), 12);
      expect(t.reward).toBeCloseTo(t.objective! - t.baseline, 12);
      expect(seen[i].accuracy).toBe(t.objective);
      expect(t.latencyMs).toBeGreaterThan(0);
    }
    const best = JSON.parse(readFileSync(store.path('best'), 'utf8'));
    const byObjective = trials.reduce((a, b) => (b.objective! > a.objective! ? b : a));
    expect(best).toMatchObject({ episode: byObjective.episode, objective: byObjective.objective });
    expect(best.front.map((p: { episode: number }) => p.episode)).toEqual(paretoFront(trials, 'params').map((p) => p.episode));
    expect(best.front.length).toBeGreaterThan(1);
    // A resume that finds best-cells.json without its front (a crash before it was rewritten) restores it.
    store.writeBest(byObjective, { s: 1 });
    store.close();
    const again = RunStore.open(store.dir);
    expect(recoverRun(again, 'params').repairs).toContain(`best-cells.json brought up to date (episode ${byObjective.episode})`);
    expect(JSON.parse(readFileSync(store.path('best'), 'utf8')).front).toEqual(best.front);
    again.close();
  });
});
