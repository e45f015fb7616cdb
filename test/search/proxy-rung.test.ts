// A zero-cost proxy as Hyperband's zeroth rung, through the episode loop: a new architecture that
// does not score among the best 1/factor of those scored before is recorded untrained (accuracy
// null, nothing trained, the reason given) and its slot goes to the next proposal; every trial
// carries its proxy scores; a resumed run compares with the scores it recorded.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareBackend } from '../../src/backend/index.js';
import { childProxyNetwork, ProxyScorer, standing } from '../../src/proxies/index.js';
import { ProxyScreen } from '../../src/run/proxy-screen.js';
import { HyperbandScheduler } from '../../src/schedulers/hyperband.js';
import { runSearch } from '../../src/search/loop.js';
import { recoverRun } from '../../src/search/resume.js';
import type { ChildOutcome, EvalRequest, Evaluator } from '../../src/search/types.js';
import { nasnetSpace } from '../../src/spaces/nasnet/space.js';
import type { CellPair } from '../../src/spaces/nasnet/types.js';
import { MovingBaseline } from '../../src/strategies/controller/baseline.js';
import { RandomStrategy } from '../../src/strategies/random.js';
import { RunStore } from '../../src/store/run-store.js';

const NASNET = nasnetSpace();

/** Trains nothing: an accuracy from the cells, and a list of what it was asked to train. */
class CountingEvaluator implements Evaluator {
  trained: string[] = [];
  async train(cells: CellPair, _hooks = {}, req: EvalRequest = {}): Promise<ChildOutcome> {
    this.trained.push(JSON.stringify(cells));
    const q = 0.2 + [...cells.normal, ...cells.reduction].flatMap((b) => b.ops).filter((o) => o.startsWith('sep')).length / 25;
    const epochs = req.epochs ?? 1;
    return { accuracy: q, valAccuracies: Array(epochs).fill(q), params: 1, seconds: 0, epochsTrained: epochs };
  }
}

const screenOf = (earlier: Record<string, number | null>[] = []) =>
  new ProxyScreen(
    new ProxyScorer('params', { images: tf.zeros([1, 8, 8, 3]), labels: tf.zeros([1], 'int32'), numClasses: 10 }),
    (arch) => childProxyNetwork(arch as CellPair, { channels: [2, 4, 4, 8, 8], numClasses: 10, inputShape: [8, 8, 3], seed: 0 }),
    1 / 3,
    earlier,
  );

async function search(store: RunStore, episodes: number, screen: ProxyScreen, evaluator: CountingEvaluator, history?: ReturnType<typeof recoverRun>) {
  return runSearch({
    store,
    space: NASNET,
    strategy: new RandomStrategy(NASNET.decisions, 5),
    evaluator,
    baseline: new MovingBaseline({ window: 5, initial: 0.1 }),
    episodes,
    backend: 't',
    settings: {},
    scheduler: new HyperbandScheduler({ maxEpochs: 3, factor: 3 }),
    screen,
    ...(history ? { done: history.done, best: history.best, history: history.trials } : {}),
  });
}

describe('the proxy rung in the loop', () => {
  beforeAll(async () => {
    await prepareBackend('cpu');
  });

  it('records rejected proposals untrained and trains only what the proxy keeps', async () => {
    const store = RunStore.create(join(mkdtempSync(join(tmpdir(), 'nascent-rung-')), 'run'), { test: true });
    const evaluator = new CountingEvaluator();
    const screen = screenOf();
    await search(store, 30, screen, evaluator);
    const { trials } = store.readTrials();
    expect(trials.map((t) => t.episode)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(trials.every((t) => typeof t.proxy?.params === 'number')).toBe(true);
    const rejected = trials.filter((t) => t.rejected);
    const trained = trials.filter((t) => !t.rejected);
    expect(rejected.length).toBeGreaterThan(3);
    for (const t of rejected) {
      expect(t.accuracy).toBeNull();
      expect(t.epochsTrained).toBe(0);
      expect(t.rejected).toMatch(/^params ranks it above \d+% of \d+ scored, below the best 33% the rung keeps$/);
    }
    // The evaluator saw exactly the trained trials (promotions included), none of the rejected.
    expect(evaluator.trained).toHaveLength(trained.filter((t) => !t.cached).length);
    const rejectedCells = new Set(rejected.map((t) => JSON.stringify(t.cells)));
    expect(evaluator.trained.some((c) => rejectedCells.has(c))).toBe(false);
    // Each rejection was judged against the new architectures scored before it: below 2/3 of them.
    const firstLooks = trials.filter((t) => t.rung === 0 || t.rejected);
    for (const t of rejected) {
      const before = firstLooks.filter((o) => o.episode < t.episode).map((o) => o.proxy!);
      expect(standing(t.proxy!, before, ['params'])).toBeLessThan(2 / 3);
    }
    store.close();
    screen.dispose();

    // A resume compares with the scores its trials recorded: the 31st trial is judged against 30.
    const again = RunStore.open(store.dir);
    const recovered = recoverRun(again);
    const resumedScreen = screenOf(recovered.trials.flatMap((t) => (t.proxy && (t.rung === 0 || t.rejected) ? [t.proxy] : [])));
    await search(again, 40, resumedScreen, new CountingEvaluator(), recovered);
    const after = again.readTrials().trials;
    expect(after.map((t) => t.episode)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const judged = after.slice(30).find((t) => t.rejected);
    if (judged) expect(judged.rejected).toMatch(/of (2\d|3\d) scored/);
    again.close();
    resumedScreen.dispose();
  });
});
