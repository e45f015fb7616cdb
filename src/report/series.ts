// The pure half of reading a run: the per-episode series, the best trial and the top architectures,
// computed from trial records alone. No node: module is imported here, so the dashboard's browser
// bundle computes the same series as the static report from the same code (run-data.ts re-exports
// all of it for the node side).
import type { SearchConfig } from '../config/schema.js';
import type { TrialRecord } from '../store/records.js';

/**
 * A trial as the views need it: the record without its architecture (the dashboard sends cells only
 * when a trial is opened; 20,000 NASNet cell pairs would be most of the page's data).
 */
export type TrialSummary = Omit<TrialRecord, 'cells' | 'state' | 'strategy' | 'backend' | 'time'> & {
  cells?: unknown;
  strategy?: string;
  backend?: string;
  time?: string;
};

/** What the views read of a run besides its trials: its settings as written and as a SearchConfig. */
export interface RunFacts {
  name: string;
  config: Record<string, unknown>;
  settings?: SearchConfig;
}

// A config.json that is no whole SearchConfig (hand-made, or damaged) still shows what it says:
// the report reads its flat keys as version 1 named them.
const flatNumber = (run: RunFacts, key: string): number | undefined => {
  const v = run.config[key];
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
};

/** The strategy recorded in the run's settings, for labels. */
export function strategyOf(run: RunFacts): string {
  return run.settings?.strategy.name ?? (typeof run.config.strategy === 'string' ? run.config.strategy : 'unknown strategy');
}

/** Each child's epochs at full fidelity (1 for a table or weight sharing, or a run whose settings say none). */
export const childEpochsOf = (run: RunFacts): number =>
  run.settings ? (run.settings.evaluator.kind === 'child' ? run.settings.evaluator.epochs : 1) : (flatNumber(run, 'epochs') ?? 1);

/** Episodes the run was asked for, when it records them. */
export const plannedEpisodesOf = (run: RunFacts): number | undefined => (run.settings ? run.settings.episodes : flatNumber(run, 'episodes'));

/** The baseline's window from the run's own settings. */
export const windowOf = (run: RunFacts): number => run.settings?.strategy.baseline.window ?? flatNumber(run, 'window') ?? 20;

/** The run's episode series, with the window and epochs from its own settings. */
export function runSeries(run: RunFacts & { trials: readonly TrialSummary[] }): { window: number; points: EpisodePoint[] } {
  const window = windowOf(run);
  return { window, points: episodeSeries(run.trials, window, childEpochsOf(run)) };
}

export interface EpisodePoint {
  episode: number;
  /** null for a failed child. */
  accuracy: number | null;
  explored: boolean;
  reward: number;
  baseline: number;
  /** Mean accuracy of the last `window` children that finished, up to and including this episode. */
  rollingMean: number | null;
  /** Best accuracy of any child up to and including this episode; null until one finished. */
  bestSoFar: number | null;
  /** Child training epochs spent by the run up to and including this episode. */
  epochsSpent: number;
  /** Turned down untrained by the proxy rung (not a child: the accuracy plot leaves it out). */
  rejected?: boolean;
}

/** Epochs a trial trained: epochsTrained where recorded, else its validations, else the run's setting. */
export const epochsOfTrial = (t: TrialSummary, epochs: number): number =>
  typeof t.epochsTrained === 'number' ? t.epochsTrained : Array.isArray(t.valAccuracies) && t.valAccuracies.length > 0 ? t.valAccuracies.length : epochs;

/**
 * The series the plots show, one point per recorded episode in episode order. The rolling mean
 * leaves failed children out, as the search's baseline does (a crash says nothing about how good
 * working children are). A child's epochs are the validations it recorded; a child that recorded
 * none (it failed in its first epoch, or an older record) counts as `epochs` (the run's setting).
 */
export function episodeSeries(trials: readonly TrialSummary[], window: number, epochs: number): EpisodePoint[] {
  const sorted = [...trials].sort((a, b) => a.episode - b.episode);
  const recent: number[] = [];
  let best: number | null = null;
  let spent = 0;
  return sorted.map((t) => {
    if (t.accuracy !== null) {
      recent.push(t.accuracy);
      if (recent.length > window) recent.shift();
      if (best === null || t.accuracy > best) best = t.accuracy;
    }
    // epochsTrained, where recorded, is what this trial trained: 0 for a cached result, the added
    // epochs for a continued (promoted) child, whose valAccuracies hold its whole curve.
    spent += epochsOfTrial(t, epochs);
    return {
      episode: t.episode,
      accuracy: t.accuracy,
      explored: t.explored === true,
      reward: t.reward,
      baseline: t.baseline,
      rollingMean: recent.length > 0 ? recent.reduce((s, a) => s + a, 0) / recent.length : null,
      bestSoFar: best,
      epochsSpent: spent,
      ...(t.rejected ? { rejected: true } : {}),
    };
  });
}

/**
 * The best child (earliest on ties, as the search keeps the first), or undefined if none finished.
 * The same rule as the search loop's (src/search/loop.ts: the objective where recorded, else the
 * accuracy), restated here so the browser bundle does not pull in the search loop.
 */
export function bestTrial<T extends TrialSummary>(trials: readonly T[]): T | undefined {
  const rank = (t: TrialSummary): number | null => (t.objective !== undefined ? t.objective : t.accuracy);
  let best: T | undefined;
  for (const t of [...trials].sort((a, b) => a.episode - b.episode)) {
    const r = rank(t);
    const b = best === undefined ? null : rank(best);
    if (r !== null && (b === null || r > b)) best = t;
  }
  return best;
}

export interface Architecture<T extends TrialSummary = TrialRecord> {
  key: string;
  /** The trial that gave this architecture its best accuracy. */
  best: T;
  /** How many episodes trained it. */
  trained: number;
}

/** Distinct architectures (by canonical key) that finished, best first, at most `limit`. */
export function topArchitectures<T extends TrialSummary>(trials: readonly T[], limit = 10): Architecture<T>[] {
  const byKey = new Map<string, Architecture<T>>();
  for (const t of [...trials].sort((a, b) => a.episode - b.episode)) {
    if (t.accuracy === null) continue;
    const seen = byKey.get(t.key);
    if (!seen) byKey.set(t.key, { key: t.key, best: t, trained: 1 });
    else {
      seen.trained++;
      if (t.accuracy > seen.best.accuracy!) seen.best = t;
    }
  }
  return [...byKey.values()].sort((a, b) => b.best.accuracy! - a.best.accuracy! || a.best.episode - b.best.episode).slice(0, limit);
}
