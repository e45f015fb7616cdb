import { describe, expect, it } from 'vitest';
import { AshaScheduler } from '../../src/schedulers/asha.js';
import { FullFidelity } from '../../src/schedulers/full.js';
import { HyperbandScheduler } from '../../src/schedulers/hyperband.js';
import { makeScheduler } from '../../src/schedulers/index.js';
import type { Job, Member } from '../../src/schedulers/types.js';

/** A child of trial `episode` with the given accuracy and a saved state named after the trial. */
const member = (episode: number, accuracy: number | null, job: Job, id = episode): Member => ({
  episode,
  accuracy,
  proposal: { actions: [id], explored: false },
  budget: job.budget!,
  valAccuracies: [],
  state: `states/episode-${episode}.state`,
});

/** The proposal a job trains: a new one is named after its trial, a promoted one keeps its own. */
const idOf = (job: Job, episode: number) => (job.kind === 'new' ? episode : job.from.proposal.actions[0]);

const shape = (j: Job) => `${j.bracket}/${j.rung}/${j.kind === 'new' ? 'n' : 'p'}${j.budget}`;

describe('AshaScheduler', () => {
  it('has rungs at 1, 3 and 9 epochs for R = 9, eta = 3, and promotes as soon as a child is in the best third of its rung', () => {
    const s = new AshaScheduler({ maxEpochs: 9, factor: 3 });
    expect([s.sMax, s.budget(0), s.budget(1), s.budget(2)]).toEqual([2, 1, 3, 9]);
    expect([s.name, s.keepsStates, s.asynchronous]).toEqual(['asha', true, true]);
    // One at a time; a child's accuracy is its proposal's id / 100 (later proposals are better).
    const log: string[] = [];
    for (let episode = 1; episode <= 11; episode++) {
      const job = s.next();
      const id = idOf(job, episode);
      log.push(`${shape(job)}#${id}`);
      s.record(job, member(episode, id / 100, job, id));
    }
    expect(log).toEqual([
      '2/0/n1#1',
      '2/0/n1#2',
      '2/0/n1#3',
      '2/1/p3#3', // 3 results at rung 0: the best third is 1 child
      '2/0/n1#5',
      '2/1/p3#5', // 4 results: still 1, and 5 is the best of them, not yet promoted
      '2/0/n1#7',
      '2/1/p3#7',
      '2/2/p9#7', // 3 results at rung 1 (3, 5, 7): 7 goes on to 9 epochs
      '2/0/n1#10',
      '2/1/p3#10', // 6 results at rung 0: the best 2 are 10 and 7 (promoted)
    ]);
    expect(new AshaScheduler({ maxEpochs: 8, factor: 3 }).budget(0)).toBe(3); // s_max 1: 8/3 rounded
  });

  it('promotes a child only once it ranks in the best 1/eta of its rung, a failed child last and ties to the earlier trial', () => {
    const s = new AshaScheduler({ maxEpochs: 4, factor: 2 });
    const add = (episode: number, accuracy: number | null) => {
      const job = s.next();
      expect(job.kind).toBe('new');
      s.record(job, member(episode, accuracy, job));
    };
    add(1, null);
    expect(s.next().kind).toBe('new'); // 1 result: floor(1/2) = 0 promoted
    add(2, 0.5);
    const job = s.next(); // 2 results: the best one
    expect(job.kind === 'promote' && [job.from.episode, job.rung, job.budget]).toEqual([2, 1, 2]);
    const t = new AshaScheduler({ maxEpochs: 4, factor: 2 });
    [0.5, 0.5].forEach((a, i) => {
      const j = t.next();
      t.record(j, member(i + 1, a, j));
    });
    const tie = t.next();
    expect(tie.kind === 'promote' && tie.from.episode).toBe(1);
  });

  it('does not hand out a pending promotion twice, and takes results in any order', () => {
    const s = new AshaScheduler({ maxEpochs: 9, factor: 3 });
    const pending: Job[] = [];
    for (let i = 0; i < 3; i++) pending.push(s.next(pending));
    expect(pending.map((j) => j.kind)).toEqual(['new', 'new', 'new']);
    // The third dispatched finishes first, then the first, then the second.
    s.record(pending[2], member(3, 0.3, pending[2]));
    s.record(pending[0], member(1, 0.9, pending[0]));
    expect(s.next(pending.slice(1)).kind).toBe('new'); // 2 results: none in the best third yet
    s.record(pending[1], member(2, 0.1, pending[1]));
    const p = s.next();
    expect(p.kind === 'promote' && p.from.episode).toBe(1);
    const n = s.next([p]);
    expect(n.kind).toBe('new'); // episode 1 is being promoted; nobody else has earned it
    expect(s.next([p])).toEqual(n); // next changes nothing
    // The new child finishes before the promotion.
    s.record(n, member(5, 0.2, n));
    expect(s.next([p]).kind).toBe('new');
    s.record(p, member(4, 0.95, p, 1));
    expect(s.getState()).toMatchObject({ promoted: [[1], [], []] });
    expect(s.next().kind).toBe('new'); // 4 results at rung 0: 1 promotable, and it is
    // 6 results, none promoted yet: the best two go on at once, then a new child.
    const t = new AshaScheduler({ maxEpochs: 9, factor: 3 });
    [0.1, 0.6, 0.2, 0.5, 0.3, 0.4].forEach((a, i) => t.record({ kind: 'new', budget: 1, rung: 0, bracket: 2 }, member(i + 1, a, n)));
    const inFlight: Job[] = [];
    for (let i = 0; i < 3; i++) inFlight.push(t.next(inFlight));
    expect(inFlight.map((j) => (j.kind === 'promote' ? j.from.episode : j.kind))).toEqual([2, 4, 'new']);
  });

  it('keeps the states of children that may still be promoted, and forgets the others', () => {
    const s = new AshaScheduler({ maxEpochs: 9, factor: 3 });
    const live = () => s.liveStates().sort();
    const rec = (episode: number, accuracy: number) => {
      const job = s.next();
      expect(job.kind).toBe('new');
      const m = member(episode, accuracy, job);
      s.record(job, m);
      expect(m.state).toBe(`states/episode-${episode}.state`); // the caller's member is not changed
    };
    rec(1, 0.1);
    expect(live()).toEqual(['states/episode-1.state']);
    rec(2, 0.2);
    // 2 results: the top half is 1 child; episode 1 falls out of it and its state is forgotten.
    expect(live()).toEqual(['states/episode-2.state']);
    rec(3, 0.15); // 3 results: the top 2 (episodes 2 and 3); episode 1's state does not come back
    expect(live()).toEqual(['states/episode-2.state', 'states/episode-3.state']);
    const p = s.next();
    expect(p.kind === 'promote' && p.from.episode).toBe(2);
    // Episode 2's state stays while the promotion is in flight; once it is recorded, it is
    // promoted and its state goes, and the promoted child's own state is live at rung 1.
    s.record(p, member(4, 0.3, p, 2));
    expect(live()).toEqual(['states/episode-3.state', 'states/episode-4.state']);
    // Should episode 1 be promoted after all (every later child worse), it trains from scratch.
    const saved = s.getState() as { rungs: Member[][] };
    expect(saved.rungs[0].map((m) => [m.episode, m.state !== undefined])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    for (let episode = 5; episode <= 7; episode++) rec(episode, 0.01);
    const late = s.next(); // 6 results: the best 2 are 2 (promoted) and 3
    expect(late.kind === 'promote' && late.from.episode).toBe(3);
    s.record(late, member(8, 0.3, late, 3));
    for (let episode = 9; episode <= 11; episode++) rec(episode, 0.01);
    const one = s.next(); // 9 results: the best 3 are 2, 3 and 1
    expect(one.kind === 'promote' && [one.from.episode, one.from.state]).toEqual([1, undefined]);
    // A child at the top rung is never continued: its state is not kept.
    const t = new AshaScheduler({ maxEpochs: 3, factor: 3 });
    const j = t.next();
    expect(j).toEqual({ kind: 'new', budget: 1, rung: 0, bracket: 1 });
    t.record(j, member(1, 0.5, j));
    t.record({ kind: 'promote', budget: 3, rung: 1, bracket: 1, from: member(1, 0.5, j) }, member(2, 0.6, j, 1));
    expect(t.liveStates()).toEqual([]);
  });

  it('restores its state exactly, and refuses a state that is not its own', () => {
    const a = new AshaScheduler({ maxEpochs: 9, factor: 3 });
    for (let episode = 1; episode <= 8; episode++) {
      const job = a.next();
      a.record(job, member(episode, (episode % 5) / 10, job, idOf(job, episode)));
    }
    const b = new AshaScheduler({ maxEpochs: 9, factor: 3 });
    b.setState(JSON.parse(JSON.stringify(a.getState())));
    expect(b.getState()).toEqual(a.getState());
    expect(b.next()).toEqual(a.next());
    expect(b.liveStates()).toEqual(a.liveStates());
    expect(() => new AshaScheduler({ maxEpochs: 3, factor: 3 }).setState(a.getState())).toThrow(/not an asha state of max epochs 3 and factor 3/);
    expect(() => b.setState(new HyperbandScheduler({ maxEpochs: 9, factor: 3 }).getState())).toThrow(/not an asha state/);
    expect(() => b.setState({ kind: 'asha', rungs: [[], [], []], promoted: [['x'], [], []] })).toThrow(/not an asha state/);
    expect(() => b.setState(null)).toThrow(/not an asha state/);
    expect(() => new AshaScheduler({ maxEpochs: 0, factor: 3 })).toThrow(/maxEpochs must be a positive integer, got 0/);
    expect(() => new AshaScheduler({ maxEpochs: 9, factor: 1 })).toThrow(/factor must be an integer of at least 2, got 1/);
  });
});

describe('makeScheduler', () => {
  const hb = { fidelity: 'hyperband', maxEpochs: 9, factor: 3, prune: 'none' } as const;
  it('replaces Hyperband and successive halving by ASHA when children run in parallel, unless asked to stay synchronous', () => {
    expect(makeScheduler(hb, 9).name).toBe('hyperband');
    expect(makeScheduler(hb, 9, 1).name).toBe('hyperband');
    const asha = makeScheduler(hb, 9, 4);
    expect(asha).toBeInstanceOf(AshaScheduler);
    expect((asha as AshaScheduler).budget(0)).toBe(1);
    expect(makeScheduler({ ...hb, fidelity: 'successive-halving' }, 9, 2).name).toBe('asha');
    expect(makeScheduler({ ...hb, factor: undefined, maxEpochs: undefined }, 27, 2).next()).toMatchObject({ budget: 1, bracket: 3 });
    expect(makeScheduler({ ...hb, synchronous: true }, 9, 4).name).toBe('hyperband');
    expect(makeScheduler({ ...hb, fidelity: 'full' }, 5, 4)).toBeInstanceOf(FullFidelity);
  });

  it('full fidelity ignores what is in flight and never waits', () => {
    const s = new FullFidelity(5);
    const job = s.next();
    expect(s.next([job, job])).toEqual({ kind: 'new', budget: 5, rung: 0, bracket: 0 });
    expect(s.asynchronous).toBe(true);
  });
});
