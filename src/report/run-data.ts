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

// The series, best trial and top architectures are pure (series.ts, shared with the dashboard's
// browser bundle); re-exported here for the node side.
export {
  bestTrial,
  childEpochsOf,
  episodeSeries,
  plannedEpisodesOf,
  runSeries,
  strategyOf,
  topArchitectures,
  type Architecture,
  type EpisodePoint,
} from './series.js';

/** True for a run over NAS-Bench-201's one-cell space rather than NASNet's cell pair. */
export const isNb201Run = (run: RunData): boolean => run.settings?.problem.space === 'nas-bench-201';

/** The space the run searched (NASNet with 5 flat blocks when its settings cannot be read). */
export function runSpaceOf(run: RunData): SearchSpace {
  const p = run.settings?.problem;
  if (p?.space === 'nas-bench-201') return nasBench201Space as SearchSpace;
  return nasnetSpace(p?.space === 'nasnet' ? { blocks: p.blocks, hierarchical: p.hierarchical } : undefined) as SearchSpace;
}
