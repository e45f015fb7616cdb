// Hyperband (Li et al., JMLR 2018) and successive halving over epochs, with weight inheritance as
// Keras Tuner's Hyperband does it: a promoted child continues from its saved weights and optimizer
// state for the epochs its new rung adds, instead of starting again.
//
// With R = maxEpochs and eta = factor, s_max = floor(log_eta R). Bracket s (s_max down to 0) starts
// n = ceil((s_max + 1) / (s + 1) * eta^s) new proposals at r = R * eta^-s epochs; rung i keeps the
// best floor(n * eta^-i) of the rung before, trained to R * eta^(i - s) epochs (rounded, at least 1).
// R = 9, eta = 3: bracket 2 trains 9 children for 1 epoch, continues the best 3 to 3 epochs and the
// best 1 to 9; bracket 1: 5 at 3, 1 at 9; bracket 0: 3 at 9; then bracket 2 again. Successive
// halving is the most exploratory bracket (s = s_max) alone, repeated.
// Trials record the bracket as s and the rung as i (Keras Tuner's `tuner/bracket`, `tuner/round`).
import type { Job, Member, Scheduler } from './types.js';

export interface HyperbandOptions {
  maxEpochs: number;
  factor: number;
  /** true: successive halving (bracket s_max only). */
  successiveHalving?: boolean;
}

interface HyperbandState {
  kind: 'hyperband';
  bracket: number;
  rung: number;
  /** Children finished in the current rung. */
  done: Member[];
  /** Children chosen for the current rung (rung > 0), in the order they are continued. */
  queue: Member[];
}

/** floor(log_eta R) by integer arithmetic (Math.log rounds 243 / 3^5 the wrong way). */
export function maxBracket(maxEpochs: number, factor: number): number {
  let s = 0;
  while (factor ** (s + 1) <= maxEpochs) s++;
  return s;
}

export class HyperbandScheduler implements Scheduler {
  readonly name: string;
  readonly keepsStates = true;
  readonly sMax: number;
  private state: HyperbandState;

  constructor(private readonly o: HyperbandOptions) {
    if (!Number.isInteger(o.maxEpochs) || o.maxEpochs < 1) throw new Error(`maxEpochs must be a positive integer, got ${o.maxEpochs}`);
    if (!Number.isInteger(o.factor) || o.factor < 2) throw new Error(`factor must be an integer of at least 2, got ${o.factor}`);
    this.name = o.successiveHalving ? 'successive-halving' : 'hyperband';
    this.sMax = maxBracket(o.maxEpochs, o.factor);
    this.state = { kind: 'hyperband', bracket: this.sMax, rung: 0, done: [], queue: [] };
  }

  /** Children in rung i of bracket s. */
  size(s: number, i: number): number {
    const n = Math.ceil(((this.sMax + 1) / (s + 1)) * this.o.factor ** s);
    return Math.floor(n / this.o.factor ** i);
  }

  /** Epochs a child has after rung i of bracket s. */
  budget(s: number, i: number): number {
    return Math.max(1, Math.round(this.o.maxEpochs * this.o.factor ** (i - s)));
  }

  next(): Job {
    const { bracket, rung, done, queue } = this.state;
    const budget = this.budget(bracket, rung);
    if (rung === 0) return { kind: 'new', budget, rung, bracket };
    return { kind: 'promote', budget, rung, bracket, from: queue[done.length] };
  }

  record(_job: Job, result: Member): void {
    const st = this.state;
    st.done.push(result);
    if (st.done.length < this.size(st.bracket, st.rung)) return;
    if (st.rung < st.bracket) {
      // Best first; a failed child last; ties go to the earlier trial.
      const ranked = [...st.done].sort((a, b) => (b.accuracy ?? -1) - (a.accuracy ?? -1) || a.episode - b.episode);
      this.state = { ...st, rung: st.rung + 1, done: [], queue: ranked.slice(0, this.size(st.bracket, st.rung + 1)) };
      return;
    }
    const bracket = this.o.successiveHalving || st.bracket === 0 ? this.sMax : st.bracket - 1;
    this.state = { kind: 'hyperband', bracket, rung: 0, done: [], queue: [] };
  }

  liveStates(): string[] {
    const { bracket, rung, done, queue } = this.state;
    // Finished children of a rung that is not the bracket's last may still be promoted.
    const waiting = rung < bracket ? done : [];
    return [...queue.slice(done.length), ...waiting].flatMap((m) => (m.state ? [m.state] : []));
  }

  getState(): unknown {
    return structuredClone(this.state);
  }

  setState(state: unknown): void {
    const s = state as HyperbandState;
    const ok =
      s?.kind === 'hyperband' &&
      Number.isInteger(s.bracket) &&
      s.bracket >= 0 &&
      s.bracket <= this.sMax &&
      Number.isInteger(s.rung) &&
      s.rung >= 0 &&
      s.rung <= s.bracket &&
      Array.isArray(s.done) &&
      Array.isArray(s.queue);
    if (!ok) throw new Error(`the checkpoint's scheduler state is not a ${this.name} state of max epochs ${this.o.maxEpochs} and factor ${this.o.factor}`);
    this.state = structuredClone(s);
  }
}
