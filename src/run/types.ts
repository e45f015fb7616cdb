// What the runner takes and gives: its options, events and result, shared by the kinds of search.
import type { BackendChoice, SearchConfig } from '../config/schema.js';
import type { Dataset } from '../data/datasets.js';
import type { DownloadProgress } from '../data/download.js';
import type { WeightSharingOutcome, WsEvent } from '../evaluators/supernet/search.js';
import type { SearchEvent } from '../search/loop.js';
import type { RecoveredRun } from '../search/resume.js';
import type { Evaluator, Strategy } from '../search/types.js';
import type { BestCellsFile, TrialRecord } from '../store/records.js';
import type { WorkerBeat } from '../workers/worker.js';
import type { RunStore } from '../store/run-store.js';

export type RunEvent = SearchEvent | WsEvent | WorkersEvent;

/** The queue's workers, from their heartbeats (searches with --redis, every few seconds). */
export interface WorkersEvent {
  type: 'workers';
  workers: WorkerBeat[];
}

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
  /** Children in flight at once. */
  parallel?: number;
  /** The Redis server whose queue the children go to (a recorded URL loses its password: give it again). */
  redis?: string;
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

/** Where a search writes: a new run's directory, or a resumed run's store and what recovering it found. */
export interface Target {
  /** A new run's directory. */
  out?: string;
  /** A resumed run's store, and what recovering it found. */
  store?: RunStore;
  recovered?: RecoveredRun;
}
