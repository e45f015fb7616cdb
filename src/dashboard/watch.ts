// One run directory as the dashboard watches it: its settings, its trials read as they are appended
// (tail.ts), whether a live search holds it, the children its checkpoint says are in flight, and
// everything that is missing or damaged, said in words. Polling by size and mtime rather than
// fs.watch: it sees appends made by other processes, on other machines' network mounts too, the same
// way on every platform, and a few stat calls every few hundred milliseconds cost nothing.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { searchConfigOf } from '../config/read.js';
import type { SearchConfig } from '../config/schema.js';
import { WS_FILES } from '../evaluators/supernet/search.js';
import { checkpointTime, type PolicyRows } from '../report/controller-view.js';
import { decisionRows, proxyView } from '../report/run-extras.js';
import { runSpaceOf, type RunData } from '../report/run-data.js';
import { bestTrial, childEpochsOf, epochsOfTrial, plannedEpisodesOf, strategyOf } from '../report/series.js';
import type { DecisionRow, DecisionSource, ProxyRow } from '../report/trial-plots.js';
import type { WsStepPoint } from '../report/ws-plot.js';
import { liveLockOwner } from '../store/lock.js';
import { trialRecordIssues, type TrialRecord } from '../store/records.js';
import { RUN_FILES } from '../store/run-store.js';
import { policyRows } from './policy.js';
import { summaryOf, type RunStatus, type RunSummary } from './summaries.js';
import { JsonLinesTail } from './tail.js';

export type { RunStatus, RunSummary } from './summaries.js';
export { summaryOf } from './summaries.js';

const checkTrial = (value: unknown): string | undefined => {
  const issues = trialRecordIssues(value);
  return issues.length === 0 ? undefined : issues.map((i) => `${i.path}: ${i.message}`).join('; ');
};

export class RunWatcher {
  readonly name: string;
  config?: Record<string, unknown>;
  settings?: SearchConfig;
  private configProblem?: string;
  private configMtime = -1;
  readonly trials: JsonLinesTail<TrialRecord>;
  readonly wsSteps: JsonLinesTail<WsStepPoint & { cells?: unknown }>;
  pid?: number;
  inflight: Array<{ child: number; budget?: number; rung?: number; bracket?: number; explored?: boolean }> = [];
  private checkpointMtime = -1;
  /** Each trial's summary as JSON, kept as trials arrive: a page's load of a big run joins them instead of serialising 20,000 objects. */
  private summaryTexts: string[] = [];
  private extras?: { decisions: { rows: DecisionRow[]; source: DecisionSource }; proxies?: { rows: ProxyRow[]; proxy: string }; at: number };
  /** The controller's probabilities from the checkpoint, read again (in the background) when it changes. */
  private policy?: PolicyRows;
  private policyTime = -1;
  private policyReading = false;
  /** Set when a background read of the probabilities finished: the next poll reports a change. */
  private policyFresh = false;

  constructor(
    readonly id: string,
    readonly dir: string,
  ) {
    this.name = basename(dir);
    this.trials = new JsonLinesTail<TrialRecord>(join(dir, RUN_FILES.trials), checkTrial);
    this.wsSteps = new JsonLinesTail(join(dir, WS_FILES.steps));
  }

  get isWeightSharing(): boolean {
    return this.settings?.evaluator.kind === 'weight-sharing';
  }

  /** Re-reads what changed; returns the trials appended since the last poll and whether anything else changed. */
  poll(): { added: TrialRecord[]; addedSteps: Array<WsStepPoint & { cells?: unknown }>; changed: boolean } {
    let changed = this.readConfig();
    const pid = liveLockOwner(this.dir);
    if (pid !== this.pid) {
      this.pid = pid;
      changed = true;
    }
    changed = this.readCheckpoint() || changed;
    const generation = this.trials.generation;
    const added = this.trials.poll();
    const addedSteps = this.isWeightSharing ? this.wsSteps.poll() : [];
    if (added.length > 0) this.extras = undefined;
    this.readPolicy();
    if (this.policyFresh) {
      this.policyFresh = false;
      this.extras = undefined;
      changed = true;
    }
    if (generation !== this.trials.generation) this.summaryTexts = this.trials.items.map((t) => JSON.stringify(summaryOf(t)));
    else for (const t of added) this.summaryTexts.push(JSON.stringify(summaryOf(t)));
    return { added, addedSteps, changed: changed || generation !== this.trials.generation };
  }

  private readConfig(): boolean {
    const path = join(this.dir, RUN_FILES.config);
    let mtime: number;
    try {
      mtime = statSync(path).mtimeMs;
    } catch {
      const was = this.configProblem;
      this.configProblem = `${RUN_FILES.config} is missing: the run's settings are unknown`;
      return was !== this.configProblem;
    }
    if (mtime === this.configMtime) return false;
    this.configMtime = mtime;
    try {
      const config = JSON.parse(readFileSync(path, 'utf8')) as unknown;
      if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new Error('expected a JSON object of settings');
      this.config = config as Record<string, unknown>;
      this.settings = searchConfigOf(config);
      this.configProblem = this.settings ? undefined : `${RUN_FILES.config} is not a search configuration nascent can read; shown as written`;
    } catch (err) {
      this.configProblem = `${RUN_FILES.config} is damaged: ${(err as Error).message}`;
    }
    return true;
  }

  private readCheckpoint(): boolean {
    const path = join(this.dir, RUN_FILES.checkpoint);
    let mtime: number;
    try {
      mtime = statSync(path).mtimeMs;
    } catch {
      mtime = 0;
    }
    if (mtime === this.checkpointMtime) return false;
    this.checkpointMtime = mtime;
    try {
      const checkpoint = mtime === 0 ? {} : (JSON.parse(readFileSync(path, 'utf8')) as { inflight?: { children?: unknown[] } });
      const children = Array.isArray(checkpoint.inflight?.children) ? checkpoint.inflight.children : [];
      this.inflight = children.map((c) => {
        const child = c as { child: number; job?: { budget?: number; rung?: number; bracket?: number }; proposal?: { explored?: boolean } };
        return { child: child.child, budget: child.job?.budget, rung: child.job?.rung, bracket: child.job?.bracket, explored: child.proposal?.explored };
      });
    } catch {
      // Replaced atomically by the search: a read that fails is a file from before this format; show none.
      this.inflight = [];
    }
    return true;
  }

  /** The summaries of trials `from` onwards, as a JSON array. */
  summariesJson(from = 0): string {
    return `[${this.summaryTexts.slice(from).join(',')}]`;
  }

  /** The run's facts as the report reads them (for the space and the extras). */
  private asRunData(): RunData {
    return {
      dir: this.dir,
      name: this.name,
      config: this.config ?? {},
      settings: this.settings,
      trials: this.trials.items,
      inProgress: this.pid !== undefined,
      tornLine: this.trials.torn,
    };
  }

  /**
   * Starts reading the controller's probabilities when its checkpoint changed, in a worker thread
   * (policy.ts): at most one read at a time; a run whose strategy is not the controller is never read.
   */
  private readPolicy(): void {
    if (this.policyReading || this.settings?.strategy.name !== 'controller' || this.isWeightSharing) return;
    const time = checkpointTime(this.dir);
    if (time === this.policyTime || time === 0) return;
    this.policyReading = true;
    this.policyTime = time;
    const space = runSpaceOf(this.asRunData());
    policyRows(this.dir, space)
      .then(
        (rows) => (this.policy = rows),
        // A checkpoint being replaced, or one from a controller this nascent cannot restore: the shares of proposals stand in.
        () => undefined,
      )
      .finally(() => {
        this.policyReading = false;
        this.policyFresh = true;
      });
  }

  /** The decisions (the controller's probabilities, else the shares of proposals) and proxy rows, worked out again at most every 2 s while trials arrive. */
  extrasOf(): NonNullable<RunWatcher['extras']> {
    if (this.extras && Date.now() - this.extras.at < 2000) return this.extras;
    const run = this.asRunData();
    let decisions: { rows: DecisionRow[]; source: DecisionSource } = { rows: [], source: { kind: 'proposals', samples: 0 } };
    let proxies: { rows: ProxyRow[]; proxy: string } | undefined;
    try {
      const space = runSpaceOf(run);
      decisions = this.policy ?? decisionRows(this.trials.items, space);
      proxies = proxyView(this.dir, this.trials.items, space, this.settings?.strategy.warmup.count ? this.settings.strategy.warmup.proxy : undefined);
    } catch {
      // A run whose settings name no space nascent knows has no decisions to show.
    }
    this.extras = { decisions, ...(proxies ? { proxies } : {}), at: Date.now() };
    return this.extras;
  }

  /** When the run last recorded something: its last trial, or (weight sharing) its steps file's mtime. */
  private lastActivity(): number {
    if (!this.isWeightSharing) {
      const last = this.trials.items[this.trials.items.length - 1]?.time;
      return last ? Date.parse(last) : Number.NaN;
    }
    try {
      return statSync(this.wsSteps.path).mtimeMs;
    } catch {
      return Number.NaN;
    }
  }

  /** What is missing or damaged, each in a sentence. */
  problems(): string[] {
    const problems: string[] = [];
    if (this.configProblem) problems.push(this.configProblem);
    if (!this.isWeightSharing && !this.trials.exists) problems.push(`${RUN_FILES.trials} is missing: no trial has been recorded`);
    if (this.trials.torn)
      problems.push(`the last line of ${RUN_FILES.trials} is incomplete (being written, or cut short by a crash); it is not shown until it is whole`);
    for (const p of this.trials.problems.slice(0, 20)) problems.push(`${RUN_FILES.trials} line ${p.line} is skipped: ${p.message}`);
    if (this.trials.problems.length > 20) problems.push(`${this.trials.problems.length - 20} more damaged lines in ${RUN_FILES.trials}`);
    return problems;
  }

  private totalsCache?: { key: string; best: number | null; childEpochs: number };

  /** The best accuracy and the child-epochs spent, worked out again only when the run changed (the runs table asks every second). */
  private totals(epochs: number): { best: number | null; childEpochs: number } {
    const key = `${this.trials.generation}:${this.trials.items.length}:${this.wsSteps.items.length}:${epochs}`;
    if (this.totalsCache?.key === key) return this.totalsCache;
    const steps = this.wsSteps.items;
    const trials = this.trials.items;
    this.totalsCache = this.isWeightSharing
      ? { key, best: steps.length ? Math.max(...steps.map((x) => x.accuracy)) : null, childEpochs: steps[steps.length - 1]?.childEpochs ?? 0 }
      : { key, best: bestTrial(trials)?.accuracy ?? null, childEpochs: trials.reduce((sum, t) => sum + epochsOfTrial(t, epochs), 0) };
    return this.totalsCache;
  }

  summary(): RunSummary {
    const s = this.settings;
    const run = { name: this.name, config: this.config ?? {}, settings: s };
    const trials = this.trials.items;
    const epochs = childEpochsOf(run);
    // A weight-sharing run counts strategy steps, whose number it does not plan ahead.
    const planned = this.isWeightSharing ? null : (plannedEpisodesOf(run) ?? null);
    const done = trials.length;
    const problems = this.problems();
    const status: RunStatus =
      this.pid !== undefined
        ? 'running'
        : !this.config
          ? 'damaged'
          : this.isWeightSharing
            ? existsSync(join(this.dir, WS_FILES.best))
              ? 'finished'
              : 'stopped'
            : trials.length === 0
              ? 'empty'
              : planned !== null && done < planned
                ? 'stopped'
                : 'finished';
    const created = (this.config?.run as { created?: string } | undefined)?.created ?? (this.config?.created as string | undefined);
    const end = this.pid !== undefined ? Date.now() : this.lastActivity();
    const wall = created ? (end - Date.parse(created)) / 1000 : Number.NaN;
    const { best, childEpochs } = this.totals(epochs);
    return {
      id: this.id,
      name: this.name,
      dir: this.dir,
      status,
      ...(this.pid !== undefined ? { pid: this.pid } : {}),
      space: s?.problem.space ?? (typeof this.config?.dataset === 'string' ? 'nasnet' : '?'),
      strategy: strategyOf(run),
      scheduler: s ? [s.scheduler.fidelity, s.scheduler.prune !== 'none' ? `prune ${s.scheduler.prune}` : ''].filter(Boolean).join(', ') : '?',
      evaluator: s?.evaluator.kind ?? '?',
      best,
      trials: this.isWeightSharing ? this.wsSteps.items.length : trials.length,
      planned,
      childEpochs,
      wallSeconds: Number.isFinite(wall) && wall >= 0 ? wall : null,
      backend: String((this.config?.run as { backendUsed?: string } | undefined)?.backendUsed ?? this.config?.backendUsed ?? trials[0]?.backend ?? '?'),
      problems,
    };
  }
}
