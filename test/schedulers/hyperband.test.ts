import { describe, expect, it } from 'vitest';
import { HyperbandScheduler, maxBracket } from '../../src/schedulers/hyperband.js';
import { MedianPruner } from '../../src/schedulers/median-pruner.js';
import { median } from '../../src/util/stats.js';
import { TrialCache } from '../../src/schedulers/cache.js';
import type { Job, Member } from '../../src/schedulers/types.js';
import type { TrialRecord } from '../../src/store/records.js';

/** Runs a scheduler for `jobs` jobs; a child's accuracy is its id/100 (later ids are better). */
function drive(s: HyperbandScheduler, jobs: number) {
  const log: Array<Job & { id: number }> = [];
  for (let episode = 1; episode <= jobs; episode++) {
    const job = s.next()!;
    const id = job.kind === 'new' ? episode : job.from.proposal.actions[0];
    log.push({ ...job, id });
    const m: Member = {
      episode,
      accuracy: id / 100,
      proposal: { actions: [id], explored: false },
      budget: job.budget!,
      valAccuracies: [],
      state: `states/episode-${episode}.state`,
    };
    s.record(job, m);
  }
  return log;
}

describe('HyperbandScheduler', () => {
  it("runs Li et al.'s brackets for R = 9, eta = 3: 9@1 3@3 1@9, then 5@3 1@9, then 3@9, then again", () => {
    expect(maxBracket(9, 3)).toBe(2);
    expect(maxBracket(243, 3)).toBe(5);
    expect(maxBracket(8, 3)).toBe(1);
    const s = new HyperbandScheduler({ maxEpochs: 9, factor: 3 });
    const log = drive(s, 13 + 6 + 3 + 1);
    const shape = log.map((j) => `${j.bracket}/${j.rung}/${j.kind === 'new' ? 'n' : 'p'}${j.budget}`);
    expect(shape).toEqual([
      ...Array(9).fill('2/0/n1'),
      ...Array(3).fill('2/1/p3'),
      '2/2/p9',
      ...Array(5).fill('1/0/n3'),
      '1/1/p9',
      ...Array(3).fill('0/0/n9'),
      '2/0/n1',
    ]);
    // The best third of rung 0 (episodes 7, 8, 9) go on, best first; then the best of those.
    expect(log.slice(9, 12).map((j) => j.id)).toEqual([9, 8, 7]);
    expect(log[12].id).toBe(9);
    expect(log.slice(9, 13).every((j) => j.kind === 'promote' && j.from.budget < j.budget)).toBe(true);
    expect(log[18].id).toBe(18);
  });

  it('successive halving repeats the most exploratory bracket', () => {
    const s = new HyperbandScheduler({ maxEpochs: 4, factor: 2, successiveHalving: true });
    const log = drive(s, 7 + 7 + 3);
    // s_max = 2, n = 4: 4 children at 1 epoch, the best 2 to 2 epochs, the best 1 to 4; again.
    expect(log.map((j) => j.budget)).toEqual([1, 1, 1, 1, 2, 2, 4, 1, 1, 1, 1, 2, 2, 4, 1, 1, 1]);
    expect(log.map((j) => j.bracket).every((b) => b === 2)).toBe(true);
    expect(s.name).toBe('successive-halving');
  });

  it('ranks a failed child last and ties by the earlier trial', () => {
    const s = new HyperbandScheduler({ maxEpochs: 3, factor: 3 });
    const accs = [null, 0.5, 0.5];
    accs.forEach((accuracy, i) => s.record(s.next()!, { episode: i + 1, accuracy, proposal: { actions: [i], explored: false }, budget: 1, valAccuracies: [] }));
    const job = s.next();
    expect(job?.kind === 'promote' && job.from.episode).toBe(2);
  });

  it('says which saved states may still be continued, and restores its state exactly', () => {
    const a = new HyperbandScheduler({ maxEpochs: 9, factor: 3 });
    drive(a, 10); // rung 0 done (9), one of the three promotions done
    expect(a.liveStates().sort()).toEqual(['states/episode-7.state', 'states/episode-8.state', 'states/episode-10.state'].sort());
    const b = new HyperbandScheduler({ maxEpochs: 9, factor: 3 });
    b.setState(JSON.parse(JSON.stringify(a.getState())));
    expect(b.next()).toEqual(a.next());
    expect(() => new HyperbandScheduler({ maxEpochs: 3, factor: 3 }).setState(a.getState())).toThrow(/not a hyperband state of max epochs 3 and factor 3/);
    expect(() => new HyperbandScheduler({ maxEpochs: 9, factor: 1 })).toThrow(/factor must be an integer of at least 2, got 1/);
    expect(() => b.setState({ ...(a.getState() as object), recorded: ['x'] })).toThrow(/not a hyperband state/);
  });

  it("hands out a rung's jobs while others are in flight, then waits at the barrier; results come in any order", () => {
    const s = new HyperbandScheduler({ maxEpochs: 9, factor: 3 });
    expect(s.asynchronous).toBe(false);
    const pending: Job[] = [];
    for (let i = 0; i < 9; i++) {
      const job = s.next(pending);
      expect(job).toEqual({ kind: 'new', budget: 1, rung: 0, bracket: 2 });
      pending.push(job!);
    }
    expect(s.next(pending)).toBeUndefined(); // all 9 of rung 0 dispatched
    // Recorded in reverse: episode e gets accuracy e/100 whatever the order.
    for (let e = 9; e >= 1; e--) {
      s.record(pending[e - 1], member(e, e / 100, 1));
      if (e > 1) expect(s.next(pending.slice(0, e - 1))).toBeUndefined();
    }
    pending.length = 0;
    for (let i = 0; i < 3; i++) pending.push(s.next(pending)!);
    expect(pending.map((j) => j.kind === 'promote' && [j.from.episode, j.rung, j.budget])).toEqual([
      [9, 1, 3],
      [8, 1, 3],
      [7, 1, 3],
    ]);
    expect(s.next(pending)).toBeUndefined();
    // The last dispatched finishes first: the other two are still to be continued, and all the
    // rung's results may be promoted to rung 2.
    s.record(pending[2], member(10, 0.5, 3, 7));
    const live = () => s.liveStates().sort();
    expect(live()).toEqual(['states/episode-10.state', 'states/episode-8.state', 'states/episode-9.state']);
    expect(s.next(pending.slice(0, 2))).toBeUndefined();
    // A resumed run has lost what was in flight: it continues 9 and 8 again, not 7.
    const resumed = new HyperbandScheduler({ maxEpochs: 9, factor: 3 });
    resumed.setState(JSON.parse(JSON.stringify(s.getState())));
    const again = resumed.next();
    expect(again?.kind === 'promote' && again.from.episode).toBe(9);
    const again2 = resumed.next([again!]);
    expect(again2?.kind === 'promote' && again2.from.episode).toBe(8);
    expect(resumed.next([again!, again2!])).toBeUndefined();
    s.record(pending[0], member(11, 0.6, 3, 9));
    expect(live()).toEqual(['states/episode-10.state', 'states/episode-11.state', 'states/episode-8.state']);
    s.record(pending[1], member(12, 0.4, 3, 8));
    // Rung 1 done: its best (episode 11, proposal 9) goes on to 9 epochs.
    expect(live()).toEqual(['states/episode-11.state']);
    const top = s.next();
    expect(top?.kind === 'promote' && [top.from.episode, top.budget]).toEqual([11, 9]);
  });

  it('loads a state from before parallel search, which recorded the queue in order', () => {
    const a = new HyperbandScheduler({ maxEpochs: 9, factor: 3 });
    drive(a, 10); // rung 0 done, the first of the three promotions recorded
    const old = a.getState() as Record<string, unknown>;
    expect(old.recorded).toEqual([9]);
    delete old.recorded;
    const b = new HyperbandScheduler({ maxEpochs: 9, factor: 3 });
    b.setState(old);
    expect(b.liveStates().sort()).toEqual(a.liveStates().sort());
    expect(b.next()).toEqual(a.next());
    const job = b.next()!;
    b.record(job, member(11, 0.5, 3, 8));
    expect(b.getState()).toMatchObject({ rung: 1, recorded: [9, 8] });
  });
});

/** A child of trial `episode` trained `budget` epochs from proposal `id`, with a saved state. */
function member(episode: number, accuracy: number | null, budget: number, id = episode): Member {
  return { episode, accuracy, proposal: { actions: [id], explored: false }, budget, valAccuracies: [], state: `states/episode-${episode}.state` };
}

const trial = (over: Partial<TrialRecord>): TrialRecord =>
  ({
    episode: 1,
    strategy: 'random',
    cells: {} as TrialRecord['cells'],
    key: 'k',
    explored: true,
    accuracy: 0.5,
    valAccuracies: [0.5],
    reward: 0,
    baseline: 0,
    params: 1,
    seconds: 1,
    backend: 'cpu',
    time: '',
    ...over,
  }) as TrialRecord;

describe('MedianPruner', () => {
  it("stops a child below the median of earlier completed children's accuracy at the same epoch", () => {
    const p = new MedianPruner({ warmup: 1, startup: 3 }, [trial({ valAccuracies: [0.2, 0.4, 0.5] }), trial({ valAccuracies: [0.3, 0.5, 0.6] })]);
    expect(p.check([0.1, 0.1])).toBeUndefined(); // 2 completed children < startup 3
    p.add(trial({ valAccuracies: [0.4, 0.6], pruned: { epoch: 2, reason: 'x' } })); // pruned ones do not count
    p.add(trial({ cached: true, valAccuracies: [0.9, 0.9, 0.9] })); // nor cached ones
    expect(p.check([0.1, 0.1])).toBeUndefined();
    p.add(trial({ valAccuracies: [0.4, 0.6, 0.7] }));
    expect(p.check([0.1])).toBeUndefined(); // warm-up epoch
    expect(p.check([0.1, 0.5])).toBeUndefined(); // at the median 0.5
    expect(p.check([0.1, 0.49])).toMatchObject({
      epoch: 2,
      reason: expect.stringMatching(/0\.4900 after epoch 2 is below the median 0\.5000 of 3 earlier children/),
    });
    expect(p.check([0.6, 0.49])).toBeUndefined(); // best so far counts, as in Optuna
    expect(median([3, 1, 2, 10])).toBe(2.5);
  });
});

describe('TrialCache', () => {
  it('keys results by architecture and budget, and passes over failed, pruned and cached trials', () => {
    const c = new TrialCache(
      [
        trial({ episode: 1, key: 'a', budget: 3 }),
        trial({ episode: 2, key: 'b', accuracy: null, failed: 'NaN' }),
        trial({ episode: 3, key: 'c', budget: 3, pruned: { epoch: 1, reason: '' } }),
        trial({ episode: 4, key: 'a', budget: 3 }),
        trial({ episode: 5, key: 'old' }),
      ],
      6,
    );
    expect(c.get('a', 3)?.episode).toBe(1);
    expect(c.get('a', 9)).toBeUndefined();
    expect(c.get('b', 6)).toBeUndefined();
    expect(c.get('c', 3)).toBeUndefined();
    expect(c.get('old', 6)?.episode).toBe(5); // a run from before budgets trained every child --epochs
  });
});
