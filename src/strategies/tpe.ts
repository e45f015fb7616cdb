// The tree-structured Parzen estimator over categorical decisions (Bergstra et al. 2011), as
// Optuna's default TPESampler treats categorical parameters, one decision at a time.
//
//   const s = new TreeParzenEstimator(space.decisions, 3, { startup: 10, candidates: 24 });
//   const p = await s.propose();           // uniform for the first 10 proposals
//   await s.observe(p, { accuracy: 0.93, reward: 0 });
//
// After `startup` random proposals, the trials seen so far are split into the good ones (the best
// gamma(n) = min(ceil(0.1 n), 25), Optuna's default) and the rest. For each decision, l(x) and g(x)
// are categorical distributions from the good and the other trials' choices, each smoothed with a
// uniform prior of weight 1 (Optuna's prior_weight). `candidates` architectures are drawn from l
// and the one with the largest sum over decisions of log l(x) - log g(x) is proposed: the expected
// improvement is monotone in l/g. Left out from Optuna: its down-weighting of old trials (they all
// weigh 1 here) and the multivariate variant (decisions are independent here, as in its default).
// Two departures from its default, kept because they search better on hiddenTargetObjective (best
// after 100 over 20 seeds: 0.82 here, 0.71 with Optuna's exact rules, 0.65 for random search):
// Optuna draws its 24 candidates per decision and keeps the best value of each decision (here the
// candidates are whole action sequences ranked by the summed ratio), and its l and g mix one kernel
// per trial, each spreading prior_weight / (n + 1) over every choice, with the uniform prior (here
// counts plus prior_weight / choices, which is sharper when few trials are good).
//
// Parallel search: propose() may be called several times before the observe() calls come back, in
// any order. As Optuna's TPESampler(constant_liar=True) does, each proposal in flight (`pending`)
// is a trial with the worst accuracy: it goes into g and never into l (gamma counts only observed
// trials, as in Optuna), so l is not pulled toward what is already being evaluated and g pushes
// the next proposal away from it, and its action sequence is passed over like an evaluated one, so
// nothing is proposed twice while in flight. One choice of our own: proposals in flight count
// toward `startup`, so the random phase is `startup` proposals however many run at once. Optuna
// 4 counts only finished trials there (its random phase grows to n_startup_trials + K - 1 with K
// workers); Optuna 3.0's constant liar counted running trials too. Simulated with K workers and
// random finishing order on hiddenTargetObjective (best after 100, 40 seeds, ± 0.006), the two
// were within noise at K = 4 and 8 (0.813 and 0.812 here, 0.823 and 0.804 with Optuna 4's rule)
// and this one was better at K = 16 (0.796 against 0.780; 0.777 without the liar). One at a time
// nothing is pending at a proposal, so the proposals are those of the sequential estimator.
import { Rng, type RngState } from '../util/random.js';
import type { Feedback, Proposal, Strategy } from '../search/types.js';

export interface TpeOptions {
  /** Random proposals before the model is used. */
  startup?: number;
  /** Candidates drawn from l(x) per proposal. */
  candidates?: number;
  /** Weight of the uniform prior in l and g. */
  priorWeight?: number;
}

interface Observation {
  actions: number[];
  accuracy: number;
}

interface TpeState {
  rng: RngState;
  trials: Observation[];
  /** The action sequences proposed and not yet observed, oldest first (absent when none, and in
   *  states saved before the constant liar). */
  pending?: number[][];
}

export const tpeGamma = (n: number): number => Math.min(Math.ceil(0.1 * n), 25);

export class TreeParzenEstimator implements Strategy {
  readonly name = 'tpe';
  private rng: Rng;
  private trials: Observation[] = [];
  /** Proposed, not yet observed: the constant liar's trials. */
  private pending: number[][] = [];
  private readonly startup: number;
  private readonly candidates: number;
  private readonly priorWeight: number;

  constructor(
    private readonly decisions: readonly { choices: number }[],
    seed = 1,
    options: TpeOptions = {},
  ) {
    this.startup = options.startup ?? 10;
    this.candidates = options.candidates ?? 24;
    this.priorWeight = options.priorWeight ?? 1;
    for (const [name, v] of [
      ['startup', this.startup],
      ['candidates', this.candidates],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`tpe: ${name} must be a positive integer, got ${v}`);
    }
    if (!(this.priorWeight > 0)) throw new RangeError(`tpe: priorWeight must be positive, got ${this.priorWeight}`);
    this.rng = new Rng(seed);
  }

  async propose(): Promise<Proposal> {
    const p = this.draw();
    this.pending.push([...p.actions]);
    return p;
  }

  private draw(): Proposal {
    // Proposals in flight count toward `startup` (Optuna counts only finished trials; see the header).
    if (this.trials.length + this.pending.length < this.startup) return { actions: this.decisions.map((d) => this.rng.int(d.choices)), explored: true };
    // Stable sort: among equal accuracies the earlier trial counts as better.
    const ranked = this.trials.map((t, i) => ({ t, i })).sort((a, b) => b.t.accuracy - a.t.accuracy || a.i - b.i);
    // The constant liar: each proposal in flight is a trial with the worst accuracy, below every
    // observed one, so it lands in g. As in Optuna, gamma counts only the observed trials.
    const nGood = tpeGamma(this.trials.length);
    const l = this.densities(ranked.slice(0, nGood).map((r) => r.t.actions));
    const g = this.densities([...ranked.slice(nGood).map((r) => r.t.actions), ...this.pending]);
    // A candidate already evaluated, or in flight, is passed over: once l is peaked, the
    // best-scoring candidate is the same sequence again and again, and the search stalls on one
    // architecture (measured on NAS-Bench-201: the best found stopped improving after ~150 queries).
    const seen = new Set([...this.trials.map((t) => t.actions), ...this.pending].map((a) => a.join()));
    let best: number[] | undefined;
    let bestScore = -Infinity;
    for (let c = 0; c < this.candidates; c++) {
      const x = l.map((p) => this.rng.categorical(p));
      if (seen.has(x.join())) continue;
      const score = x.reduce((s, v, d) => s + Math.log(l[d][v]) - Math.log(g[d][v]), 0);
      if (score > bestScore) [best, bestScore] = [x, score];
    }
    // every candidate was a repeat: a uniform draw keeps the search moving
    return best ? { actions: best, explored: false } : { actions: this.decisions.map((d) => this.rng.int(d.choices)), explored: true };
  }

  async observe(proposal: Proposal, feedback: Feedback): Promise<void> {
    // Its pending entry goes (the first with the same actions); a proposal that is not pending (a
    // scheduler's promotion, one from outside) is simply observed.
    const key = proposal.actions.join();
    const i = this.pending.findIndex((a) => a.join() === key);
    if (i >= 0) this.pending.splice(i, 1);
    this.trials.push({ actions: [...proposal.actions], accuracy: feedback.accuracy ?? 0 });
  }

  /** Per decision, the smoothed frequency of each choice among `obs`. */
  private densities(obs: readonly (readonly number[])[]): Float64Array[] {
    return this.decisions.map((d, i) => {
      const p = new Float64Array(d.choices).fill(this.priorWeight / d.choices);
      for (const a of obs) p[a[i]] += 1;
      const total = obs.length + this.priorWeight;
      for (let c = 0; c < p.length; c++) p[c] /= total;
      return p;
    });
  }

  async getState(): Promise<TpeState> {
    return {
      rng: this.rng.state().map((w) => w >>> 0) as RngState,
      trials: this.trials.map((t) => ({ actions: [...t.actions], accuracy: t.accuracy })),
      // left out when empty, so one-at-a-time use saves the same state as before the constant liar
      ...(this.pending.length > 0 ? { pending: this.pending.map((a) => [...a]) } : {}),
    };
  }

  async setState(state: unknown): Promise<void> {
    const s = state as TpeState;
    if (!s || !Array.isArray(s.rng) || !Array.isArray(s.trials)) throw new Error('tpe state must be {rng, trials}');
    if (s.pending !== undefined && !(Array.isArray(s.pending) && s.pending.every(Array.isArray)))
      throw new Error('tpe state: pending must be a list of action lists');
    this.rng = new Rng(s.rng);
    this.trials = s.trials.map((t) => ({ actions: [...t.actions], accuracy: t.accuracy }));
    this.pending = (s.pending ?? []).map((a) => [...a]);
  }

  dispose(): void {}
}
