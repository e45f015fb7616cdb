// The runs under a directory, each in a line: what it searched, how far it got, its best accuracy.
// Read the way the report reads a run (run-data.ts): config.json of any version through
// upgradeConfig and resolveSearchConfig, trials.jsonl through the trial schema, the lock for a live
// search; a weight-sharing run's progress is its checkpoint's phase. Nothing is locked or written.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { WS_FILES } from '../evaluators/supernet/search.js';
import { liveLockOwner } from '../store/lock.js';
import { RUN_FILES } from '../store/run-store.js';
import { unframe } from '../util/framed.js';
import { bestTrial, readRun, ReportError } from './run-data.js';

/** running: a live search holds its lock; finished: it did all it was asked; stopped: it ended before (resumable); damaged: unreadable. */
export type RunState = 'running' | 'finished' | 'stopped' | 'damaged';

export interface RunSummary {
  dir: string;
  name: string;
  state: RunState;
  /** The process holding a running run's lock. */
  pid?: number;
  /** The best trial's validation accuracy (a table run: the table's test accuracy; weight sharing: with the shared weights); null before any. */
  bestAccuracy: number | null;
  /** Trials recorded (trials.jsonl); for weight sharing, final samples scored. */
  trials: number;
  /** What it was asked for: episodes, or a weight-sharing run's final samples; null when its config is unreadable. */
  planned: number | null;
  /** Its space, evaluator and strategy; null when its config is unreadable. */
  kind: { space: string; evaluator: string; strategy: string } | null;
  /** A weight-sharing run's checkpoint phase: train, final or done (none before its first checkpoint). */
  phase?: string;
  /** When the run was made (config.json's run.created, else the file's time). */
  created: string | null;
  /** Why a damaged run could not be read. */
  problem?: string;
}

const countLines = (path: string): number =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '').length
    : 0;

/** The phase in a weight-sharing checkpoint's header, read without the weights behind it. */
function wsPhase(dir: string): string | undefined {
  const path = join(dir, WS_FILES.checkpoint);
  if (!existsSync(path)) return undefined;
  const fail = (why: string): never => {
    throw new ReportError(`${path}: ${why}`);
  };
  const fd = openSync(path, 'r');
  try {
    const len = Buffer.alloc(4);
    if (readSync(fd, len, 0, 4, 0) < 4) fail('shorter than its header');
    const head = Buffer.alloc(4 + len.readUInt32LE(0));
    len.copy(head);
    readSync(fd, head, 4, head.length - 4, 4);
    return String(unframe<{ format: string; version: number; phase?: unknown }>(head, 'nascent.ws-checkpoint', fail).header.phase);
  } finally {
    closeSync(fd);
  }
}

function createdOf(config: Record<string, unknown> | undefined, dir: string): string | null {
  const run = config?.run as { created?: unknown } | undefined;
  const created = typeof run?.created === 'string' ? run.created : typeof config?.created === 'string' ? config.created : undefined;
  if (created !== undefined) return created;
  try {
    return statSync(join(dir, RUN_FILES.config)).mtime.toISOString();
  } catch {
    return null;
  }
}

/** One run directory (it holds config.json) summed up; an unreadable one is `damaged`, never an exception. */
export function summarizeRun(dir: string): RunSummary {
  const abs = resolve(dir);
  const name = abs.split(/[\\/]/).pop() ?? abs;
  const pid = liveLockOwner(abs);
  const base = { dir: abs, name, ...(pid !== undefined ? { pid } : {}) };
  try {
    const run = readRun(abs);
    const settings = run.settings;
    const kind = settings ? { space: settings.problem.space, evaluator: settings.evaluator.kind, strategy: settings.strategy.name } : null;
    const created = createdOf(run.config, abs);
    if (settings?.evaluator.kind === 'weight-sharing') {
      const phase = wsPhase(abs);
      const best = existsSync(join(abs, WS_FILES.best)) ? (JSON.parse(readFileSync(join(abs, WS_FILES.best), 'utf8')) as { accuracy?: unknown }) : undefined;
      return {
        ...base,
        state: pid !== undefined ? 'running' : phase === 'done' ? 'finished' : 'stopped',
        bestAccuracy: typeof best?.accuracy === 'number' ? best.accuracy : null,
        trials: countLines(join(abs, WS_FILES.final)),
        planned: settings.evaluator.finalSamples,
        kind,
        ...(phase !== undefined ? { phase } : {}),
        created,
      };
    }
    const planned = settings?.episodes ?? null;
    const best = bestTrial(run.trials);
    return {
      ...base,
      state: pid !== undefined ? 'running' : planned !== null && run.trials.length < planned ? 'stopped' : 'finished',
      bestAccuracy: best?.accuracy ?? null,
      trials: run.trials.length,
      planned,
      kind,
      created,
    };
  } catch (err) {
    return {
      ...base,
      state: pid !== undefined ? 'running' : 'damaged',
      bestAccuracy: null,
      trials: 0,
      planned: null,
      kind: null,
      created: createdOf(undefined, abs),
      problem: (err as Error).message,
    };
  }
}

/**
 * The runs in `dir`: `dir` itself when it is a run, else its subdirectories that hold config.json,
 * oldest first. Throws a ReportError when `dir` is no directory.
 */
export function listRuns(dir: string): RunSummary[] {
  const abs = resolve(dir);
  if (!existsSync(abs)) throw new ReportError(`${abs}: no such directory`);
  if (!statSync(abs).isDirectory()) throw new ReportError(`${abs}: not a directory`);
  if (existsSync(join(abs, RUN_FILES.config))) return [summarizeRun(abs)];
  const runs = readdirSync(abs, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(abs, e.name, RUN_FILES.config)))
    .map((e) => summarizeRun(join(abs, e.name)));
  return runs.sort((a, b) => (a.created ?? '').localeCompare(b.created ?? '') || a.name.localeCompare(b.name));
}
