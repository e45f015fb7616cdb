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
//
// With several children in flight it stays synchronous: a rung's jobs are handed out until all of
// them are dispatched, and then nothing (a barrier) until the last result of the rung is in, since
// only then is it known which children go on. Results may come in any order; the queue's children
// whose promotion was recorded are tracked by episode. ASHA (asha.ts) never waits and replaces it
// when children run in parallel.
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
  /** Episodes of the queue's children whose continuation was recorded, in the order recorded.
   *  Absent in checkpoints from before parallel search, which recorded them in queue order: the
   *  first done.length of the queue. */
  recorded?: number[];
}

/** The checks Hyperband and ASHA share on R and eta. */
export function checkHyperbandOptions(o: { maxEpochs: number; factor: number }): void {
  if (!Number.isInteger(o.maxEpochs) || o.maxEpochs < 1) throw new Error(`maxEpochs must be a positive integer, got ${o.maxEpochs}`);
  if (!Number.isInteger(o.factor) || o.factor < 2) throw new Error(`factor must be an integer of at least 2, got ${o.factor}`);
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
  readonly asynchronous = false;
  readonly sMax: number;
  private state: HyperbandState;

  constructor(private readonly o: HyperbandOptions) {
    checkHyperbandOptions(o);
    this.name = o.successiveHalving ? 'successive-halving' : 'hyperband';
    this.sMax = maxBracket(o.maxEpochs, o.factor);
    this.state = { kind: 'hyperband', bracket: this.sMax, rung: 0, done: [], queue: [], recorded: [] };
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

  /** The current rung's next job; undefined once all of its jobs are dispatched (`pending`: those in flight). */
  next(pending: readonly Job[] = []): Job | undefined {
    const { bracket, rung, done, queue } = this.state;
    if (done.length + pending.length >= this.size(bracket, rung)) return undefined;
    const budget = this.budget(bracket, rung);
    if (rung === 0) return { kind: 'new', budget, rung, bracket };
    // The first of the queue neither recorded nor in flight: queue[done.length + pending.length]
    // when every job handed out is recorded or pending, and still the right one after a resume,
    // when the jobs that were in flight are lost.
    const taken = new Set([...this.recordedEpisodes(), ...pending.flatMap((j) => (j.kind === 'promote' ? [j.from.episode] : []))]);
    const from = queue.find((m) => !taken.has(m.episode));
    return from && { kind: 'promote', budget, rung, bracket, from };
  }

  /** Episodes of the queue's children whose continuation is recorded. */
  private recordedEpisodes(): number[] {
    const { done, queue, recorded } = this.state;
    return recorded ?? queue.slice(0, done.length).map((m) => m.episode);
  }

  record(job: Job, result: Member): void {
    const st = this.state;
    if (job.kind === 'promote') st.recorded = [...this.recordedEpisodes(), job.from.episode];
    st.done.push(result);
    if (st.done.length < this.size(st.bracket, st.rung)) return;
    if (st.rung < st.bracket) {
      // Best first; a failed child last; ties go to the earlier trial (so the order results came in
      // does not matter).
      const ranked = [...st.done].sort((a, b) => (b.accuracy ?? -1) - (a.accuracy ?? -1) || a.episode - b.episode);
      this.state = { ...st, rung: st.rung + 1, done: [], queue: ranked.slice(0, this.size(st.bracket, st.rung + 1)), recorded: [] };
      return;
    }
    const bracket = this.o.successiveHalving || st.bracket === 0 ? this.sMax : st.bracket - 1;
    this.state = { kind: 'hyperband', bracket, rung: 0, done: [], queue: [], recorded: [] };
  }

  liveStates(): string[] {
    const { bracket, rung, done, queue } = this.state;
    // The queue's children not yet recorded are still to be continued (or are being continued), and
    // finished children of a rung that is not the bracket's last may still be promoted.
    const recorded = new Set(this.recordedEpisodes());
    const waiting = rung < bracket ? done : [];
    return [...queue.filter((m) => !recorded.has(m.episode)), ...waiting].flatMap((m) => (m.state ? [m.state] : []));
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
      Array.isArray(s.queue) &&
      (s.recorded === undefined || (Array.isArray(s.recorded) && s.recorded.every((e) => Number.isInteger(e))));
    if (!ok) throw new Error(`the checkpoint's scheduler state is not a ${this.name} state of max epochs ${this.o.maxEpochs} and factor ${this.o.factor}`);
    this.state = structuredClone(s);
  }
}
