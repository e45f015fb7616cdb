// A run directory: config.json (the settings), trials.jsonl (append-only, one fsync'd line per
// finished episode), best-cells.json and checkpoint.json (both replaced atomically).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { appendLineDurable, writeJsonAtomic } from './atomic.js';
import { acquireRunLock, type RunLock } from './lock.js';
import { BEST_CELLS_FORMAT, BEST_CELLS_VERSION, type BestCellsFile, type TrialRecord } from './records.js';

export const RUN_FILES = {
  config: 'config.json',
  trials: 'trials.jsonl',
  best: 'best-cells.json',
  checkpoint: 'checkpoint.json',
} as const;

export interface TrialsRead {
  trials: TrialRecord[];
  /** A last line cut short by a crash: reported, then discarded. */
  tornLine?: string;
}

export class RunStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunStoreError';
  }
}

/** Reads trials.jsonl; only a torn LAST line is tolerated, anything else malformed is an error. */
export function readTrials(path: string): TrialsRead {
  if (!existsSync(path)) return { trials: [] };
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const complete = text.endsWith('\n') || text === '';
  const last = complete ? undefined : lines.pop();
  const trials: TrialRecord[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      trials.push(JSON.parse(line) as TrialRecord);
    } catch {
      throw new RunStoreError(`${path}:${i + 1}: not a JSON record (the file was edited or damaged)`);
    }
  });
  return last ? { trials, tornLine: last } : { trials };
}

export class RunStore {
  readonly dir: string;
  private lock?: RunLock;

  private constructor(dir: string) {
    this.dir = resolve(dir);
  }

  path(name: keyof typeof RUN_FILES): string {
    return join(this.dir, RUN_FILES[name]);
  }

  /** Starts a new run in `dir`, which must not hold one already. */
  static create(dir: string, config: Record<string, unknown>): RunStore {
    const store = new RunStore(dir);
    mkdirSync(store.dir, { recursive: true });
    if (existsSync(store.path('trials')) || existsSync(store.path('config'))) {
      throw new RunStoreError(`${store.dir} already holds a run; choose another --out`);
    }
    store.lock = acquireRunLock(store.dir);
    writeJsonAtomic(store.path('config'), config);
    return store;
  }

  readTrials(): TrialsRead {
    return readTrials(this.path('trials'));
  }

  appendTrial(trial: TrialRecord): void {
    appendLineDurable(this.path('trials'), JSON.stringify(trial));
  }

  writeBest(trial: TrialRecord, settings: Record<string, unknown>): BestCellsFile {
    if (trial.accuracy === null) throw new RunStoreError('a failed trial cannot be the best');
    const best: BestCellsFile = {
      format: BEST_CELLS_FORMAT,
      version: BEST_CELLS_VERSION,
      cells: trial.cells,
      key: trial.key,
      accuracy: trial.accuracy,
      episode: trial.episode,
      params: trial.params,
      settings,
    };
    writeJsonAtomic(this.path('best'), best);
    return best;
  }

  writeCheckpoint(checkpoint: unknown): void {
    writeJsonAtomic(this.path('checkpoint'), checkpoint);
  }

  readCheckpoint<T>(): T | undefined {
    const path = this.path('checkpoint');
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined;
  }

  close(): void {
    this.lock?.release();
    this.lock = undefined;
  }
}
