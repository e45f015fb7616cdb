// A run directory: config.json (the settings), trials.jsonl (append-only, one fsync'd line per
// finished episode), best-cells.json and checkpoint.json (both replaced atomically).
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { appendLineDurable, TEMPORARY_FILE, writeFileAtomic, writeJsonAtomic } from './atomic.js';
import { truncateDurable } from './lines.js';
import { acquireRunLock, type RunLock } from './lock.js';
import { BEST_CELLS_FORMAT, BEST_CELLS_VERSION, trialRecordIssues, type BestCellsFile, type ParetoPoint, type TrialRecord } from './records.js';

/** Saved child states (weights and optimizer) that a multi-fidelity search may continue. */
export const STATES_DIR = 'states';
const STATE_NAME = /^episode-\d+\.state$/;

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

/**
 * Reads trials.jsonl; only a torn LAST line is tolerated, anything else malformed is an error. Each
 * record is read through TrialRecordSchema, so a damaged field (an accuracy turned into a string) is
 * an error naming the file, the line and the field, never a value a resume or a report goes on with.
 */
export function readTrials(path: string): TrialsRead {
  if (!existsSync(path)) return { trials: [] };
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const complete = text.endsWith('\n') || text === '';
  const last = complete ? undefined : lines.pop();
  const trials: TrialRecord[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      throw new RunStoreError(`${path}:${i + 1}: not a JSON record (the file was edited or damaged)`);
    }
    const issues = trialRecordIssues(record);
    if (issues.length > 0)
      throw new RunStoreError(
        `${path}:${i + 1}: not a trial record: ${issues.map((e) => `${e.path}: ${e.message}`).join('; ')} (the file was edited or damaged)`,
      );
    trials.push(record as TrialRecord);
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

  /**
   * Refuses, before anything slow, a `dir` that a new run cannot be written to: one that holds a
   * run already, a file, or a place that cannot be made. Makes nothing (a search that fails before
   * it starts leaves no empty directory).
   */
  static assertFree(dir: string): void {
    const store = new RunStore(dir);
    // The nearest part of the path that exists must be a directory this process may write in.
    let existing = store.dir;
    while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
    if (!statSync(existing).isDirectory())
      throw new RunStoreError(`cannot write a run to ${store.dir}: ${existing} is a file, not a directory; choose another --out`);
    try {
      accessSync(existing, constants.W_OK);
    } catch (err) {
      throw new RunStoreError(
        `cannot write a run to ${store.dir}: ${existing} is not writable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
    }
    if (existsSync(store.path('trials')) || existsSync(store.path('config'))) {
      throw new RunStoreError(`${store.dir} already holds a run; choose another --out, or continue it with --resume ${store.dir}`);
    }
  }

  /** Starts a new run in `dir`, which must not hold one already. */
  static create(dir: string, config: Record<string, unknown>): RunStore {
    const store = new RunStore(dir);
    mkdirSync(store.dir, { recursive: true });
    if (existsSync(store.path('trials')) || existsSync(store.path('config'))) {
      throw new RunStoreError(`${store.dir} already holds a run; choose another --out, or continue it with --resume ${store.dir}`);
    }
    store.lock = acquireRunLock(store.dir);
    writeJsonAtomic(store.path('config'), config);
    return store;
  }

  /** Opens an existing run for writing (a resume): it must hold a config, and nobody else may hold it. */
  static open(dir: string): RunStore {
    const store = new RunStore(dir);
    if (!existsSync(store.dir)) throw new RunStoreError(`${store.dir} does not exist`);
    if (!existsSync(store.path('config'))) throw new RunStoreError(`${store.dir} is not a run directory: it has no ${RUN_FILES.config}`);
    store.lock = acquireRunLock(store.dir);
    return store;
  }

  /**
   * Deletes the temporary files of atomic writes that a crash cut short (see writeFileAtomic). Only
   * the lock holder writes here, so any such file belongs to a dead process.
   */
  removeTemporaryFiles(): number {
    const stale = readdirSync(this.dir).filter((name) => TEMPORARY_FILE.test(name));
    for (const name of stale) rmSync(join(this.dir, name), { force: true });
    return stale.length;
  }

  /** The lock taken over from a process that died holding it, if any. */
  get stalePid(): number | undefined {
    return this.lock?.stalePid;
  }

  readConfig(): Record<string, unknown> {
    const path = this.path('config');
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new RunStoreError(`${path}: ${(err as Error).message}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new RunStoreError(`${path}: not a JSON object`);
    return value as Record<string, unknown>;
  }

  writeConfig(config: Record<string, unknown>): void {
    writeJsonAtomic(this.path('config'), config);
  }

  /**
   * Cuts trials.jsonl back to its last complete line, dropping what a crash left half-written.
   * Safe because a trial line is only appended after the checkpoint that holds the same trial.
   */
  discardTornLine(): string | undefined {
    const path = this.path('trials');
    if (!existsSync(path)) return undefined;
    const text = readFileSync(path);
    const end = text.lastIndexOf(0x0a) + 1;
    if (end === text.length) return undefined;
    truncateDurable(path, end);
    return text.subarray(end).toString('utf8');
  }

  readTrials(): TrialsRead {
    return readTrials(this.path('trials'));
  }

  appendTrial(trial: TrialRecord): void {
    appendLineDurable(this.path('trials'), JSON.stringify(trial));
  }

  /** `front`: with --objective mnas, the accuracy/cost Pareto front so far. */
  writeBest(trial: TrialRecord, settings: Record<string, unknown>, front?: ParetoPoint[]): BestCellsFile {
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
      ...(typeof trial.objective === 'number' ? { objective: trial.objective } : {}),
      ...(trial.latencyMs !== undefined ? { latencyMs: trial.latencyMs } : {}),
      ...(trial.browserLatencyMs !== undefined ? { browserLatencyMs: trial.browserLatencyMs } : {}),
      ...(front ? { front } : {}),
    };
    writeJsonAtomic(this.path('best'), best);
    return best;
  }

  /** best-cells.json as it is on disk; undefined when it is missing or unreadable (it can be rebuilt). */
  readBest(): BestCellsFile | undefined {
    try {
      return JSON.parse(readFileSync(this.path('best'), 'utf8')) as BestCellsFile;
    } catch {
      return undefined;
    }
  }

  /**
   * Saves a child's state for `episode` atomically and returns its path relative to the run (what
   * the checkpoint refers to). Written before the checkpoint that names it, so a checkpoint never
   * names a missing file; a crash in between leaves a file nothing names, which the episode's rerun
   * replaces and pruneStates deletes.
   */
  writeState(episode: number, bytes: Uint8Array): string {
    const rel = `${STATES_DIR}/episode-${episode}.state`;
    mkdirSync(join(this.dir, STATES_DIR), { recursive: true });
    writeFileAtomic(join(this.dir, rel), bytes);
    return rel;
  }

  readState(rel: string): Uint8Array {
    const path = join(this.dir, rel);
    if (!rel.startsWith(`${STATES_DIR}/`) || !STATE_NAME.test(rel.slice(STATES_DIR.length + 1)))
      throw new RunStoreError(`${this.path('checkpoint')}: ${JSON.stringify(rel)} is not a state file name`);
    if (!existsSync(path)) throw new RunStoreError(`${path} is missing, but the checkpoint continues the child saved in it (the run was edited or damaged)`);
    return readFileSync(path);
  }

  /** Deletes saved states that are not in `live` (nothing can continue them any more); returns how many. */
  pruneStates(live: readonly string[]): number {
    const dir = join(this.dir, STATES_DIR);
    if (!existsSync(dir)) return 0;
    const keep = new Set(live.map((rel) => join(this.dir, rel)));
    let removed = 0;
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (!keep.has(path) && (STATE_NAME.test(name) || TEMPORARY_FILE.test(name))) {
        rmSync(path, { force: true });
        removed++;
      }
    }
    return removed;
  }

  writeCheckpoint(checkpoint: unknown): void {
    writeJsonAtomic(this.path('checkpoint'), checkpoint);
  }

  readCheckpoint<T>(): T | undefined {
    const path = this.path('checkpoint');
    if (!existsSync(path)) return undefined;
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as T;
    } catch (err) {
      // Written atomically, so this is damage from outside, not a crash: say so rather than guess.
      throw new RunStoreError(`${path}: ${(err as Error).message} (the checkpoint is replaced atomically, so it was damaged after it was written)`);
    }
  }

  close(): void {
    this.lock?.release();
    this.lock = undefined;
  }
}
