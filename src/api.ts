// nascent as a library. `search(config)` runs any search the CLI can (trained children, Hyperband,
// pruning, the MnasNet objective, weight sharing, the NAS-Bench-201 table) from a SearchConfig, and
// `resume(dir)` continues one: both are the runner's (src/run/runner.ts), which the CLI calls too,
// so a library run and a CLI run of the same config are the same search. Your own images, Strategy
// or Evaluator plug in through the options. `train(cells)` trains found cells from scratch.
import { describeBackend, prepareBackend } from './backend/index.js';
import type { BackendChoice, SearchConfig, SearchConfigInput } from './config/schema.js';
import { arrayDataset, resolveDataset, type ArrayDatasetInput, type Dataset, type DatasetLoadOptions } from './data/datasets.js';
import type { FinalTrainResult } from './evaluators/child/final-train.js';
import { CHILD_DEFAULTS } from './evaluators/child/manager.js';
import { resume as resumeRun, search as runSearchConfig, type ResumeOverrides, type RunOptions, type SearchResult } from './run/runner.js';
import { trainCells } from './run/train.js';
import type { CellPair } from './spaces/nasnet/types.js';

export type { SearchResult, RunOptions, ResumeOverrides, RunEvent } from './run/runner.js';

/** The default filters of the five cells (the book's `initial_channels ** width`). */
export const DEFAULT_CHANNELS = [4, 16, 16, 256, 256];

/** A data set by name ('cifar10', 'fashion-mnist', 'mnist', 'folder:DIR'), a Dataset object, or your own images. */
export type DataInput = string | Dataset | ArrayDatasetInput;

function datasetOf(input: DataInput): Dataset {
  if (typeof input === 'string') return resolveDataset(input);
  if (typeof (input as Dataset).load === 'function') return input as Dataset;
  return arrayDataset(input as ArrayDatasetInput);
}

export interface SearchOptions extends Omit<RunOptions, 'dataset'> {
  /** Run directory (config.json, trials.jsonl, best-cells.json, ...); default runs/<timestamp>. */
  out?: string;
  /** Images of your own (or a Dataset object) instead of the config's named data set. */
  data?: DataInput;
}

/**
 * Runs the search `config` describes: a SearchConfig, any field with a default left out (see
 * docs/reference/config.md and schema/search-config.schema.json). Every trial is recorded in the
 * run directory as it finishes; `options.signal` stops after the episode in hand, and
 * `resume(result.dir)` goes on from there.
 */
export function search(config: SearchConfigInput | SearchConfig = {}, options: SearchOptions = {}): Promise<SearchResult> {
  const { data, ...rest } = options;
  if (data === undefined) return runSearchConfig(config, rest);
  const dataset = datasetOf(data);
  // Your own images stand where the config names a data set; the run records their name.
  const problem = (config.problem ?? { space: 'nasnet' }) as Record<string, unknown>;
  if (problem.space !== undefined && problem.space !== 'nasnet')
    throw new RangeError(`options.data gives images, but the config searches ${String(problem.space)}, which reads none`);
  const withData = {
    ...config,
    problem: { ...problem, space: 'nasnet', data: { ...(problem.data as object | undefined), dataset: dataset.name } },
  } as SearchConfigInput;
  return runSearchConfig(withData, { ...rest, dataset });
}

/** Continues the run in `dir` with its own config.json; `options` may change only how far and where it runs. */
export function resume(dir: string, options: Omit<SearchOptions, 'out'> & ResumeOverrides = {}): Promise<SearchResult> {
  const { data, ...rest } = options;
  return resumeRun(dir, { ...rest, ...(data !== undefined ? { dataset: datasetOf(data) } : {}) });
}

export interface TrainOptions {
  /** Default 'cifar10'. Your own images need a `test` set here. */
  data?: DataInput;
  /** How to load it: a data directory, a mirror, a folder's image size; `trainLimit` here works as the top-level one. */
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
  for (const [key, value] of Object.entries({
    epochs: options.epochs,
    batchSize: options.batchSize,
    trainLimit: options.trainLimit ?? options.dataOptions?.trainLimit,
  })) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1))
      throw new RangeError(`train: ${key} must be an integer ≥ 1, got ${JSON.stringify(value)}`);
  }
  const backend = await prepareBackend(options.backend ?? 'auto');
  for (const line of describeBackend(backend)) log(line);
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const { result, data } = await trainCells(cells, {
    dataset: datasetOf(options.data ?? 'cifar10'),
    load: { log, ...options.dataOptions, limit: options.trainLimit ?? options.dataOptions?.trainLimit, seed },
    backend,
    channels: options.channels ?? DEFAULT_CHANNELS,
    hierarchical: options.hierarchical ?? false,
    epochs: options.epochs ?? 20,
    batchSize: options.batchSize ?? CHILD_DEFAULTS.batchSize,
    lr: options.lr ?? CHILD_DEFAULTS.learningRate,
    seed,
    microBatch: options.microBatch,
    onData: (d) => log(`data: ${d.train.count} training and ${d.test.count} test images from ${d.source}`),
    hooks: { signal: options.signal },
  });
  return { ...result, classes: data.classes, backend: backend.name };
}
