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
  /** The strategy's own bookkeeping for this proposal. */
  memo?: unknown;
}

export interface Feedback {
  /** Best validation accuracy of the child; null when it failed to train. */
  accuracy: number | null;
  /** accuracy − baseline (a failed child counts as accuracy 0 here). */
  reward: number;
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
}

export interface ChildOutcome {
  accuracy: number;
  valAccuracies: number[];
  params: number;
  seconds: number;
  failed?: string;
}

/** Scores an architecture: trains a child, looks it up in a table, ... */
export interface Evaluator<A = unknown> {
  train(arch: A, hooks?: ChildHooks): Promise<ChildOutcome>;
}

/** The running reference a reward is measured against (a moving average of earlier accuracies). */
export interface Baseline {
  value(): number;
  push(accuracy: number): void;
  getState(): unknown;
  setState(state: unknown): void;
}
