import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MovingBaseline } from '../../src/strategies/controller/baseline.js';
import { runSearch, type SearchCheckpoint, type SearchEvent } from '../../src/search/loop.js';
import { RandomStrategy } from '../../src/strategies/random.js';
import type { ChildOutcome, Evaluator, Feedback, Proposal, Strategy } from '../../src/search/types.js';
import type { CellPair } from '../../src/spaces/nasnet/types.js';
import { nasnetSpace } from '../../src/spaces/nasnet/space.js';
import { RunStore } from '../../src/store/run-store.js';
import { cellsHash } from '../../src/spaces/nasnet/key.js';

// An evaluator whose accuracy is a fixed function of the cells (how many sep_3x3 they use), so the
// loop's bookkeeping can be checked exactly. The child training itself is tested in test/evaluators/child.
class CountingEvaluator implements Evaluator {
  calls = 0;
  constructor(private readonly failOn: number[] = []) {}
  async train(cells: CellPair, hooks?: Parameters<Evaluator['train']>[1]): Promise<ChildOutcome> {
    this.calls++;
    hooks?.onEpochStart?.(0);
    hooks?.onBatch?.(0, 0, 1, 2.3);
    const n = [...cells.normal, ...cells.reduction].flatMap((b) => b.ops).filter((o) => o === 'sep_3x3').length;
    const accuracy = 0.1 + n / 20;
    hooks?.onEpochEnd?.(0, { loss: 2.3, valAccuracy: accuracy });
    if (this.failOn.includes(this.calls)) return { accuracy: 0, valAccuracies: [], params: 5, seconds: 0.01, failed: 'loss became NaN at epoch 1 batch 1' };
    return { accuracy, valAccuracies: [accuracy], params: 100 + n, seconds: 0.01 };
  }
}

class RecordingStrategy extends RandomStrategy {
  feedback: Feedback[] = [];
  override async observe(_p: Proposal, f: Feedback): Promise<void> {
    this.feedback.push(f);
  }
}

const NASNET = nasnetSpace();
const newRun = () => RunStore.create(join(mkdtempSync(join(tmpdir(), 'nascent-loop-')), 'run'), { test: true });

describe('runSearch', () => {
  it('records every episode, rewards against the earlier episodes only, and keeps best-cells in step', async () => {
    const store = newRun();
    const strategy = new RecordingStrategy(NASNET.decisions, 3);
    const events: SearchEvent[] = [];
    const baseline = new MovingBaseline({ window: 2, initial: 0.1 });
    const out = await runSearch({
      store,
      space: NASNET,
      strategy,
      evaluator: new CountingEvaluator(),
      baseline,
      episodes: 6,
      backend: 'test',
      settings: { s: 1 },
      onEvent: (e) => events.push(e),
    });
    expect(out).toMatchObject({ episodesDone: 6, stopped: false });
    const { trials } = store.readTrials();
    expect(trials.map((t) => t.episode)).toEqual([1, 2, 3, 4, 5, 6]);
    const accs = trials.map((t) => t.accuracy as number);
    expect(trials[0].baseline).toBe(0.1);
    expect(trials[1].baseline).toBeCloseTo(accs[0], 12);
    for (let i = 2; i < 6; i++) expect(trials[i].baseline).toBeCloseTo((accs[i - 1] + accs[i - 2]) / 2, 12);
    trials.forEach((t, i) => {
      expect(t.reward).toBeCloseTo(accs[i] - t.baseline, 12);
      expect(strategy.feedback[i].reward).toBeCloseTo(t.reward, 12);
      expect(t.key).toBe(cellsHash(nasnetSpace().validate(t.cells)));
      expect(t.backend).toBe('test');
    });
    const bestTrial = trials.reduce((a, b) => ((b.accuracy as number) > (a.accuracy as number) ? b : a));
    const best = JSON.parse(readFileSync(store.path('best'), 'utf8'));
    expect(best).toMatchObject({
      format: 'nascent.best-cells',
      version: 2,
      accuracy: bestTrial.accuracy,
      episode: bestTrial.episode,
      cells: bestTrial.cells,
      settings: { s: 1 },
    });
    const ckpt = store.readCheckpoint<SearchCheckpoint>()!;
    expect(ckpt.episode).toBe(6);
    expect(ckpt.pending).toEqual(trials[5]);
    expect(events.filter((e) => e.type === 'episode-end')).toHaveLength(6);
    // Evaluators count from 0, events from 1.
    expect(events.find((e) => e.type === 'batch')).toMatchObject({ episode: 1, epoch: 1, batch: 1, batches: 1 });
    expect(events.find((e) => e.type === 'epoch-end')).toMatchObject({ episode: 1, epoch: 1 });
    store.close();
  });

  it('records a failed child with its error, rewards it as accuracy 0 and keeps it out of the baseline', async () => {
    const store = newRun();
    const strategy = new RecordingStrategy(NASNET.decisions, 5);
    const baseline = new MovingBaseline({ window: 20, initial: 0.1 });
    await runSearch({ store, space: NASNET, strategy, evaluator: new CountingEvaluator([2]), baseline, episodes: 3, backend: 'test', settings: {} });
    const { trials } = store.readTrials();
    expect(trials[1]).toMatchObject({ accuracy: null, failed: 'loss became NaN at epoch 1 batch 1' });
    expect(trials[1].reward).toBeCloseTo(0 - trials[1].baseline, 12);
    expect(trials[2].baseline).toBeCloseTo(trials[0].accuracy as number, 12);
    expect(baseline.size).toBe(2);
    store.close();
  });

  it('stops between episodes when aborted and continues from a done count', async () => {
    const store = newRun();
    const stop = new AbortController();
    const strategy: Strategy = new RandomStrategy(NASNET.decisions, 1);
    const first = await runSearch({
      store,
      space: NASNET,
      strategy,
      evaluator: new CountingEvaluator(),
      baseline: new MovingBaseline(),
      episodes: 5,
      backend: 't',
      settings: {},
      signal: stop.signal,
      onEvent: (e) => e.type === 'episode-end' && e.trial.episode === 2 && stop.abort(),
    });
    expect(first).toMatchObject({ episodesDone: 2, stopped: true });
    const again = await runSearch({
      store,
      space: NASNET,
      strategy,
      evaluator: new CountingEvaluator(),
      baseline: new MovingBaseline(),
      episodes: 5,
      backend: 't',
      settings: {},
      done: 2,
      best: first.best,
    });
    expect(again.episodesDone).toBe(5);
    expect(store.readTrials().trials.map((t) => t.episode)).toEqual([1, 2, 3, 4, 5]);
    store.close();
  });
});
