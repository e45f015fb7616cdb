// The loop with several children in flight, on an in-process evaluator whose children take
// different times: results are recorded as they finish, each episode exactly once, with the same
// architectures as one at a time for a seeded random search; a search stopped with children in
// flight resumes by sending those same children again (same job ids), never drawing new ones in
// their place; ASHA promotions continue the right child's state.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AshaScheduler } from '../../src/schedulers/asha.js';
import { FullFidelity } from '../../src/schedulers/full.js';
import { runSearch, type SearchCheckpoint } from '../../src/search/loop.js';
import { recoverRun } from '../../src/search/resume.js';
import type { ChildHooks, ChildOutcome, EvalRequest, Evaluator } from '../../src/search/types.js';
import { nasnetSpace } from '../../src/spaces/nasnet/space.js';
import type { CellPair } from '../../src/spaces/nasnet/types.js';
import { MovingBaseline } from '../../src/strategies/controller/baseline.js';
import { RandomStrategy } from '../../src/strategies/random.js';
import { RunStore } from '../../src/store/run-store.js';

const NASNET = nasnetSpace();
const quality = (cells: CellPair) => 0.2 + [...cells.normal, ...cells.reduction].flatMap((b) => b.ops).filter((o) => o.startsWith('sep')).length / 25;

/** Children that take 1-20 ms by their cells, keep a state of the epochs they have, and count how often each job id is trained. */
class SlowEvaluator implements Evaluator {
  jobs: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  constructor(private readonly hold?: Promise<void>) {}
  async train(cells: CellPair, hooks: ChildHooks = {}, req: EvalRequest = {}): Promise<ChildOutcome> {
    this.jobs.push(req.jobId ?? '?');
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const q = quality(cells);
      await new Promise((r) => setTimeout(r, 1 + (Math.round(q * 40) % 20)));
      if (this.hold) await this.hold;
      if (hooks.signal?.aborted) throw Object.assign(new Error('stopped'), { name: 'AbortError' });
      const from = req.resume ? Number(Buffer.from(req.resume.bytes).toString()) : 0;
      const epochs = req.epochs ?? 2;
      const valAccuracies = Array.from({ length: epochs - from }, (_, i) => q * (1 - 0.5 ** (from + i + 1)));
      hooks.onWorker?.('w');
      return {
        accuracy: Math.max(...valAccuracies),
        valAccuracies,
        params: 1,
        seconds: 0,
        epochsTrained: valAccuracies.length,
        ...(req.keepState ? { state: Buffer.from(String(epochs)) } : {}),
      };
    } finally {
      this.inFlight--;
    }
  }
}

const newRun = () => RunStore.create(join(mkdtempSync(join(tmpdir(), 'nascent-parallel-')), 'run'), { test: true });
const baseline = () => new MovingBaseline({ window: 5, initial: 0.1 });

async function searchWith(parallel: number, episodes: number, evaluator = new SlowEvaluator()) {
  const store = newRun();
  const events: string[] = [];
  const out = await runSearch({
    store,
    space: NASNET,
    strategy: new RandomStrategy(NASNET.decisions, 11),
    evaluator,
    baseline: baseline(),
    episodes,
    backend: 't',
    settings: {},
    scheduler: new FullFidelity(2),
    parallel,
    onEvent: (e) => events.push(e.type),
  });
  const { trials } = store.readTrials();
  store.close();
  return { out, trials, evaluator, events, dir: store.dir };
}

describe('a search with children in flight', () => {
  it('keeps K in flight, records each as it finishes, every episode once, the same architectures as one at a time', async () => {
    const one = await searchWith(1, 12);
    const four = await searchWith(4, 12);
    expect(four.evaluator.maxInFlight).toBe(4);
    expect(one.evaluator.maxInFlight).toBe(1);
    expect(four.trials.map((t) => t.episode)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(new Set(four.evaluator.jobs).size).toBe(12);
    expect([...four.trials.map((t) => t.key)].sort()).toEqual([...one.trials.map((t) => t.key)].sort());
    // Finishing order differs from proposing order (children take different times).
    expect(four.trials.map((t) => t.key)).not.toEqual(one.trials.map((t) => t.key));
    expect(four.events).toContain('child-start');
    expect(four.events).not.toContain('episode-start');
    expect(four.trials.every((t) => t.worker === undefined)).toBe(true);
  });

  it('resumed after a stop with children in flight, sends those same children again under the same job ids', async () => {
    const store = newRun();
    const stopNow = new AbortController();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const first = new SlowEvaluator(held);
    const run = runSearch({
      store,
      space: NASNET,
      strategy: new RandomStrategy(NASNET.decisions, 11),
      evaluator: first,
      baseline: baseline(),
      episodes: 6,
      backend: 't',
      settings: {},
      scheduler: new FullFidelity(2),
      parallel: 3,
      childSignal: stopNow.signal,
    });
    while (first.jobs.length < 3) await new Promise((r) => setTimeout(r, 5));
    stopNow.abort();
    release();
    expect((await run).stopped).toBe(true);
    store.close();

    const again = RunStore.open(store.dir);
    const rec = recoverRun(again);
    const cp = rec.checkpoint as SearchCheckpoint;
    expect(rec.done).toBe(0);
    expect(cp.inflight?.map((c) => c.child)).toEqual([1, 2, 3]);
    const strategy = new RandomStrategy(NASNET.decisions, 11);
    await strategy.setState(cp.strategy);
    const second = new SlowEvaluator();
    await runSearch({
      store: again,
      space: NASNET,
      strategy,
      evaluator: second,
      baseline: baseline(),
      episodes: 6,
      backend: 't',
      settings: {},
      scheduler: new FullFidelity(2),
      parallel: 3,
      history: rec.trials,
      inflight: { children: cp.inflight!, dispatched: cp.dispatched!, run: cp.run!, pending: cp.pending },
    });
    const trials = again.readTrials().trials;
    again.close();
    expect(second.jobs.slice(0, 3)).toEqual(first.jobs);
    expect(second.jobs).toHaveLength(6);
    expect(trials.map((t) => t.episode)).toEqual([1, 2, 3, 4, 5, 6]);
    // The same six architectures as a search never stopped.
    const straight = await searchWith(3, 6);
    expect(trials.map((t) => t.key).sort()).toEqual(straight.trials.map((t) => t.key).sort());
  });

  it('runs ASHA: promotions continue their parent from its state, never twice', async () => {
    const store = newRun();
    const evaluator = new SlowEvaluator();
    await runSearch({
      store,
      space: NASNET,
      strategy: new RandomStrategy(NASNET.decisions, 3),
      evaluator,
      baseline: baseline(),
      episodes: 30,
      backend: 't',
      settings: {},
      scheduler: new AshaScheduler({ maxEpochs: 9, factor: 3 }),
      parallel: 3,
    });
    const { trials } = store.readTrials();
    store.close();
    expect(trials).toHaveLength(30);
    const promoted = trials.filter((t) => (t.rung ?? 0) > 0);
    expect(promoted.length).toBeGreaterThan(0);
    const continued = promoted.filter((t) => t.inheritedFrom !== undefined);
    expect(continued.length).toBeGreaterThan(0);
    const parents = continued.map((t) => t.inheritedFrom);
    expect(new Set(parents).size).toBe(parents.length);
    for (const t of promoted) {
      expect(t.valAccuracies).toHaveLength(t.budget!);
      // A parent whose state ASHA let go (it had fallen out of its rung's top half) is trained from scratch.
      if (t.inheritedFrom === undefined) {
        expect(t.epochsTrained).toBe(t.budget);
        continue;
      }
      const parent = trials.find((p) => p.episode === t.inheritedFrom)!;
      expect(parent.key).toBe(t.key);
      expect(parent.rung).toBe(t.rung! - 1);
      expect(t.budget).toBe([1, 3, 9][t.rung!]);
      expect(t.epochsTrained).toBe(t.budget! - parent.budget!);
    }
  });
});
