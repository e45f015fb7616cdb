// `nascent search`: turns the command line (and maybe a --config file) into a SearchConfig, hands it
// to the runner (src/run/runner.ts), and draws progress. Nothing more: which space, strategy,
// scheduler and evaluator a search uses is the config's, and how they are put together the runner's.
import { join, resolve } from 'node:path';
import { SearchConfigError } from '../../config/resolve.js';
import { WS_FILES, type WsEvent } from '../../evaluators/supernet/search.js';
import { REPORT_DIR } from '../../report/report.js';
import { LiveReport } from '../../report/live-report.js';
import { writeWsReport } from '../../report/ws-report.js';
import { readRunConfig, resume, search, type RunEvent, type RunOptions, type SearchResult } from '../../run/runner.js';
import { spaceOf } from '../../run/parts.js';
import { RunStore } from '../../store/run-store.js';
import type { TrialRecord } from '../../store/records.js';
import { downloadBar } from '../download-bar.js';
import { timestamp } from '../data-flags.js';
import type { ParsedArgs } from '../flags.js';
import { SearchProgress, formatDuration } from '../progress.js';
import { configFromArgs, resumeOverridesFromArgs, searchCommand, usageErrorOf } from '../search-flags.js';

export { searchCommand } from '../search-flags.js';

/** The exit status of a search stopped by a signal before its end, as a shell reports Ctrl-C. */
export const STOPPED_STATUS = 130;

const resumeHint = (dir: string) => `resume with: nascent search --resume ${dir}   (or: npm run search:cifar -- --resume ${dir})`;

/** Ctrl-C once: finish the episode in hand; twice, or SIGTERM: stop now. Returns the signals and how to release them. */
function stopSignals(log: (line: string) => void, clear: () => void, weightSharing: boolean, queued: () => boolean) {
  const stop = new AbortController();
  const stopNow = new AbortController();
  const now = () => {
    if (stopNow.signal.aborted) return;
    stop.abort();
    stopNow.abort(new Error('interrupted'));
    if (!weightSharing)
      log(
        queued()
          ? '\nstopping now; the children in flight are not recorded (--resume sends them again, and a queue hands back those it still holds).'
          : '\nstopping now; the unfinished episode is not recorded.',
      );
  };
  const onSigint = () => {
    clear();
    if (!stop.signal.aborted) {
      stop.abort();
      log(
        weightSharing
          ? '\nstopping at the next step (a checkpoint is written first)...'
          : queued()
            ? '\nstopping once the children in flight are recorded (Ctrl-C again to stop now)...'
            : '\nstopping after the current episode (Ctrl-C again to stop now)...',
      );
    } else now();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', now);
  return {
    signal: stop.signal,
    stopNow: stopNow.signal,
    release: () => {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', now);
    },
  };
}

/** What a person sees of a weight-sharing search: a status line on a terminal, a line per pass, the final scoring. */
function wsProgress(log: (line: string) => void, strategy: string, passes: number, screening: () => boolean, out: NodeJS.WriteStream) {
  const tty = out.isTTY === true;
  const started = Date.now();
  let status = false;
  const clear = () => {
    if (status) out.write('\r\x1b[K');
    status = false;
  };
  const handle = (e: WsEvent, onPass: () => void) => {
    if (tty && (e.type === 'train-step' || e.type === 'strategy-step')) {
      const what =
        e.type === 'train-step'
          ? `pass ${e.epoch + 1}/${passes} shared-weight step ${e.batch}/${e.batches} loss ${e.loss.toFixed(3)}`
          : `pass ${e.record.epoch}/${passes} ${strategy} step ${e.record.step} validation-batch accuracy ${e.record.accuracy.toFixed(3)}`;
      out.write(`\r\x1b[K${what} | ${formatDuration((Date.now() - started) / 1000)}`);
      status = true;
      return;
    }
    clear();
    if (e.type === 'epoch-end') {
      log(
        `pass ${e.epoch}/${e.epochs}: shared-weight loss ${e.trainLoss.toFixed(4)}, strategy steps' validation-batch accuracy ${Number.isFinite(e.meanAccuracy) ? e.meanAccuracy.toFixed(4) : '-'} (baseline ${e.baseline.toFixed(4)}), ${e.childEpochs.toFixed(2)} child-epochs so far, ${formatDuration((Date.now() - started) / 1000)}`,
      );
      onPass();
    } else if (e.type === 'final-sample' && (e.done % 10 === 0 || e.done === e.total)) {
      const where =
        e.stage === 'screen'
          ? `screened on ${e.sample.images} validation images`
          : screening()
            ? 'scored again on the whole validation split'
            : 'scored on the validation split';
      log(`final: ${e.done}/${e.total} architectures ${where} (last ${e.sample.accuracy.toFixed(4)})`);
    }
  };
  return { handle, clear };
}

export async function runSearchCommand(args: ParsedArgs, print: (line: string) => void = console.log): Promise<number> {
  // With --json, stdout holds one JSON object at the end; every line for a person goes to stderr.
  const json = args.flags.json === true;
  const log = json ? (line: string) => console.error(line) : print;
  const out = json ? process.stderr : process.stdout;
  const resumeDir = args.flags.resume as string | undefined;
  let config: ReturnType<typeof configFromArgs> | undefined;
  let overrides: ReturnType<typeof resumeOverridesFromArgs> | undefined;
  if (resumeDir !== undefined) {
    // The run's settings are read (and the flags checked against them) before anything slow.
    const store = RunStore.open(resolve(resumeDir));
    try {
      const recorded = readRunConfig(store);
      overrides = resumeOverridesFromArgs(args, recorded, store.path('config'));
      config = recorded;
    } finally {
      store.close();
    }
  } else {
    config = configFromArgs(args);
  }
  const weightSharing = config.evaluator.kind === 'weight-sharing';
  const table = config.problem.space === 'nas-bench-201';
  const report = args.flags.report !== false;

  let progress: SearchProgress | undefined;
  let live: LiveReport | undefined;
  let dir: string | undefined;
  let lastWsReport: Promise<unknown> = Promise.resolve();
  const ws = weightSharing
    ? wsProgress(
        log,
        config.strategy.name,
        config.evaluator.kind === 'weight-sharing' ? config.evaluator.passes : 0,
        () => {
          const e = config!.evaluator;
          return e.kind === 'weight-sharing' && e.finalScreen !== undefined;
        },
        out,
      )
    : undefined;
  const clear = () => (ws ? ws.clear() : progress?.clear());
  const writeWs = () => (dir ? writeWsReport(dir).catch((err: Error) => log(`report: ${err.message}`)) : Promise.resolve());
  let queued = false;
  const signals = stopSignals(log, clear, weightSharing, () => queued);
  const options: RunOptions = {
    log: (line) => {
      clear();
      log(line);
    },
    onDownloadProgress: downloadBar(),
    signal: signals.signal,
    stopNow: signals.stopNow,
    onRun: (info) => {
      dir = info.dir;
      queued = (info.config.parallel ?? 1) > 1 || info.config.redis !== undefined;
      const epochs = info.config.evaluator.kind === 'child' ? (info.config.scheduler.maxEpochs ?? info.config.evaluator.epochs) : 1;
      if (!weightSharing) {
        progress = new SearchProgress({ epochs, episodes: info.config.episodes!, done: info.done, write: (t) => out.write(t), isTTY: out.isTTY === true });
        if (report) live = new LiveReport(info.dir, (m) => (progress?.clear(), log(m)));
      }
    },
    onEvent: (e: RunEvent) => {
      if (ws) {
        ws.handle(e as WsEvent, () => {
          if (report) lastWsReport = lastWsReport.then(writeWs);
        });
        return;
      }
      progress?.handle(e as Parameters<SearchProgress['handle']>[0]);
      if (e.type === 'episode-end') live?.request();
    },
  };
  const started = Date.now();
  let result: SearchResult;
  try {
    result =
      resumeDir !== undefined
        ? await resume(resumeDir, { ...options, ...overrides })
        : await search(config, { ...options, out: resolve((args.flags.out as string | undefined) ?? join('runs', timestamp())) });
  } catch (err) {
    if (err instanceof SearchConfigError) throw usageErrorOf(err, searchCommand);
    throw err;
  } finally {
    signals.release();
    clear();
  }
  const status = await summarize(result, started, report, live, lastWsReport, log, writeWs, table, weightSharing);
  if (json) print(JSON.stringify(resultJson(result, status)));
  return status;
}

/** The result as `--json` prints it: where the run is, how it ended, its best architecture. */
function resultJson(result: SearchResult, status: number): Record<string, unknown> {
  const best = result.best as (TrialRecord & { objective?: number | null }) | undefined;
  return {
    dir: result.dir,
    status: result.alreadyFinished ? 'already-finished' : result.stopped ? 'stopped' : 'finished',
    exitCode: status,
    backend: result.backend,
    episodes: result.episodesDone,
    ...(result.weightSharing
      ? {
          trainImageSteps: result.weightSharing.trainImageSteps,
          scoredImages: result.weightSharing.scoredImages,
          childEpochs: result.weightSharing.childEpochs,
        }
      : {}),
    best: best
      ? {
          episode: best.episode,
          accuracy: best.accuracy,
          key: best.key,
          params: best.params,
          cells: best.cells,
          ...(best.objective !== undefined ? { objective: best.objective } : {}),
        }
      : null,
    files: { config: join(result.dir, 'config.json'), trials: join(result.dir, 'trials.jsonl'), best: join(result.dir, 'best-cells.json') },
  };
}

async function summarize(
  result: SearchResult,
  started: number,
  report: boolean,
  live: LiveReport | undefined,
  lastWsReport: Promise<unknown>,
  log: (line: string) => void,
  writeWs: () => Promise<unknown>,
  table: boolean,
  weightSharing: boolean,
): Promise<number> {
  if (result.alreadyFinished) return 0;
  if (live) {
    // The reports written during the search saw its lock held ("in progress"); one more, now that the
    // runner has released it, says finished or stopped.
    await live.settle();
    live.request();
    await live.settle();
  }
  await lastWsReport;
  const took = formatDuration((Date.now() - started) / 1000);
  if (weightSharing) return wsSummary(result, took, report, log, writeWs);

  if (result.stopped)
    log(`stopped after ${result.episodesDone} of ${result.config.episodes} episodes (${took}); every finished episode is saved.\n${resumeHint(result.dir)}`);
  else if (result.resumedAfter)
    log(`finished ${result.episodesDone} episodes (${result.episodesDone - result.resumedAfter} in ${took}, after resuming at ${result.resumedAfter}).`);
  else log(`finished ${result.episodesDone} episodes in ${took}.`);
  const best = result.best as TrialRecord | undefined;
  if (best && best.accuracy !== null) {
    const column = result.config.problem.space === 'nas-bench-201' ? result.config.problem.column : '';
    const what = table ? `${column} test accuracy (table)` : 'validation accuracy';
    log(`best: episode ${best.episode}, ${what} ${best.accuracy.toFixed(4)}${table ? '' : `, ${best.params} parameters`}`);
    const space = spaceOf(result.config);
    for (const line of space.describe(space.validate(best.cells))) log(line);
    log(`best cells: ${join(result.dir, 'best-cells.json')}`);
  } else log('no child trained successfully.');
  log(`trials: ${join(result.dir, 'trials.jsonl')}`);
  if (live) log(`report: ${join(result.dir, REPORT_DIR, 'index.html')}`);
  return result.stopped ? STOPPED_STATUS : 0;
}

async function wsSummary(
  result: SearchResult,
  took: string,
  report: boolean,
  log: (line: string) => void,
  writeReport: () => Promise<unknown>,
): Promise<number> {
  if (result.stopped) {
    log(`stopped after ${took}; the checkpoint holds every finished step.\nresume with: nascent search --resume ${result.dir}`);
    return STOPPED_STATUS;
  }
  const outcome = result.weightSharing!;
  const e = result.config.evaluator;
  const trainImages = Number(result.config.run?.data?.trainImages ?? 0);
  log(
    `finished the weight-sharing search in ${took}: ${outcome.trainImageSteps} training image-steps (${outcome.childEpochs.toFixed(2)} child-epochs of ${trainImages} images) and ${outcome.scoredImages} images scored.`,
  );
  if (outcome.best && e.kind === 'weight-sharing') {
    const best = outcome.best;
    log(`best: validation accuracy ${best.accuracy.toFixed(4)} with the shared weights (final sample ${best.episode}), ${best.params} parameters stand-alone`);
    const space = spaceOf(result.config);
    for (const line of space.describe(space.validate(best.cells))) log(line);
    log(`best cells: ${join(result.dir, WS_FILES.best)} (retrain: nascent train --cells ${join(result.dir, WS_FILES.best)})`);
    log(`top cells: ${join(result.dir, WS_FILES.top)}`);
  }
  if (report) {
    await writeReport();
    log(`report: ${join(result.dir, REPORT_DIR, 'index.html')}`);
  }
  return 0;
}
