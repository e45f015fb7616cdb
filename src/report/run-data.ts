// A run directory read for reporting, and the per-episode series every plot is drawn from. Reading
// never takes the run's lock: a report is written while the search appends to trials.jsonl, and a
// line the search has only half written yet is left for the next report (readTrials drops it).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { TrialRecord } from '../store/records.js';
import { searchConfigOf } from '../config/read.js';
import { nasBench201Space } from '../spaces/nas-bench-201/space.js';
import { nasnetSpace } from '../spaces/nasnet/space.js';
import type { SearchSpace } from '../spaces/types.js';
import type { SearchConfig } from '../config/schema.js';
import { bestTrial as bestInOrder } from '../search/loop.js';
import { liveLockOwner } from '../store/lock.js';
import { RUN_FILES, readTrials } from '../store/run-store.js';

/** A run directory that cannot be reported on; the message names the path and what is wrong. */
export class ReportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportError';
  }
}

export interface RunData {
  dir: string;
  /** The directory's own name, used to label the run in comparisons. */
  name: string;
  /** config.json as written by the search: every setting plus seed, backend, data directory. */
  config: Record<string, unknown>;
  /** config.json read as a current SearchConfig (any version upgraded); undefined when it is none. */
  settings?: SearchConfig;
  trials: TrialRecord[];
  /** A live search holds the run's lock: more episodes are coming. */
  inProgress: boolean;
  /** trials.jsonl ended in a half-written line (being written now, or cut short by a crash). */
  tornLine: boolean;
}

/** Reads `dir` as a run: it must exist and hold config.json; trials.jsonl may not exist yet. */
export function readRun(dir: string): RunData {
  const abs = resolve(dir);
  if (!existsSync(abs)) throw new ReportError(`${abs}: no such directory`);
  if (!statSync(abs).isDirectory()) throw new ReportError(`${abs}: not a directory (expected a run directory)`);
  const configPath = join(abs, RUN_FILES.config);
  if (!existsSync(configPath)) throw new ReportError(`${abs} is not a nascent run: it has no ${RUN_FILES.config}`);
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (err) {
    throw new ReportError(`${configPath}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new ReportError(`${configPath}: expected a JSON object of settings`);
  // Every record is read through the trial record's schema: a damaged field is an error naming its line.
  const read = readTrials(join(abs, RUN_FILES.trials));
  return {
    dir: abs,
    name: basename(abs),
    config: config as Record<string, unknown>,
    settings: searchConfigOf(config),
    trials: read.trials,
    inProgress: liveLockOwner(abs) !== undefined,
    tornLine: read.tornLine !== undefined,
  };
}

// A config.json that is no whole SearchConfig (hand-made, or damaged) still shows what it says:
// the report reads its flat keys as version 1 named them.
const flatNumber = (run: RunData, key: string): number | undefined => {
  const v = run.config[key];
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
};

/** The strategy recorded in the run's settings, for labels. */
export function strategyOf(run: RunData): string {
  return run.settings?.strategy.name ?? (typeof run.config.strategy === 'string' ? run.config.strategy : 'unknown strategy');
}

/** Each child's epochs at full fidelity (1 for a table or weight sharing, or a run whose settings say none). */
export const childEpochsOf = (run: RunData): number =>
  run.settings ? (run.settings.evaluator.kind === 'child' ? run.settings.evaluator.epochs : 1) : (flatNumber(run, 'epochs') ?? 1);

/** Episodes the run was asked for, when it records them. */
export const plannedEpisodesOf = (run: RunData): number | undefined => (run.settings ? run.settings.episodes : flatNumber(run, 'episodes'));

/** The run's episode series, with the window and epochs from its own settings. */
export function runSeries(run: RunData): { window: number; points: EpisodePoint[] } {
  const window = run.settings?.strategy.baseline.window ?? flatNumber(run, 'window') ?? 20;
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
}

/**
 * The series the plots show, one point per recorded episode in episode order. The rolling mean
 * leaves failed children out, as the search's baseline does (a crash says nothing about how good
 * working children are). A child's epochs are the validations it recorded; a child that recorded
 * none (it failed in its first epoch, or an older record) counts as `epochs` (the run's setting).
 */
export function episodeSeries(trials: TrialRecord[], window: number, epochs: number): EpisodePoint[] {
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
    spent +=
      typeof t.epochsTrained === 'number' ? t.epochsTrained : Array.isArray(t.valAccuracies) && t.valAccuracies.length > 0 ? t.valAccuracies.length : epochs;
    return {
      episode: t.episode,
      accuracy: t.accuracy,
      explored: t.explored === true,
      reward: t.reward,
      baseline: t.baseline,
      rollingMean: recent.length > 0 ? recent.reduce((s, a) => s + a, 0) / recent.length : null,
      bestSoFar: best,
      epochsSpent: spent,
    };
  });
}

/** The best child (earliest on ties, as the search keeps the first), or undefined if none finished. */
export function bestTrial(trials: TrialRecord[]): TrialRecord | undefined {
  return bestInOrder([...trials].sort((a, b) => a.episode - b.episode));
}

export interface Architecture {
  key: string;
  /** The trial that gave this architecture its best accuracy. */
  best: TrialRecord;
  /** How many episodes trained it. */
  trained: number;
}

/** Distinct architectures (by canonical key) that finished, best first, at most `limit`. */
export function topArchitectures(trials: TrialRecord[], limit = 10): Architecture[] {
  const byKey = new Map<string, Architecture>();
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

/** True for a run over NAS-Bench-201's one-cell space rather than NASNet's cell pair. */
export const isNb201Run = (run: RunData): boolean => run.settings?.problem.space === 'nas-bench-201';

/** The space the run searched (NASNet with 5 flat blocks when its settings cannot be read). */
export function runSpaceOf(run: RunData): SearchSpace {
  const p = run.settings?.problem;
  if (p?.space === 'nas-bench-201') return nasBench201Space as SearchSpace;
  return nasnetSpace(p?.space === 'nasnet' ? { blocks: p.blocks, hierarchical: p.hierarchical } : undefined) as SearchSpace;
}
