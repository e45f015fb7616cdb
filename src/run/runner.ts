// The one runner behind every search: `search(config)` starts one from a SearchConfig, `resume(dir)`
// continues one from the config.json it wrote. The CLI, the library and (later) workers and
// browser tabs call these; none of them wires spaces, strategies, evaluators or stores itself.
//
// The kinds of search differ only in their evaluator: trained children and table lookups go
// through the episode loop (src/search/loop.ts), weight sharing through its own loop over a shared
// network (src/evaluators/supernet/search.ts). Both write the same run directory.
import { join, resolve } from 'node:path';
import { describeBackend, prepareBackend, type PreparedBackend } from '../backend/index.js';
import { resolveSearchConfig, settingsOnly } from '../config/resolve.js';
import type { BackendChoice, SearchConfig, SearchConfigInput } from '../config/schema.js';
import { upgradeConfig } from '../config/upgrade.js';
import type { Dataset } from '../data/datasets.js';
import type { DownloadProgress } from '../data/download.js';
import { defaultMicroBatch } from '../evaluators/child/final-train.js';
import { ChildManager } from '../evaluators/child/manager.js';
import { readWsCheckpoint, runWeightSharing, WS_FILES, type WeightSharingOutcome, type WsEvent } from '../evaluators/supernet/search.js';
import { SupernetWeights } from '../evaluators/supernet/shared-weights.js';
import { TabularEvaluator } from '../evaluators/table/evaluator.js';
import { runSearch, type SearchEvent } from '../search/loop.js';
import { recoverRun, type RecoveredRun } from '../search/resume.js';
import type { Evaluator, Strategy } from '../search/types.js';
import type { BestCellsFile, TrialRecord } from '../store/records.js';
import { RunStore, RunStoreError } from '../store/run-store.js';
import { baselineOf, fullBudgetOf, loadSearchImages, loadTable, objectiveOf, schedulingOf, spaceOf, strategyOf } from './parts.js';

export type RunEvent = SearchEvent | WsEvent;

export interface RunOptions {
  /** Lines for a person: the backend, the data, the run directory, repairs. */
  log?: (line: string) => void;
  /** Every event of the search: episodes, epochs and batches; weight sharing's steps and final samples. */
  onEvent?: (event: RunEvent) => void;
  /** A download's progress (the data set, the table). */
  onDownloadProgress?: DownloadProgress;
  /** Stops gracefully: the episode in hand is finished and recorded (weight sharing: a checkpoint at the next step). */
  signal?: AbortSignal;
  /** Stops now: the child in hand is dropped, the run stays at the last recorded episode. */
  stopNow?: AbortSignal;
  /** Your own strategy instead of the config's (its name is recorded; you dispose of it). */
  strategy?: Strategy;
  /** Your own evaluator instead of trained children (episode searches). */
  evaluator?: Evaluator;
  /** Your own images (e.g. arrayDataset(...)) instead of the config's named data set. */
  dataset?: Dataset;
  /** Called once the run directory is made or opened, before the slow part. */
  onRun?: (info: RunInfoEvent) => void;
}

export interface RunInfoEvent {
  dir: string;
  config: SearchConfig;
  /** Episodes (or, for weight sharing, 0) already done by an earlier process. */
  done: number;
  resumed: boolean;
  backend: string;
}

/** What a resume may change: how far the search goes, and where and how it computes. */
export interface ResumeOverrides {
  episodes?: number;
  backend?: BackendChoice;
  /** Where the images are on this machine. */
  dataDir?: string;
  /** Where the NAS-Bench-201 table is on this machine. */
  table?: string;
  microBatch?: number;
}

export interface SearchResult {
  dir: string;
  config: SearchConfig;
  backend: string;
  /** Stopped by a signal before the end; `resume(dir)` goes on. */
  stopped: boolean;
  /** The run had already finished when resumed: nothing was done. */
  alreadyFinished?: boolean;
  /** The best trial (an episode search) or the best final sample (weight sharing); undefined when none finished. */
  best?: TrialRecord | BestCellsFile;
  /** Every trial of an episode search, in order. */
  trials: TrialRecord[];
  /** Episodes finished (episode searches). */
  episodesDone: number;
  /** Where this process began: episodes an earlier one finished. */
  resumedAfter?: number;
  /** Weight sharing's cost and final samples. */
  weightSharing?: WeightSharingOutcome;
}

const timestamp = (d = new Date()) =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
    .replace('T', '-');

/** Starts the search `config` describes in `out` (default runs/<timestamp>). */
export async function search(input: SearchConfigInput | SearchConfig, options: RunOptions & { out?: string } = {}): Promise<SearchResult> {
  const config = settingsOnly(resolveSearchConfig(input, { source: 'search config' }));
  const out = resolve(options.out ?? join('runs', timestamp()));
  // Refused before anything slow: a directory that already holds a run.
  RunStore.assertFree(out);
  const backend = await prepareBackend(config.backend);
  for (const line of describeBackend(backend)) options.log?.(line);
  return run(config, backend, options, { out });
}

/** The config.json of the run in `dir`, in the current version's shape. */
export function readRunConfig(store: RunStore): SearchConfig {
  return recordedConfigOf(store.readConfig(), store.path('config'));
}

/** A run's recorded config (config.json of any version) as a current SearchConfig; a RunStoreError names what is wrong. */
export function recordedConfigOf(raw: unknown, path: string): SearchConfig {
  try {
    return resolveSearchConfig(upgradeConfig(raw, path), { source: path, seed: () => 0 });
  } catch (err) {
    throw new RunStoreError((err as Error).message);
  }
}

/** Continues the run in `dir` with its own settings; `overrides` change only where and how far it runs. */
export async function resume(dir: string, options: RunOptions & ResumeOverrides = {}): Promise<SearchResult> {
  const store = RunStore.open(resolve(dir));
  try {
    const recorded = readRunConfig(store);
    const config = applyOverrides(recorded, options);
    const log = options.log ?? (() => {});
    if (store.stalePid !== undefined) log(`taking over the lock of process ${store.stalePid}, which ended without releasing it`);
    const prepared = config.evaluator.kind === 'weight-sharing' ? prepareWsResume(store, config, log) : prepareEpisodeResume(store, config, log);
    if (prepared.finished) {
      return {
        dir: store.dir,
        config,
        backend: '',
        stopped: false,
        alreadyFinished: true,
        trials: prepared.recovered?.trials ?? [],
        episodesDone: prepared.recovered?.done ?? 0,
        best: prepared.recovered?.best,
      };
    }
    const backend = await prepareBackend(config.backend);
    for (const line of describeBackend(backend)) log(line);
    return await run(config, backend, options, { store, recovered: prepared.recovered });
  } finally {
    store.close();
  }
}

/** A resumed run's config with what a resume may change applied. */
export function applyOverrides(c: SearchConfig, o: ResumeOverrides): SearchConfig {
  const out = structuredClone(c);
  if (o.episodes !== undefined) {
    if (out.evaluator.kind === 'weight-sharing')
      throw new RunStoreError('episodes do not apply to a weight-sharing run: its passes and controller steps set its length');
    out.episodes = o.episodes;
  }
  if (o.backend !== undefined) out.backend = o.backend;
  if (o.dataDir !== undefined && out.problem.space === 'nasnet') out.problem.data.dir = resolve(o.dataDir);
  if (o.table !== undefined && out.problem.space === 'nas-bench-201') out.problem.table = resolve(o.table);
  if (o.microBatch !== undefined && out.evaluator.kind === 'child') out.evaluator.microBatch = o.microBatch;
  return out;
}

function prepareEpisodeResume(store: RunStore, config: SearchConfig, log: (line: string) => void): { finished: boolean; recovered: RecoveredRun } {
  const recovered = recoverRun(store, objectiveOf(config).cost);
  for (const repair of recovered.repairs) log(`repaired: ${repair}`);
  const episodes = config.episodes!;
  if (episodes < recovered.done) throw new RunStoreError(`episodes ${episodes} is fewer than the ${recovered.done} episodes the run has finished`);
  if (recovered.done >= episodes) {
    log(`the run has already finished its ${recovered.done} episodes; pass --episodes N (N > ${recovered.done}) to go on.`);
    return { finished: true, recovered };
  }
  return { finished: false, recovered };
}

function prepareWsResume(store: RunStore, config: SearchConfig, log: (line: string) => void): { finished: boolean; recovered?: undefined } {
  const removed = store.removeTemporaryFiles();
  if (removed > 0) log(`repaired: removed ${removed} temporary file${removed === 1 ? '' : 's'} of an interrupted write`);
  const saved = readWsCheckpoint(store.dir);
  if (saved?.checkpoint.phase === 'done') {
    const e = config.evaluator as Extract<SearchConfig['evaluator'], { kind: 'weight-sharing' }>;
    log(
      `the run has already finished its weight-sharing search (${e.passes} passes, ${e.finalSamples} final samples); its best cells: ${join(store.dir, WS_FILES.best)}`,
    );
    return { finished: true };
  }
  return { finished: false };
}

interface Target {
  /** A new run's directory. */
  out?: string;
  /** A resumed run's store, and what recovering it found. */
  store?: RunStore;
  recovered?: RecoveredRun;
}

/** The config as config.json records it: the settings, and the run's facts under `run`. */
function recordOf(config: SearchConfig, backend: PreparedBackend, facts: Record<string, unknown>, target: Target, options: RunOptions): SearchConfig {
  const at = new Date().toISOString();
  const run = config.run ?? {};
  if (target.store) {
    const afterWhat =
      config.evaluator.kind === 'weight-sharing'
        ? { afterStep: readWsCheckpoint(target.store.dir)?.checkpoint.trainSteps ?? 0 }
        : { afterEpisode: target.recovered?.done ?? 0 };
    return {
      ...config,
      run: {
        ...run,
        backendUsed: backend.name,
        data: { ...run.data, ...facts },
        resumes: [...(run.resumes ?? []), { at, ...afterWhat, backendUsed: backend.name }],
      },
    };
  }
  return {
    ...config,
    ...(options.strategy ? { strategy: { ...config.strategy, name: options.strategy.name as SearchConfig['strategy']['name'] } } : {}),
    run: {
      created: at,
      backendUsed: backend.name,
      ...(Object.keys(facts).length > 0 ? { data: facts } : {}),
      ...(options.strategy || options.evaluator || options.dataset ? { library: true } : {}),
    },
  };
}

/** Opens or creates the run directory and writes config.json; the store is the caller's to close. */
function storeFor(config: SearchConfig, target: Target): RunStore {
  if (target.store) {
    target.store.writeConfig(config as unknown as Record<string, unknown>);
    return target.store;
  }
  return RunStore.create(target.out!, config as unknown as Record<string, unknown>);
}

async function run(config: SearchConfig, backend: PreparedBackend, options: RunOptions, target: Target): Promise<SearchResult> {
  if (config.evaluator.kind === 'weight-sharing') return runWs(config, backend, options, target);
  const log = options.log ?? (() => {});
  const space = spaceOf(config);
  let evaluator = options.evaluator;
  let facts: Record<string, unknown> = {};
  if (!evaluator && config.problem.space === 'nas-bench-201') {
    const { file, table } = await loadTable(config, { log, onProgress: options.onDownloadProgress });
    const column = config.problem.column;
    const best = table.best(column);
    log(
      `table: ${table.size} NAS-Bench-201 cells from ${file}; each architecture's ${column} test accuracy is looked up (best in the table ${best.accuracy.toFixed(2)})`,
    );
    evaluator = new TabularEvaluator(table, column);
    facts = { table: file, tableOptimum: best.accuracy / 100 };
  } else if (!evaluator && config.evaluator.kind === 'child') {
    const splits = await loadSearchImages(config, { log, onProgress: options.onDownloadProgress }, options.dataset);
    const { train, val } = splits;
    const about =
      options.dataset || config.problem.space !== 'nasnet' || config.problem.data.dataset !== 'cifar10'
        ? `, ${train.height}x${train.width}x${train.channels}, ${splits.classes.length} classes`
        : '';
    log(`data: ${train.count} training and ${val.count} validation images (disjoint) from ${splits.source}${about}`);
    const e = config.evaluator;
    evaluator = new ChildManager({
      data: { train, val },
      numClasses: splits.classes.length,
      channels: e.channels,
      epochs: e.epochs,
      batchSize: e.batchSize,
      learningRate: e.lr,
      seed: config.seed,
      hierarchical: config.problem.space === 'nasnet' && config.problem.hierarchical,
      microBatch: e.microBatch ?? defaultMicroBatch(backend.name),
    });
    facts = {
      ...splits.record,
      imageShape: [train.height, train.width, train.channels],
      classes: splits.classes,
      trainImages: train.count,
      valImages: val.count,
    };
  }
  if (!evaluator) throw new Error(`no evaluator for a ${config.evaluator.kind} search`);

  const strategy = options.strategy ?? strategyOf(config, space.decisions);
  const ownStrategy = options.strategy === undefined;
  try {
    const baseline = baselineOf(config);
    const { scheduler, pruner } = schedulingOf(config);
    const recovered = target.recovered;
    if (recovered?.checkpoint) {
      await strategy.setState(recovered.checkpoint.strategy);
      baseline.setState(recovered.checkpoint.baseline);
      if (recovered.checkpoint.scheduler !== undefined) scheduler.setState(recovered.checkpoint.scheduler);
    }
    const recordedConfig = recordOf(config, backend, facts, target, options);
    const store = storeFor(recordedConfig, target);
    try {
      log(target.store ? `run: ${store.dir} (resuming after episode ${recovered?.done ?? 0} of ${config.episodes})` : `run: ${store.dir}`);
      options.onRun?.({ dir: store.dir, config: recordedConfig, done: recovered?.done ?? 0, resumed: target.store !== undefined, backend: backend.name });
      const { objective, cost } = objectiveOf(config);
      const outcome = await runSearch({
        store,
        space,
        strategy,
        evaluator,
        baseline,
        episodes: config.episodes!,
        done: recovered?.done,
        best: recovered?.best,
        backend: backend.name,
        settings: recordedConfig as unknown as Record<string, unknown>,
        onEvent: options.onEvent,
        signal: options.signal,
        childSignal: options.stopNow,
        scheduler,
        pruner,
        retrainDuplicates: config.scheduler.retrainDuplicates,
        history: recovered?.trials,
        defaultBudget: fullBudgetOf(config),
        objective,
        frontCost: cost,
        // Every trained child's latency is recorded (a few batch-1 predictions); a table has none.
        measureLatency: config.evaluator.kind === 'child' && options.evaluator === undefined,
      });
      return {
        dir: store.dir,
        config: recordedConfig,
        backend: backend.name,
        stopped: outcome.stopped,
        best: outcome.best,
        trials: store.readTrials().trials,
        episodesDone: outcome.episodesDone,
        ...(recovered ? { resumedAfter: recovered.done } : {}),
      };
    } finally {
      if (!target.store) store.close();
    }
  } finally {
    if (ownStrategy) strategy.dispose();
  }
}

async function runWs(config: SearchConfig, backend: PreparedBackend, options: RunOptions, target: Target): Promise<SearchResult> {
  const log = options.log ?? (() => {});
  const e = config.evaluator as Extract<SearchConfig['evaluator'], { kind: 'weight-sharing' }>;
  if (options.evaluator) throw new Error('a weight-sharing search scores children with its shared network; it takes no evaluator of your own');
  if (config.problem.space !== 'nasnet') throw new Error('weight sharing searches the NASNet space');
  const splits = await loadSearchImages(config, { log, onProgress: options.onDownloadProgress }, options.dataset);
  const data = { train: splits.train, val: splits.val };
  const about =
    options.dataset || config.problem.data.dataset !== 'cifar10'
      ? `, ${data.train.height}x${data.train.width}x${data.train.channels}, ${splits.classes.length} classes`
      : '';
  log(`data: ${data.train.count} training and ${data.val.count} validation images (disjoint) from ${splits.source}${about}`);
  const space = spaceOf(config);
  const strategy = options.strategy ?? strategyOf(config, space.decisions);
  const baseline = baselineOf(config);
  const { height, width, channels } = data.train;
  const numClasses = splits.classes.length;
  const p = config.problem;
  const net = new SupernetWeights({
    channels: e.channels,
    blocks: p.blocks,
    hierarchical: p.hierarchical,
    inputShape: [height, width, channels],
    numClasses,
    seed: config.seed,
    learningRate: e.lr,
  });
  try {
    const facts = {
      ...splits.record,
      imageShape: [height, width, channels],
      classes: splits.classes,
      trainImages: data.train.count,
      valImages: data.val.count,
    };
    const saved = target.store ? readWsCheckpoint(target.store.dir) : undefined;
    const recordedConfig = recordOf(config, backend, facts, target, options);
    const store = storeFor(recordedConfig, target);
    try {
      log(
        target.store
          ? `run: ${store.dir} (resuming ${saved ? `at pass ${saved.checkpoint.epoch + 1}, after ${saved.checkpoint.trainSteps} shared-weight steps and ${saved.checkpoint.steps} strategy steps` : 'from the start: no checkpoint was written'})`
          : `run: ${store.dir}`,
      );
      options.onRun?.({ dir: store.dir, config: recordedConfig, done: 0, resumed: target.store !== undefined, backend: backend.name });
      const screening = e.finalScreen !== undefined && e.finalScreen < data.val.count;
      log(
        `weight sharing: ${e.passes} passes of ${Math.ceil(data.train.count / e.batchSize)} shared-weight steps (batch ${e.batchSize}, Adam ${e.lr}), ` +
          `${e.controllerSteps} ${config.strategy.name} steps on validation batches after each; then ${e.finalSamples} architectures scored on ${screening ? `${e.finalScreen} validation images, the best ${Math.min(e.topCells, e.finalSamples)} of them on all ${data.val.count}` : `all ${data.val.count} validation images`}`,
      );
      const signal = anySignal(options.signal, options.stopNow);
      const outcome = await runWeightSharing({
        dir: store.dir,
        space,
        strategy,
        baseline,
        net,
        data,
        settings: {
          wsEpochs: e.passes,
          controllerSteps: e.controllerSteps,
          batchSize: e.batchSize,
          finalSamples: e.finalSamples,
          ...(e.finalScreen !== undefined ? { finalScreen: e.finalScreen } : {}),
          topCells: e.topCells,
          checkpointEvery: e.checkpointEvery,
          seed: config.seed,
          numClasses,
        },
        config: recordedConfig as unknown as Record<string, unknown>,
        onEvent: options.onEvent,
        signal,
      });
      return {
        dir: store.dir,
        config: recordedConfig,
        backend: backend.name,
        stopped: outcome.stopped,
        best: outcome.best,
        trials: [],
        episodesDone: 0,
        weightSharing: outcome,
      };
    } finally {
      if (!target.store) store.close();
    }
  } finally {
    if (!options.strategy) strategy.dispose();
    net.dispose();
  }
}

/** One signal that fires when either does (weight sharing checkpoints at the next step for both). */
function anySignal(a?: AbortSignal, b?: AbortSignal): AbortSignal | undefined {
  if (!a || !b) return a ?? b;
  return AbortSignal.any([a, b]);
}
