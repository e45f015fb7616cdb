// ASHA, asynchronous successive halving (Li et al., "A System for Massively Parallel
// Hyperparameter Tuning", MLSys 2020): successive halving without its barriers, for several
// children in flight at once. Synchronous successive halving (hyperband.ts) promotes a rung's best
// only once every child of the rung is trained, so with parallel workers the free ones wait at
// each rung for the slowest; ASHA promotes a child as soon as it is among the best 1/eta of the
// results its rung has so far, and otherwise starts a new child at the bottom rung: a worker never
// waits. The price is a few promotions that a full rung would not have made, which the paper finds
// small next to the time the barriers lose.
//
// With R = maxEpochs and eta = factor, s_max = floor(log_eta R) (maxBracket), and the rungs are
// Hyperband's most exploratory bracket: rung k (0 to s_max) trains a child to
// max(1, round(R * eta^(k - s_max))) epochs, continuing a promoted one from its saved weights for
// the epochs its rung adds. R = 9, eta = 3: rungs at 1, 3 and 9 epochs. Every job has bracket
// s_max and rung k.
//
// next: from the rung below the top down to rung 0, a child recorded at rung k, not yet promoted
// and not being promoted (the `from` of a pending job), goes on to rung k + 1 when its rank among
// all n_k results of rung k (best first, a failed child last, ties to the earlier trial) is below
// floor(n_k / eta); the best such child of the highest rung is chosen. When there is none, a new
// child starts at rung 0. One child at a time, R = 9, eta = 3: three new children at 1 epoch and
// the best of them continued to 3; then a new child whenever no child has earned a promotion
// (rung 0 needs 6 results for a second one, unless a new child beats the one promoted); once
// rung 1 has three results, the best of them is continued to 9.
//
// States: a child's saved state is kept while it is likely to be promoted: at a rung below the
// top, not promoted, and ranked in the top half of its rung (rank < ceil(n_k / 2), which takes in
// every child of the best floor(n_k / eta) for eta >= 2). Once out of that window its state is
// forgotten for good and the file can be deleted, which keeps the disk bounded: it would take many
// worse results after it to bring it back into the best 1/eta, and should that happen it is
// trained from scratch, as any promoted child without a state is.
import { checkHyperbandOptions, maxBracket } from './hyperband.js';
import type { Job, Member, Scheduler } from './types.js';

export interface AshaOptions {
  maxEpochs: number;
  factor: number;
}

interface AshaState {
  kind: 'asha';
  /** The children recorded at each rung (0 to s_max), in the order recorded. */
  rungs: Member[][];
  /** Episodes of the children of each rung whose promotion to the next rung is recorded (the top rung's stays empty). */
  promoted: number[][];
}

/** Best first; a failed child last; ties go to the earlier trial (so the order results came in does not matter). */
const byRank = (a: Member, b: Member) => (b.accuracy ?? -1) - (a.accuracy ?? -1) || a.episode - b.episode;

export class AshaScheduler implements Scheduler {
  readonly name = 'asha';
  readonly keepsStates = true;
  readonly asynchronous = true;
  readonly sMax: number;
  private state: AshaState;

  constructor(private readonly o: AshaOptions) {
    checkHyperbandOptions(o);
    this.sMax = maxBracket(o.maxEpochs, o.factor);
    this.state = this.empty();
  }

  private empty(): AshaState {
    const rungs = Array.from({ length: this.sMax + 1 }, () => []);
    return { kind: 'asha', rungs, promoted: rungs.map(() => []) };
  }

  /** Epochs a child has after rung k (Hyperband's bracket s_max). */
  budget(k: number): number {
    return Math.max(1, Math.round(this.o.maxEpochs * this.o.factor ** (k - this.sMax)));
  }

  /** A promotion when a child has earned one, else a new child; never undefined. */
  next(pending: readonly Job[] = []): Job {
    const { rungs, promoted } = this.state;
    const inFlight = new Set(pending.flatMap((j) => (j.kind === 'promote' ? [j.from.episode] : [])));
    for (let k = this.sMax - 1; k >= 0; k--) {
      const done = new Set(promoted[k]);
      const best = [...rungs[k]]
        .sort(byRank)
        .slice(0, Math.floor(rungs[k].length / this.o.factor))
        .find((m) => !done.has(m.episode) && !inFlight.has(m.episode));
      if (best) return { kind: 'promote', budget: this.budget(k + 1), rung: k + 1, bracket: this.sMax, from: structuredClone(best) };
    }
    return { kind: 'new', budget: this.budget(0), rung: 0, bracket: this.sMax };
  }

  record(job: Job, result: Member): void {
    const { rungs, promoted } = this.state;
    rungs[job.rung].push(structuredClone(result));
    this.forget(job.rung);
    if (job.kind === 'promote') {
      promoted[job.rung - 1].push(job.from.episode);
      this.forget(job.rung - 1);
    }
  }

  /** Drops the states of rung k's children that can no longer be promoted. */
  private forget(k: number): void {
    const rung = this.state.rungs[k];
    const promoted = new Set(this.state.promoted[k]);
    const window = k < this.sMax ? Math.ceil(rung.length / 2) : 0;
    [...rung].sort(byRank).forEach((m, rank) => {
      if (m.state !== undefined && (rank >= window || promoted.has(m.episode))) delete m.state;
    });
  }

  liveStates(): string[] {
    return this.state.rungs.flatMap((rung) => rung.flatMap((m) => (m.state ? [m.state] : [])));
  }

  getState(): unknown {
    return structuredClone(this.state);
  }

  setState(state: unknown): void {
    const s = state as AshaState;
    const rungs = (a: unknown): a is unknown[][] => Array.isArray(a) && a.length === this.sMax + 1 && a.every((r) => Array.isArray(r));
    const ok =
      s?.kind === 'asha' &&
      rungs(s.rungs) &&
      s.rungs.every((r) => r.every((m) => Number.isInteger(m?.episode))) &&
      rungs(s.promoted) &&
      s.promoted.every((r) => r.every((e) => Number.isInteger(e)));
    if (!ok) throw new Error(`the checkpoint's scheduler state is not an asha state of max epochs ${this.o.maxEpochs} and factor ${this.o.factor}`);
    this.state = structuredClone(s);
  }
}
