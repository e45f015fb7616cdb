// Regularized ("aging") evolution, Real et al. 2019: the strategy that beat RL on NASNet's space.
//
//   const s = new RegularizedEvolution(space.decisions, 7, { population: 20, tournament: 5 });
//   const p = await s.propose();          // random until the population is full
//   await s.observe(p, { accuracy: 0.91, reward: 0 });
//
// The first P proposals are uniform. After that each proposal samples S distinct members of the
// population (without replacement, our choice: the paper's Algorithm 1 and its reference notebook
// draw each of the S with replacement, so one member can fill several places; without it, S = P
// always picks the best member), takes the most accurate as parent, and changes
// one of its decisions to a different value. When its result arrives it joins the population and
// the OLDEST member leaves, whatever its accuracy: age, not fitness, decides who dies, which keeps
// the search from resting on one lucky early score.
//
// Asynchronous, as in the paper (its workers each mutate, train and return a child on their own):
// with several children in flight each result joins the population when it arrives, in whatever
// order, and the oldest member leaves then. The proposals in flight (`pending`) are tracked so that
// the random phase ends once the population and the proposals in flight together reach P (and the
// population holds S members to draw a tournament from), rather than once P results are back, which
// would make up to P + K - 1 random proposals with K workers. One at a time nothing is pending at a
// proposal, so the proposals are those of the sequential algorithm.
import { Rng, type RngState } from '../util/random.js';
import type { Feedback, Proposal, Strategy } from '../search/types.js';

/** Draws of a child before one that the population or the proposals in flight already hold is accepted. */
const NOVELTY_TRIES = 100;

export interface EvolutionOptions {
  /** Population size P. */
  population?: number;
  /** Members sampled per parent choice S (S <= P). */
  tournament?: number;
}

interface Member {
  actions: number[];
  /** A failed child counts as accuracy 0. */
  accuracy: number;
}

interface EvolutionState {
  rng: RngState;
  /** Oldest first. */
  population: Member[];
  /** The action sequences proposed and not yet observed, oldest first (absent when none, and in
   *  states saved before they were tracked). */
  pending?: number[][];
}

export class RegularizedEvolution implements Strategy {
  readonly name = 'evolution';
  private rng: Rng;
  private population: Member[] = [];
  /** Proposed, not yet observed. */
  private pending: number[][] = [];
  private readonly size: number;
  private readonly tournament: number;

  constructor(
    private readonly decisions: readonly { choices: number }[],
    seed = 1,
    options: EvolutionOptions = {},
  ) {
    this.size = options.population ?? 20;
    this.tournament = options.tournament ?? 5;
    if (!Number.isInteger(this.size) || this.size < 1) throw new RangeError(`evolution: population must be a positive integer, got ${this.size}`);
    if (!Number.isInteger(this.tournament) || this.tournament < 1 || this.tournament > this.size) {
      throw new RangeError(`evolution: tournament must be an integer from 1 to the population (${this.size}), got ${this.tournament}`);
    }
    this.rng = new Rng(seed);
  }

  async propose(): Promise<Proposal> {
    const p = this.draw();
    this.pending.push([...p.actions]);
    return p;
  }

  private draw(): Proposal {
    // Random while the population and the proposals in flight are fewer than P, and until the
    // population holds S members to draw a tournament from.
    const random = this.population.length + this.pending.length < this.size || this.population.length < this.tournament;
    if (random) return { actions: this.decisions.map((d) => this.rng.int(d.choices)), explored: true };
    // A child equal to a member or to a proposal in flight is drawn again (a new tournament, a new
    // mutation), up to NOVELTY_TRIES times. Its result is known or coming: the search's cache would
    // answer it at no cost, but it would join the population as a copy, and copies of the best
    // member crowd the others out until every mutation is a repeat or turned down by a proxy rung.
    // (On NAS-Bench-201, without this, a search that queried 150 architectures proposed 128 more
    // that it had queried already; with it, 64, those that have left the population.) A draw that
    // is novel at once is the paper's, so a search that meets no copies proposes what it did.
    let actions: number[] = [];
    for (let attempt = 0; attempt < NOVELTY_TRIES; attempt++) {
      actions = this.mutate(this.sampleParent().actions);
      if (!this.holds(actions)) break;
    }
    return { actions, explored: false };
  }

  /** Whether `actions` is a member or a proposal in flight. */
  private holds(actions: readonly number[]): boolean {
    const key = actions.join();
    return this.population.some((m) => m.actions.join() === key) || this.pending.some((a) => a.join() === key);
  }

  async observe(proposal: Proposal, feedback: Feedback): Promise<void> {
    // Its pending entry goes (the first with the same actions); one that is not pending is simply observed.
    const key = proposal.actions.join();
    const i = this.pending.findIndex((a) => a.join() === key);
    if (i >= 0) this.pending.splice(i, 1);
    // A proposal a proxy turned down untrained never joins: it would push out the oldest member
    // with a score that says nothing of its accuracy. The next mutation takes its place.
    if (feedback.rejected) return;
    this.population.push({ actions: [...proposal.actions], accuracy: feedback.accuracy ?? 0 });
    if (this.population.length > this.size) this.population.shift();
  }

  /** The best of `tournament` distinct members drawn uniformly (the earliest drawn on ties). */
  private sampleParent(): Member {
    const pool = this.population.map((_, i) => i);
    let best: Member | undefined;
    for (let k = 0; k < this.tournament; k++) {
      const j = k + this.rng.int(pool.length - k);
      [pool[k], pool[j]] = [pool[j], pool[k]];
      const m = this.population[pool[k]];
      if (best === undefined || m.accuracy > best.accuracy) best = m;
    }
    return best!;
  }

  /** One decision (among those with a choice to make) set to a different value. */
  private mutate(actions: readonly number[]): number[] {
    const out = [...actions];
    const free = this.decisions.map((d, i) => (d.choices > 1 ? i : -1)).filter((i) => i >= 0);
    if (free.length === 0) return out;
    const i = free[this.rng.int(free.length)];
    const v = this.rng.int(this.decisions[i].choices - 1);
    out[i] = v >= out[i] ? v + 1 : v;
    return out;
  }

  async getState(): Promise<EvolutionState> {
    return {
      rng: this.rng.state().map((w) => w >>> 0) as RngState,
      population: this.population.map((m) => ({ actions: [...m.actions], accuracy: m.accuracy })),
      // left out when empty, so one-at-a-time use saves the same state as before
      ...(this.pending.length > 0 ? { pending: this.pending.map((a) => [...a]) } : {}),
    };
  }

  async setState(state: unknown): Promise<void> {
    const s = state as EvolutionState;
    if (!s || !Array.isArray(s.rng) || !Array.isArray(s.population)) throw new Error('evolution state must be {rng, population}');
    if (s.population.length > this.size) throw new Error(`evolution state holds ${s.population.length} members, the population is ${this.size}`);
    if (s.pending !== undefined && !(Array.isArray(s.pending) && s.pending.every(Array.isArray)))
      throw new Error('evolution state: pending must be a list of action lists');
    this.rng = new Rng(s.rng);
    this.population = s.population.map((m) => ({ actions: [...m.actions], accuracy: m.accuracy }));
    this.pending = (s.pending ?? []).map((a) => [...a]);
  }

  dispose(): void {}
}
