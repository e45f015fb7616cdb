// Training found cells from scratch on the whole training side of a data set and scoring its test
// set once: what `nascent train` and the library's `train()` both do, wired here once (the data set,
// the backend's micro-batch default, the final trainer), so neither wires children and data itself.
import type { PreparedBackend } from '../backend/index.js';
import type { Dataset, DatasetLoadOptions, FinalSplits } from '../data/datasets.js';
import { withOfflineHint } from '../data/offline-hint.js';
import { defaultMicroBatch, trainFinal, type FinalTrainHooks, type FinalTrainResult } from '../evaluators/child/final-train.js';
import type { CellPair } from '../spaces/nasnet/types.js';

export interface TrainCellsOptions {
  /** The data set whose training side trains the cells and whose test set scores them. */
  dataset: Dataset;
  /** How to load it (data directory, mirror, a folder's image size, a log), and a subset of `limit` training images drawn with `seed`. */
  load?: DatasetLoadOptions & { limit?: number; seed?: number };
  backend: PreparedBackend;
  channels: number[];
  hierarchical: boolean;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** Slices of a batch trained at once (default: 64 on wasm, else the whole batch). */
  microBatch?: number;
  /** Called with the loaded data before training begins (to say what was loaded, to make the output directory). */
  onData?(data: FinalSplits, microBatch: number): void;
  hooks?: FinalTrainHooks;
}

export interface TrainCellsResult {
  result: FinalTrainResult;
  data: FinalSplits;
  microBatch: number;
}

export async function trainCells(cells: CellPair, o: TrainCellsOptions): Promise<TrainCellsResult> {
  const data = await o.dataset.loadFinal({ ...o.load }).catch(withOfflineHint(o.dataset.name));
  const microBatch = o.microBatch ?? defaultMicroBatch(o.backend.name);
  o.onData?.(data, microBatch);
  const result = await trainFinal(
    {
      cells,
      train: data.train,
      test: data.test,
      channels: o.channels,
      hierarchical: o.hierarchical,
      epochs: o.epochs,
      batchSize: o.batchSize,
      learningRate: o.lr,
      seed: o.seed,
      numClasses: data.classes.length,
      microBatch,
    },
    o.hooks,
  );
  return { result, data, microBatch };
}
