// TPE and regularized evolution with several children in flight (issue 26): propose() is called
// again before the earlier proposals are observed, and results come back in any order. TPE lies
// (a proposal in flight is a trial with the worst accuracy, and is never proposed twice), evolution
// ends its random phase once population + in flight reach P, both save what is in flight, and one
// at a time both propose exactly what they proposed before they tracked it (recorded below).
import { describe, expect, it } from 'vitest';
import type { Proposal, Strategy } from '../../src/search/types.js';
import { RegularizedEvolution } from '../../src/strategies/evolution.js';
import { TreeParzenEstimator } from '../../src/strategies/tpe.js';
import { Rng } from '../../src/util/random.js';

const D = [...Array.from({ length: 8 }, () => ({ choices: 5 })), { choices: 1 }, { choices: 2 }];
/** A fake objective with many distinct values; a failed child every 7th call. */
const fake = (a: number[], call: number) => (call % 7 === 6 ? null : (a.reduce((s, v, d) => s * 3 + v * (d + 1), 0) % 1009) / 1009);
const parse = (s: string) => [...s.replace('*', '')].map(Number);
const show = (p: Proposal) => p.actions.join('') + (p.explored ? '*' : '');
type Trial = { actions: number[]; accuracy: number };
type Saved = { rng: number[]; trials?: Trial[]; population?: Trial[]; pending?: number[][] };
const state = async (s: Strategy) => (await s.getState()) as Saved;

// Recorded with the code before the pending proposals were tracked (one at a time, `fake` as the
// accuracy, * = explored): TPE seed 7 with startup 5, evolution seed 3 with P = 6 and S = 3, and
// each one's generator after 40 proposals and after 12.
const TPE_REF = {
  proposals: `0144124000* 4111401100* 1434302401* 1123141301* 2122441300* 2322243300 3222440300 2140032200 4400032200 2140032000
    3140032201 2022111200 2122442300 2140441300 2142431200 2122432200 2120031201 2140013300 2142441300 2040042200 2142034300 2142441200
    3142441300 2142441400 2141041300 2142432300 2122241300 2142442300 2140441200 2103021300 2142431300 2340033300 2342443100 2122243300
    2322441300 0322241300 2322241300 2332241300 2120243300 2322203300`.split(/\s+/),
  rng40: [2812021144, 3108107265, 878407922, 2372225628],
  rng12: [815172945, 2116651594, 2620530136, 2372218908],
};
const EVO_REF = {
  proposals: `2321123001* 3324441001* 0222123301* 2120340201* 0330334301* 2343443001* 0222123001 0222120301 0122123301 0122123300
    0122123000 0102123301 0422123301 0102123300 0102123201 4102123301 0112123301 4102123300 4102123200 4102113301 4101123301 4142123300
    4142123400 4142123301 3142123400 4142223400 4042123300 4142113300 4132123400 4142123101 4042124300 4041123300 4031123300 4041423300
    4043124300 4441123300 4242124300 4041123301 4442123300 4431123300`.split(/\s+/),
  rng40: [1259352458, 1643759476, 311956424, 1507035728],
  rng12: [3123897019, 86646334, 251408238, 1507035588],
};
const makeTpe = (seed = 7) => new TreeParzenEstimator(D, seed, { startup: 5 });
const makeEvo = (seed = 3) => new RegularizedEvolution(D, seed, { population: 6, tournament: 3 });

/** One at a time: propose, observe, ...; the proposals shown as in the references. */
async function sequential(s: Strategy, n: number, from = 0): Promise<string[]> {
  const out: string[] = [];
  for (let i = from; i < from + n; i++) {
    const p = await s.propose();
    out.push(show(p));
    const accuracy = fake(p.actions, i);
    await s.observe(p, { accuracy, reward: accuracy ?? 0 });
  }
  return out;
}

/** K children in flight, each finishing after a random time: the order results arrive in is not
 *  the order proposed. Calls `check` with the proposals in flight before each new one joins. */
async function parallel(s: Strategy, K: number, n: number, seed: number, check?: (p: Proposal, inFlight: Proposal[]) => void): Promise<Proposal[]> {
  const clock = new Rng(seed);
  const flight: { p: Proposal; end: number }[] = [];
  const proposed: Proposal[] = [];
  let [now, observed] = [0, 0];
  while (observed < n) {
    while (flight.length < K && proposed.length < n) {
      const p = await s.propose();
      check?.(
        p,
        flight.map((f) => f.p),
      );
      proposed.push(p);
      flight.push({ p, end: now + 0.5 + clock.next() });
    }
    flight.sort((a, b) => a.end - b.end);
    const { p, end } = flight.shift()!;
    now = end;
    const accuracy = fake(p.actions, observed++);
    await s.observe(p, { accuracy, reward: accuracy ?? 0 });
  }
  return proposed;
}

describe('TPE with proposals in flight (the constant liar)', () => {
  it('one at a time proposes exactly what it did before, and saves the same state (no pending field)', async () => {
    const s = makeTpe();
    expect(await sequential(s, 40)).toEqual(TPE_REF.proposals);
    const saved = await state(s);
    expect(saved.rng).toEqual(TPE_REF.rng40);
    expect(Object.keys(saved)).toEqual(['rng', 'trials']);
  });

  it('loads a state saved before the constant liar (no pending) and continues its stream', async () => {
    const old = {
      rng: TPE_REF.rng12,
      trials: TPE_REF.proposals.slice(0, 12).map((p, i) => ({ actions: parse(p), accuracy: fake(parse(p), i) ?? 0 })),
    };
    const s = makeTpe(99);
    await s.setState(JSON.parse(JSON.stringify(old)));
    expect(await sequential(s, 28, 12)).toEqual(TPE_REF.proposals.slice(12));
  });

  it('never proposes actions already in flight: 3 workers, results out of order', async () => {
    let checked = 0;
    const s = makeTpe(11);
    const all = await parallel(s, 3, 120, 5, (p, inFlight) => {
      for (const q of inFlight) expect(p.actions).not.toEqual(q.actions);
      checked += inFlight.length;
    });
    expect(checked).toBeGreaterThan(200);
    // the random phase is `startup` proposals, in flight or not
    expect(all.map((p) => p.explored).slice(0, 6)).toEqual([true, true, true, true, true, false]);
    // after startup, nothing evaluated is proposed again either (no candidate was left to fall back on)
    const keys = all.filter((p) => !p.explored).map((p) => p.actions.join());
    expect(new Set(keys).size).toBe(keys.length);
    expect((await state(s)).pending).toBeUndefined(); // all observed
  });

  it('a proposal in flight counts as an observed trial with the worst accuracy', async () => {
    // 12 and 13 trials have the same gamma (2), so l, g and the set passed over are the same
    const trials = TPE_REF.proposals.slice(0, 12).map((p, i) => ({ actions: parse(p), accuracy: fake(parse(p), i) ?? 0 }));
    const inFlight = parse(TPE_REF.proposals[4]).map((v, d) => (d < 3 ? (v + 1) % 5 : v));
    for (let k = 0; k < 5; k++) {
      const [liar, worst] = [makeTpe(1), makeTpe(1)];
      const r = new Rng(100 + k).state();
      await liar.setState({ rng: r, trials, pending: [inFlight] });
      await worst.setState({ rng: r, trials: [...trials, { actions: inFlight, accuracy: 0 }] });
      const [p, q] = [await liar.propose(), await worst.propose()];
      expect(p).toEqual(q);
      expect(p.explored).toBe(false);
    }
  });

  it('observe removes the first pending entry with the same actions, in any order; one not pending is just observed', async () => {
    const s = makeTpe(3);
    const ps = [await s.propose(), await s.propose(), await s.propose()];
    expect((await state(s)).pending).toEqual(ps.map((p) => p.actions));
    await s.observe(ps[2], { accuracy: 0.5, reward: 0 });
    await s.observe(ps[0], { accuracy: 0.25, reward: 0 });
    expect((await state(s)).pending).toEqual([ps[1].actions]);
    const outside = { actions: D.map(() => 0), explored: false };
    await s.observe(outside, { accuracy: 0.75, reward: 0 });
    expect((await state(s)).pending).toEqual([ps[1].actions]);
    await s.observe(ps[1], { accuracy: null, reward: 0 });
    const saved = await state(s);
    expect(saved.pending).toBeUndefined();
    expect(saved.trials).toEqual([
      { actions: ps[2].actions, accuracy: 0.5 },
      { actions: ps[0].actions, accuracy: 0.25 },
      { actions: outside.actions, accuracy: 0.75 },
      { actions: ps[1].actions, accuracy: 0 },
    ]);
    // the same actions twice in flight (one-choice space): each observation removes one
    const one = new TreeParzenEstimator([{ choices: 1 }, { choices: 1 }], 1, { startup: 3 });
    const [a, b] = [await one.propose(), await one.propose()];
    await one.observe(a, { accuracy: 1, reward: 0 });
    expect((await state(one)).pending).toEqual([[0, 0]]);
    await one.observe(b, { accuracy: 1, reward: 0 });
    expect((await state(one)).pending).toBeUndefined();
  });

  it('saves what is in flight: a restored state continues the same stream', async () => {
    const live = makeTpe(4);
    const ps = await parallel(live, 3, 20, 8);
    const inFlight = [await live.propose(), await live.propose(), await live.propose()];
    expect(ps.length).toBe(20);
    const saved = JSON.parse(JSON.stringify(await live.getState()));
    expect(saved.pending).toEqual(inFlight.map((p) => p.actions));
    const resumed = makeTpe(99);
    await resumed.setState(saved);
    const order = [1, 0, 2];
    for (let i = 0; i < 12; i++) {
      const [p, q] = [await live.propose(), await resumed.propose()];
      expect(q).toEqual(p);
      inFlight.push(p);
      const done = inFlight.splice(order[i % 3], 1)[0];
      const accuracy = fake(done.actions, i);
      await live.observe(done, { accuracy, reward: 0 });
      await resumed.observe(done, { accuracy, reward: 0 });
    }
    expect(await resumed.getState()).toEqual(await live.getState());
    await expect(makeTpe().setState({ ...saved, pending: [1, 2] })).rejects.toThrow(/pending must be a list of action lists/);
  });
});

describe('regularized evolution with proposals in flight (asynchronous, as in the paper)', () => {
  it('one at a time proposes exactly what it did before, and saves the same state (no pending field)', async () => {
    const s = makeEvo();
    expect(await sequential(s, 40)).toEqual(EVO_REF.proposals);
    const saved = await state(s);
    expect(saved.rng).toEqual(EVO_REF.rng40);
    expect(Object.keys(saved)).toEqual(['rng', 'population']);
  });

  it('loads a state saved before the pending proposals were tracked and continues its stream', async () => {
    const old = {
      rng: EVO_REF.rng12,
      population: EVO_REF.proposals.slice(6, 12).map((p, i) => ({ actions: parse(p), accuracy: fake(parse(p), i + 6) ?? 0 })),
    };
    const s = makeEvo(99);
    await s.setState(JSON.parse(JSON.stringify(old)));
    expect(await sequential(s, 28, 12)).toEqual(EVO_REF.proposals.slice(12));
  });

  it('with 4 in flight and P = 5 the random phase is 5 proposals: the 6th is a mutation once 2 results (S) are back', async () => {
    const s = new RegularizedEvolution(D, 2, { population: 5, tournament: 2 });
    const first = [await s.propose(), await s.propose(), await s.propose(), await s.propose()];
    expect(first.every((p) => p.explored)).toBe(true);
    await s.observe(first[2], { accuracy: 0.4, reward: 0 });
    const fifth = await s.propose(); // 1 member + 3 in flight < 5
    expect(fifth.explored).toBe(true);
    await s.observe(first[0], { accuracy: 0.6, reward: 0 });
    const sixth = await s.propose(); // 2 members + 4 in flight >= 5, and 2 members make a tournament of S = 2
    expect(sixth.explored).toBe(false);
    expect(sixth.actions.filter((v, d) => v !== first[0].actions[d])).toHaveLength(1); // the better of the two, mutated
    // a tournament larger than the population so far waits for it: with S = 3 the 6th is still random
    const t = new RegularizedEvolution(D, 2, { population: 5, tournament: 3 });
    const q = [await t.propose(), await t.propose(), await t.propose(), await t.propose()];
    await t.observe(q[2], { accuracy: 0.4, reward: 0 });
    await t.propose();
    await t.observe(q[0], { accuracy: 0.6, reward: 0 });
    expect((await t.propose()).explored).toBe(true);
  });

  it('over a run with 4 workers and results out of order: exactly P random proposals, the population stays at P', async () => {
    const s = new RegularizedEvolution(D, 6, { population: 8, tournament: 3 });
    const proposed = await parallel(s, 4, 60, 9);
    expect(proposed.filter((p) => p.explored)).toHaveLength(8);
    expect(proposed.slice(0, 8).every((p) => p.explored)).toBe(true);
    const saved = await state(s);
    expect(saved.population).toHaveLength(8);
    expect(saved.pending).toBeUndefined();
  });

  it('saves what is in flight: a restored state continues the same stream; observe out of order works', async () => {
    const live = new RegularizedEvolution(D, 5, { population: 6, tournament: 3 });
    const inFlight = [await live.propose(), await live.propose(), await live.propose()];
    await live.observe(inFlight.splice(1, 1)[0], { accuracy: 0.3, reward: 0 });
    const saved = JSON.parse(JSON.stringify(await live.getState()));
    expect(saved.pending).toEqual(inFlight.map((p) => p.actions));
    expect(saved.population).toHaveLength(1);
    const resumed = new RegularizedEvolution(D, 99, { population: 6, tournament: 3 });
    await resumed.setState(saved);
    const order = [2, 0, 1];
    for (let i = 0; i < 30; i++) {
      const [p, q] = [await live.propose(), await resumed.propose()];
      expect(q).toEqual(p);
      inFlight.push(p);
      const done = inFlight.splice(order[i % 3], 1)[0];
      const accuracy = fake(done.actions, i);
      await live.observe(done, { accuracy, reward: 0 });
      await resumed.observe(done, { accuracy, reward: 0 });
    }
    expect(await resumed.getState()).toEqual(await live.getState());
    expect((await state(live)).pending).toEqual(inFlight.map((p) => p.actions));
    await expect(resumed.setState({ ...saved, pending: 'x' })).rejects.toThrow(/pending must be a list of action lists/);
  });
});
