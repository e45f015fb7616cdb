// nascent as a library: search and train from your own code, on a data set by name, a Dataset
// object, or images you hold in memory, with a built-in strategy or your own Strategy object, and
// the trained-child evaluator or your own Evaluator. The CLI's commands are wirings of the same
// pieces; this module is the smaller, programmatic wiring (no flags, no progress bars, no report).
import { join, resolve } from 'node:path';
import { describeBackend, prepareBackend, type BackendChoice } from './backend/index.js';
import { nasnetSpace } from './spaces/nasnet/space.js';
import type { CellPair } from './spaces/nasnet/types.js';
import { defaultMicroBatch, trainFinal, type FinalTrainResult } from './evaluators/child/final-train.js';
import { ChildManager, CHILD_DEFAULTS } from './evaluators/child/manager.js';
import { MovingBaseline } from './strategies/controller/baseline.js';
import { arrayDataset, resolveDataset, type ArrayDatasetInput, type Dataset, type DatasetLoadOptions } from './data/datasets.js';
import { runSearch, type SearchEvent } from './search/loop.js';
import { makeStrategy, STRATEGY_NAMES, type StrategyName, type StrategySettings } from './strategies/index.js';
import type { Evaluator, Strategy } from './search/types.js';
import { RunStore } from './store/run-store.js';
import type { TrialRecord } from './store/records.js';

/** The default filters of the five cells (the book's `initial_channels ** width`). */
export const DEFAULT_CHANNELS = [4, 16, 16, 256, 256];

/** A data set by name ('cifar10', 'fashion-mnist', 'mnist', 'folder:DIR'), a Dataset object, or your own images. */
export type DataInput = string | Dataset | ArrayDatasetInput;

function datasetOf(input: DataInput): Dataset {
  if (typeof input === 'string') return resolveDataset(input);
  if (typeof (input as Dataset).load === 'function') return input as Dataset;
  return arrayDataset(input as ArrayDatasetInput);
}

const isStrategy = (s: unknown): s is Strategy =>
  typeof s === 'object' && s !== null && typeof (s as Strategy).propose === 'function' && typeof (s as Strategy).observe === 'function';

export interface SearchOptions {
  /** What children train on (default 'cifar10'); not needed with an `evaluator` of your own. */
  data?: DataInput;
  /** Options for loading it: limits, split seed, data directory, image size of a folder, a log. */
  dataOptions?: DatasetLoadOptions;
  /** A strategy by name (default 'controller') or your own object behind the Strategy interface. */
  strategy?: StrategyName | Strategy;
  /** Settings of a built-in strategy. */
  strategySettings?: StrategySettings;
  /** Your own evaluator (it gets each architecture, a CellPair); default: a ChildManager training children on `data`. */
  evaluator?: Evaluator<CellPair>;
  /** Run directory (trials.jsonl, best-cells.json, checkpoint.json); default runs/<timestamp>. */
  out?: string;
  episodes?: number;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  channels?: number[];
  blocks?: number;
  hierarchical?: boolean;
  seed?: number;
  backend?: BackendChoice;
  microBatch?: number;
  /** Every event of the loop (episode start, epochs, batches, episode end with the trial). */
  onEvent?(event: SearchEvent): void;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface SearchResult {
  /** The best trial (cells, accuracy, episode, params, ...); undefined when no child trained. */
  best?: TrialRecord;
  trials: TrialRecord[];
  /** The run directory. */
  dir: string;
  backend: string;
}

const stamp = () =>
  new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
    .replace('T', '-');

/**
 * Searches NASNet cells. Loads `data`, trains one child per episode (or asks your evaluator),
 * feeds `accuracy - moving baseline` to the strategy, and records every trial in `out`.
 */
export async function search(options: SearchOptions = {}): Promise<SearchResult> {
  const log = options.log ?? (() => {});
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const episodes = options.episodes ?? 150;
  const space = nasnetSpace({ blocks: options.blocks ?? 5, hierarchical: options.hierarchical ?? false });
  const backend = await prepareBackend(options.backend ?? 'auto');
  for (const line of describeBackend(backend)) log(line);

  let evaluator = options.evaluator as Evaluator | undefined;
  let data: Record<string, unknown> = { evaluator: 'custom' };
  const channels = options.channels ?? DEFAULT_CHANNELS;
  const epochs = options.epochs ?? CHILD_DEFAULTS.epochs;
  if (!evaluator) {
    const dataset = datasetOf(options.data ?? 'cifar10');
    const splits = await dataset.load({ log, ...options.dataOptions, test: false });
    log(
      `data: ${splits.train.count} training and ${splits.val.count} validation images (disjoint) from ${splits.source}, ${splits.shape.height}x${splits.shape.width}x${splits.shape.channels}, ${splits.classes.length} classes`,
    );
    evaluator = new ChildManager({
      data: { train: splits.train, val: splits.val },
      numClasses: splits.classes.length,
      channels,
      epochs,
      batchSize: options.batchSize ?? CHILD_DEFAULTS.batchSize,
      learningRate: options.lr ?? CHILD_DEFAULTS.learningRate,
      seed,
      hierarchical: options.hierarchical ?? false,
      microBatch: options.microBatch ?? defaultMicroBatch(backend.name),
    });
    data = { dataset: dataset.name, ...splits.record, imageShape: [splits.shape.height, splits.shape.width, splits.shape.channels], classes: splits.classes };
  }
  const given = options.strategy ?? 'controller';
  if (!isStrategy(given) && !(STRATEGY_NAMES as readonly string[]).includes(given))
    throw new RangeError(`unknown strategy ${JSON.stringify(given)} (one of ${STRATEGY_NAMES.join(', ')}, or a Strategy object)`);
  const strategy = isStrategy(given) ? given : makeStrategy(given, space.decisions, seed, options.strategySettings);
  const settings = {
    format: 'nascent.search-config',
    version: 1,
    library: true,
    episodes,
    epochs,
    channels,
    blocks: options.blocks ?? 5,
    hierarchical: options.hierarchical ?? false,
    seed,
    strategy: isStrategy(given) ? given.name : given,
    space: { id: space.id, ...space.settings },
    ...data,
    backendUsed: backend.name,
    created: new Date().toISOString(),
  };
  const store = RunStore.create(resolve(options.out ?? join('runs', stamp())), settings);
  try {
    log(`run: ${store.dir}`);
    const outcome = await runSearch({
      store,
      space,
      strategy,
      evaluator,
      baseline: new MovingBaseline({ window: 20, initial: 0.1 }),
      episodes,
      backend: backend.name,
      settings,
      onEvent: options.onEvent,
      signal: options.signal,
      childSignal: options.signal,
      defaultBudget: epochs,
    });
    return { best: outcome.best, trials: store.readTrials().trials, dir: store.dir, backend: backend.name };
  } finally {
    store.close();
    // A strategy the caller made is the caller's to dispose.
    if (!isStrategy(given)) strategy.dispose();
  }
}

export interface TrainOptions {
  /** Default 'cifar10'. Your own images need a `test` set here. */
  data?: DataInput;
  dataOptions?: DatasetLoadOptions;
  channels?: number[];
  hierarchical?: boolean;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  /** Train on a seeded random subset of N training images. */
  trainLimit?: number;
  backend?: BackendChoice;
  microBatch?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface TrainResult extends FinalTrainResult {
  classes: string[];
  backend: string;
}

/**
 * Trains `cells` from scratch on every training image of `data` and scores the test set once.
 * The result holds the trained tfjs model: save it (saveLayersModel) and dispose() it when done.
 */
export async function train(cells: CellPair, options: TrainOptions = {}): Promise<TrainResult> {
  const log = options.log ?? (() => {});
  const backend = await prepareBackend(options.backend ?? 'auto');
  for (const line of describeBackend(backend)) log(line);
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const data = await datasetOf(options.data ?? 'cifar10').loadFinal({ log, ...options.dataOptions, limit: options.trainLimit, seed });
  log(`data: ${data.train.count} training and ${data.test.count} test images from ${data.source}`);
  const result = await trainFinal(
    {
      cells,
      train: data.train,
      test: data.test,
      channels: options.channels ?? DEFAULT_CHANNELS,
      hierarchical: options.hierarchical ?? false,
      epochs: options.epochs ?? 20,
      batchSize: options.batchSize ?? CHILD_DEFAULTS.batchSize,
      learningRate: options.lr ?? CHILD_DEFAULTS.learningRate,
      seed,
      numClasses: data.classes.length,
      microBatch: options.microBatch ?? defaultMicroBatch(backend.name),
    },
    { signal: options.signal },
  );
  return { ...result, classes: data.classes, backend: backend.name };
}
