// The search's seams, after Optuna (study / sampler / storage) and NNI (space / strategy / evaluator):
// a Strategy proposes cells and learns from feedback without knowing how a child is trained; an
// Evaluator trains a child without knowing who chose it.
import type { CellPair } from '../cells/types.js';

export interface Proposal {
  cells: CellPair;
  /** Drawn uniformly at random rather than from the strategy's model. */
  explored: boolean;
  /** The strategy's own bookkeeping for this proposal (e.g. the controller's action indices). */
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

export interface Evaluator {
  train(cells: CellPair, hooks?: ChildHooks): Promise<ChildOutcome>;
}

/** The running reference a reward is measured against (a moving average of earlier accuracies). */
export interface Baseline {
  value(): number;
  push(accuracy: number): void;
  getState(): unknown;
  setState(state: unknown): void;
}
