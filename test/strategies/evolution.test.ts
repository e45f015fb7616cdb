// Regularized evolution's rules over a long run, seen from outside: random until the population is
// full, then each child differs from a member in exactly one decision that has a choice, that
// member is the best of a sample of S distinct members, and the oldest member leaves.
import { describe, expect, it } from 'vitest';
import type { Proposal } from '../../src/search/types.js';
import { RegularizedEvolution } from '../../src/strategies/evolution.js';

const D = [...Array.from({ length: 8 }, () => ({ choices: 5 })), { choices: 1 }, { choices: 2 }];
/** A fake objective with many distinct values; a failed child every 7th call. */
const score = (a: number[], call: number) => (call % 7 === 6 ? null : (a.reduce((s, v, i) => s * 3 + v * (i + 1), 0) % 1009) / 1009);
type Member = { actions: number[]; accuracy: number };
const hamming = (a: number[], b: number[]) => a.filter((v, i) => v !== b[i]).length;

async function population(s: RegularizedEvolution): Promise<Member[]> {
  return ((await s.getState()) as { population: Member[] }).population;
}

describe('RegularizedEvolution', () => {
  it('keeps at most P members, removes the oldest, and mutates one decision of the best of S distinct members', async () => {
    const [P, S] = [6, 4];
    const s = new RegularizedEvolution(D, 3, { population: P, tournament: S });
    for (let call = 0; call < 300; call++) {
      const before = await population(s);
      const p = await s.propose();
      p.actions.forEach((v, d) => expect(Number.isInteger(v) && v >= 0 && v < D[d].choices).toBe(true));
      expect(p.explored).toBe(call < P);
      if (call >= P) {
        expect(p.actions[8]).toBe(0); // one choice: never mutated
        const parents = before.filter((m) => hamming(m.actions, p.actions) === 1);
        expect(parents.length).toBeGreaterThan(0);
        // the best of S distinct members has at least S - 1 others at or below it
        const beaten = (m: Member) => before.filter((o) => o !== m && o.accuracy <= m.accuracy).length;
        expect(parents.some((m) => beaten(m) >= S - 1)).toBe(true);
      }
      const accuracy = score(p.actions, call);
      await s.observe(p, { accuracy, reward: 0 });
      const after = await population(s);
      const expected = [...before, { actions: p.actions, accuracy: accuracy ?? 0 }].slice(-P);
      expect(after).toEqual(expected); // appended, a failed child at 0, the oldest gone once full
    }
  });

  it('samples rather than always taking the best: with S = 1 the parent is often not the best member', async () => {
    const s = new RegularizedEvolution(D, 5, { population: 10, tournament: 1 });
    let notBest = 0;
    for (let call = 0; call < 200; call++) {
      const before = await population(s);
      const p = await s.propose();
      if (call >= 10) {
        const top = Math.max(...before.map((m) => m.accuracy));
        if (!before.some((m) => m.accuracy === top && hamming(m.actions, p.actions) === 1)) notBest++;
      }
      await s.observe(p, { accuracy: score(p.actions, 0), reward: 0 });
    }
    expect(notBest).toBeGreaterThan(50);
  });

  it('never proposes a copy of a member or of a proposal in flight while a new child can be found', async () => {
    // 3 decisions of 3 choices: 27 architectures, so a greedy tournament (S = P) keeps meeting its
    // own members; a copy would join the population and crowd the others out.
    const small = [{ choices: 3 }, { choices: 3 }, { choices: 3 }];
    const f = (a: number[]) => (a[0] * 9 + a[1] * 3 + a[2]) / 27;
    const s = new RegularizedEvolution(small, 2, { population: 5, tournament: 5 });
    const inFlight: Proposal[] = [];
    for (let call = 0; call < 300; call++) {
      const members = (await population(s)).map((m) => m.actions.join());
      const p = await s.propose();
      if (!p.explored) {
        expect(members).not.toContain(p.actions.join());
        expect(inFlight.map((q) => q.actions.join())).not.toContain(p.actions.join());
      }
      inFlight.push(p);
      // two in flight at a time, answered oldest first
      if (inFlight.length === 2) {
        const q = inFlight.shift()!;
        await s.observe(q, { accuracy: f(q.actions), reward: 0 });
      }
    }
  });

  it('a space whose decisions all have one choice proposes its only architecture', async () => {
    const s = new RegularizedEvolution([{ choices: 1 }, { choices: 1 }], 1, { population: 2, tournament: 2 });
    for (let i = 0; i < 5; i++) {
      const p = await s.propose();
      expect(p.actions).toEqual([0, 0]);
      await s.observe(p, { accuracy: 0.5, reward: 0 });
    }
  });

  it('rejects bad options with the option named', () => {
    expect(() => new RegularizedEvolution(D, 1, { population: 0 })).toThrow(/population must be a positive integer, got 0/);
    expect(() => new RegularizedEvolution(D, 1, { population: 2.5 })).toThrow(/population must be a positive integer, got 2.5/);
    expect(() => new RegularizedEvolution(D, 1, { tournament: 0 })).toThrow(/tournament must be an integer from 1 to the population \(20\), got 0/);
    expect(() => new RegularizedEvolution(D, 1, { population: 3, tournament: 4 })).toThrow(
      /tournament must be an integer from 1 to the population \(3\), got 4/,
    );
  });
});
