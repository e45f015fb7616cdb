// The search's seams, after Optuna (study / sampler / storage) and NNI (space / strategy / evaluator):
// a Strategy proposes action sequences over a space's decisions and learns from feedback without
// knowing what a decision means or how a child is trained; the SearchSpace (src/spaces/types.ts)
// turns actions into an architecture; an Evaluator scores that architecture without knowing who
// chose it.

export interface Proposal {
  /** One action per decision of the space, in its order. */
  actions: number[];
  /** Drawn uniformly at random rather than from the strategy's model. */
  explored: boolean;
  /** The strategy's own bookkeeping for this proposal, handed back with it when a scheduler continues
   *  the child; JSON only, since it is saved in the checkpoint with the scheduler's state. */
  memo?: unknown;
}

export interface Feedback {
  /** Best validation accuracy of the child; null when it failed to train. */
  accuracy: number | null;
  /** accuracy − baseline (a failed child counts as accuracy 0 here). */
  reward: number;
  /** Epochs the child had when it scored `accuracy` (multi-fidelity runs feed one child at several). */
  budget?: number;
  /** A screen (a zero-cost proxy) turned it down untrained: accuracy is null, and the strategy may
   *  learn from it as from a failure (TPE) or let it go (evolution keeps it out of its population;
   *  the controller makes no update of it). */
  rejected?: boolean;
}

export interface Strategy {
  readonly name: string;
  propose(): Promise<Proposal>;
  observe(proposal: Proposal, feedback: Feedback): Promise<void>;
  /** JSON-serializable state: restoring it continues the same stream of proposals. */
  getState(): Promise<unknown>;
  setState(state: unknown): Promise<void>;
  dispose(): void;
}

export interface ChildHooks {
  onEpochStart?(epoch: number): void;
  onBatch?(epoch: number, batch: number, batches: number, loss: number): void;
  onEpochEnd?(epoch: number, stats: { loss: number; trainAccuracy?: number; valAccuracy: number }): void;
  signal?: AbortSignal;
  /** A pruner: asked after each epoch with the accuracies of this call so far; a reason stops training.
   *  May answer later (a child trained elsewhere asks the search over a queue). */
  stopAfterEpoch?(valAccuracies: readonly number[]): string | undefined | Promise<string | undefined>;
  /** Which worker took the child (an evaluator that hands children to other processes says so). */
  onWorker?(worker: string): void;
}

/** How much to train (set by a scheduler); an evaluator without budgets ignores it. */
export interface EvalRequest {
  /** Total epochs the child has at the end. */
  epochs?: number;
  /** A saved state to continue from (weight inheritance), named for errors. */
  resume?: { bytes: Uint8Array; what: string };
  /** Return the child's state so it can be continued later. */
  keepState?: boolean;
  /** Measure the trained child's batch-1 inference latency. */
  measureLatency?: boolean;
  /** The search's name for this child, the same on every try and after a resume: an evaluator
   *  that queues children uses it as the job's id, so a child queued twice is trained once. */
  jobId?: string;
}

export interface ChildOutcome {
  accuracy: number;
  valAccuracies: number[];
  params: number;
  seconds: number;
  failed?: string;
  /** Epochs trained by this call (when the evaluator trains in epochs). */
  epochsTrained?: number;
  /** Where a pruner stopped it (total epochs, from 1) and why. */
  stopped?: { epoch: number; reason: string };
  /** The child's state, when asked for. */
  state?: Uint8Array;
  /** Median batch-1 inference latency in ms, when asked for. */
  latencyMs?: number;
  /** The same in a browser page (--latency-on browser), beside latencyMs of Node. */
  browserLatencyMs?: number;
  /** The worker that trained it, when it was trained in another process, and that worker's backend. */
  worker?: string;
  backend?: string;
}

/** Scores an architecture: trains a child, looks it up in a table, ... */
export interface Evaluator<A = unknown> {
  train(arch: A, hooks?: ChildHooks, request?: EvalRequest): Promise<ChildOutcome>;
}

/** The running reference a reward is measured against (a moving average of earlier accuracies). */
export interface Baseline {
  value(): number;
  push(accuracy: number): void;
  getState(): unknown;
  setState(state: unknown): void;
}

/**
 * A cheap look at an architecture before it is trained (a zero-cost proxy, issue 27): what to
 * record of it, and with `judge`, a reason when it is not worth training (the zeroth rung).
 * A rejected proposal is recorded as a trial that trained nothing and fed back as a failure.
 */
export interface Screen {
  look(arch: unknown, judge: boolean): Promise<{ scores: Record<string, number | null>; reject?: string; seconds: number }>;
}
