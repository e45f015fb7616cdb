// The loop with a scheduler, the cache and a pruner, on an evaluator that trains in epochs and
// saves a "state" (the epochs it has had), so budgets, inheritance and resume can be checked exactly.
// Real weight inheritance (a continued child equals one trained straight) is in test/evaluators/child/continue.test.ts.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MovingBaseline } from '../../src/strategies/controller/baseline.js';
import { nasnetSpace } from '../../src/spaces/nasnet/space.js';
import type { CellPair } from '../../src/spaces/nasnet/types.js';
import { runSearch } from '../../src/search/loop.js';
import { RandomStrategy } from '../../src/strategies/random.js';
import { recoverRun } from '../../src/search/resume.js';
import type { ChildHooks, ChildOutcome, EvalRequest, Evaluator, Feedback, Proposal, Strategy } from '../../src/search/types.js';
import { HyperbandScheduler } from '../../src/schedulers/hyperband.js';
import { MedianPruner } from '../../src/schedulers/median-pruner.js';
import { FullFidelity } from '../../src/schedulers/full.js';
import type { TrialRecord } from '../../src/store/records.js';
import { RunStore } from '../../src/store/run-store.js';

const NASNET = nasnetSpace();

/** Accuracy after epoch e (from 1) is quality * (1 - 0.5^e); quality from the cells' sep ops. */
class EpochEvaluator implements Evaluator {
  calls: Array<{ epochs?: number; from: number }> = [];
  async train(cells: CellPair, hooks?: ChildHooks, req: EvalRequest = {}): Promise<ChildOutcome> {
    const q = 0.2 + [...cells.normal, ...cells.reduction].flatMap((b) => b.ops).filter((o) => o.startsWith('sep')).length / 25;
    const from = req.resume ? (JSON.parse(Buffer.from(req.resume.bytes).toString()) as { epochs: number }).epochs : 0;
    const epochs = req.epochs ?? 2;
    this.calls.push({ epochs: req.epochs, from });
    const valAccuracies: number[] = [];
    let stopped: ChildOutcome['stopped'];
    for (let e = from; e < epochs; e++) {
      valAccuracies.push(q * (1 - 0.5 ** (e + 1)));
      const why = e + 1 < epochs ? await hooks?.stopAfterEpoch?.(valAccuracies) : undefined;
      if (why) {
        stopped = { epoch: e + 1, reason: why };
        break;
      }
    }
    const end = from + valAccuracies.length;
    return {
      accuracy: Math.max(...valAccuracies),
      valAccuracies,
      params: 1,
      seconds: 0,
      epochsTrained: valAccuracies.length,
      ...(stopped ? { stopped } : {}),
      ...(req.keepState ? { state: Buffer.from(JSON.stringify({ epochs: end })) } : {}),
    };
  }
}

/** Proposes the given action sequences in turn, records what it is told. */
class ListStrategy implements Strategy {
  readonly name = 'list';
  seen: Feedback[] = [];
  memos: unknown[] = [];
  private i = 0;
  constructor(private readonly list: number[][]) {}
  async propose(): Promise<Proposal> {
    return { actions: this.list[this.i % this.list.length], explored: false, memo: { drawn: this.i++ } };
  }
  async observe(p: Proposal, f: Feedback): Promise<void> {
    this.seen.push(f);
    this.memos.push(p.memo);
  }
  async getState() {
    return { i: this.i };
  }
  async setState(s: unknown) {
    this.i = (s as { i: number }).i;
  }
  dispose(): void {}
}

const newRun = () => RunStore.create(join(mkdtempSync(join(tmpdir(), 'nascent-fidelity-')), 'run'), { test: true });
const strip = (ts: TrialRecord[]) => ts.map(({ time: _t, seconds: _s, ...rest }) => rest);
const baseline = () => new MovingBaseline({ window: 5, initial: 0.1 });

describe('caching', () => {
  it('reuses the result of a key already trained at the same budget, marks it cached and still feeds strategy and baseline', async () => {
    const a = new RandomStrategy(NASNET.decisions, 4);
    const [p1, p2] = [await a.propose(), await a.propose()];
    const store = newRun();
    const evaluator = new EpochEvaluator();
    const strategy = new ListStrategy([p1.actions, p2.actions, p1.actions]);
    const b = baseline();
    await runSearch({ store, space: NASNET, strategy, evaluator, baseline: b, episodes: 3, backend: 't', settings: {}, scheduler: new FullFidelity(2) });
    const { trials } = store.readTrials();
    expect(evaluator.calls).toHaveLength(2);
    expect(trials[2]).toMatchObject({
      cached: true,
      cachedFrom: 1,
      accuracy: trials[0].accuracy,
      valAccuracies: trials[0].valAccuracies,
      budget: 2,
      epochsTrained: 0,
    });
    expect(trials[0].cached).toBeUndefined();
    expect(strategy.seen).toHaveLength(3);
    expect(trials[2].baseline).toBeCloseTo(((trials[0].accuracy as number) + (trials[1].accuracy as number)) / 2, 12);
    store.close();

    // The cache is rebuilt from trials.jsonl on resume; --retrain-duplicates trains again.
    const again = RunStore.open(store.dir);
    const rec = recoverRun(again);
    const ev2 = new EpochEvaluator();
    await runSearch({
      store: again,
      space: NASNET,
      strategy: new ListStrategy([p2.actions]),
      evaluator: ev2,
      baseline: baseline(),
      episodes: 4,
      done: rec.done,
      history: rec.trials,
      backend: 't',
      settings: {},
      scheduler: new FullFidelity(2),
    });
    expect(ev2.calls).toHaveLength(0);
    expect(again.readTrials().trials[3]).toMatchObject({ cached: true, cachedFrom: 2 });
    again.close();
    const s3 = newRun();
    const ev3 = new EpochEvaluator();
    await runSearch({
      store: s3,
      space: NASNET,
      strategy: new ListStrategy([p1.actions]),
      evaluator: ev3,
      baseline: baseline(),
      episodes: 2,
      backend: 't',
      settings: {},
      retrainDuplicates: true,
    });
    expect(ev3.calls).toHaveLength(2);
    expect(s3.readTrials().trials.some((t) => t.cached)).toBe(false);
    s3.close();
  });
});

describe('hyperband in the loop', () => {
  const hyperband = () => new HyperbandScheduler({ maxEpochs: 9, factor: 3 });

  it('records budget, rung and bracket, continues promoted children from their saved state and deletes states no one can continue', async () => {
    const store = newRun();
    const evaluator = new EpochEvaluator();
    const strategy = new RandomStrategy(NASNET.decisions, 5);
    const seen: Feedback[] = [];
    const observe = strategy.observe.bind(strategy);
    strategy.observe = async (p, f) => (seen.push(f), observe(p, f));
    await runSearch({ store, space: NASNET, strategy, evaluator, baseline: baseline(), episodes: 13, backend: 't', settings: {}, scheduler: hyperband() });
    const { trials } = store.readTrials();
    expect(trials.map((t) => `${t.bracket}/${t.rung}/${t.budget}`)).toEqual([...Array(9).fill('2/0/1'), ...Array(3).fill('2/1/3'), '2/2/9']);
    const rung0 = trials.slice(0, 9);
    const best3 = [...rung0].sort((x, y) => (y.accuracy as number) - (x.accuracy as number) || x.episode - y.episode).slice(0, 3);
    trials.slice(9, 12).forEach((t, i) => {
      expect(t.inheritedFrom).toBe(best3[i].episode);
      expect(t.key).toBe(best3[i].key);
      expect(t.epochsTrained).toBe(2);
      expect(t.valAccuracies).toHaveLength(3);
      expect(t.valAccuracies[0]).toBe(best3[i].valAccuracies[0]);
    });
    expect(trials[12]).toMatchObject({ inheritedFrom: trials[9].episode, epochsTrained: 6 });
    expect(evaluator.calls.slice(9)).toEqual([
      { epochs: 3, from: 1 },
      { epochs: 3, from: 1 },
      { epochs: 3, from: 1 },
      { epochs: 9, from: 3 },
    ]);
    expect(seen.map((f) => f.budget)).toEqual(trials.map((t) => t.budget));
    // The bracket is over: no saved state can be continued any more.
    expect(existsSync(join(store.dir, 'states')) ? readdirSync(join(store.dir, 'states')) : []).toEqual([]);
    store.close();
  });

  it("hands a promoted child back to the strategy with its proposal's memo, also across a resume", async () => {
    // The controller keeps each child's importance weight in the memo: a promotion observed without
    // it would count a uniform draw as on-policy.
    const a = new RandomStrategy(NASNET.decisions, 8);
    const lists = [await a.propose(), await a.propose(), await a.propose()].map((p) => p.actions);
    const store = newRun();
    const strategy = new ListStrategy(lists);
    const scheduler = new HyperbandScheduler({ maxEpochs: 3, factor: 3 });
    await runSearch({
      store,
      space: NASNET,
      strategy,
      evaluator: new EpochEvaluator(),
      baseline: baseline(),
      episodes: 3,
      backend: 't',
      settings: {},
      scheduler,
    });
    store.close();
    const again = RunStore.open(store.dir);
    const rec = recoverRun(again);
    const resumed = new HyperbandScheduler({ maxEpochs: 3, factor: 3 });
    resumed.setState(rec.checkpoint!.scheduler);
    const later = new ListStrategy(lists);
    await runSearch({
      store: again,
      space: NASNET,
      strategy: later,
      evaluator: new EpochEvaluator(),
      baseline: baseline(),
      episodes: 4,
      done: rec.done,
      history: rec.trials,
      backend: 't',
      settings: {},
      scheduler: resumed,
    });
    const { trials } = again.readTrials();
    expect(trials[3].rung).toBe(1);
    expect(later.memos).toEqual([{ drawn: (trials[3].inheritedFrom as number) - 1 }]);
    again.close();
  });

  it('resumes in the middle of a bracket exactly, also after a crash between checkpoint and trial line', async () => {
    const strategyOf = () => new RandomStrategy(NASNET.decisions, 8);
    const straight = newRun();
    await runSearch({
      store: straight,
      space: NASNET,
      strategy: strategyOf(),
      evaluator: new EpochEvaluator(),
      baseline: baseline(),
      episodes: 20,
      backend: 't',
      settings: {},
      scheduler: hyperband(),
    });
    const want = strip(straight.readTrials().trials);
    straight.close();

    const store = newRun();
    await runSearch({
      store,
      space: NASNET,
      strategy: strategyOf(),
      evaluator: new EpochEvaluator(),
      baseline: baseline(),
      episodes: 11,
      backend: 't',
      settings: {},
      scheduler: hyperband(),
    });
    // killed after the checkpoint of episode 11, before its line: the resume appends it
    const lines = readFileSync(store.path('trials'), 'utf8').trimEnd().split('\n');
    writeFileSync(store.path('trials'), lines.slice(0, 10).join('\n') + '\n');
    store.close();
    for (const stop of [16, 20]) {
      const again = RunStore.open(store.dir);
      const rec = recoverRun(again);
      const strategy = strategyOf();
      const b = baseline();
      const scheduler = hyperband();
      await strategy.setState(rec.checkpoint!.strategy);
      b.setState(rec.checkpoint!.baseline as Parameters<MovingBaseline['setState']>[0]);
      scheduler.setState(rec.checkpoint!.scheduler);
      await runSearch({
        store: again,
        space: NASNET,
        strategy,
        evaluator: new EpochEvaluator(),
        baseline: b,
        episodes: stop,
        done: rec.done,
        best: rec.best,
        history: rec.trials,
        backend: 't',
        settings: {},
        scheduler,
      });
      again.close();
    }
    expect(strip(RunStore.open(store.dir).readTrials().trials)).toEqual(want);
  });
});

describe('median pruning in the loop', () => {
  it('stops a child below the median and records where and why; pruned children are not cached', async () => {
    const a = new RandomStrategy(NASNET.decisions, 6);
    const ps: number[][] = [];
    for (let i = 0; i < 6; i++) ps.push((await a.propose()).actions);
    const store = newRun();
    const evaluator = new EpochEvaluator();
    await runSearch({
      store,
      space: NASNET,
      strategy: new ListStrategy([...ps, ps[5]]),
      evaluator,
      baseline: baseline(),
      episodes: 7,
      backend: 't',
      settings: {},
      scheduler: new FullFidelity(4),
      pruner: new MedianPruner({ warmup: 1, startup: 3 }),
    });
    const { trials } = store.readTrials();
    const pruned = trials.filter((t) => t.pruned);
    expect(trials.slice(0, 3).every((t) => !t.pruned && t.valAccuracies.length === 4)).toBe(true);
    for (const t of pruned) {
      expect(t.pruned!.epoch).toBe(t.valAccuracies.length);
      expect(t.pruned!.epoch).toBeGreaterThan(1);
      expect(t.pruned!.reason).toMatch(/below the median/);
      expect(t.epochsTrained).toBe(t.pruned!.epoch);
    }
    if (trials[5].pruned) expect(trials[6].cached).toBeUndefined();
    expect(pruned.length).toBeGreaterThan(0);
    store.close();
  });
});
