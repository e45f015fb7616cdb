// The shapes of what a run directory holds. trials.jsonl is the source of truth; best-cells.json
// and the checkpoint can always be rebuilt from it plus the search's own state.
import type { CellPair } from '../spaces/nasnet/types.js';

export interface TrialRecord {
  episode: number; // 1-based
  strategy: string;
  cells: CellPair; // the architecture as its space writes it (SearchSpace.toJSON); a CellPair in the NASNet space
  key: string; // short hash of the canonical architecture
  explored: boolean; // drawn uniformly (epsilon) rather than from the policy
  accuracy: number | null; // best validation accuracy; null when the child failed
  valAccuracies: number[];
  reward: number;
  baseline: number;
  params: number;
  seconds: number;
  backend: string;
  failed?: string;
  time: string; // ISO timestamp at which the trial was recorded
  // Multi-fidelity fields (absent in runs from before them: those trained every child --epochs epochs).
  budget?: number; // epochs the child has had once this trial is done (its rung's budget)
  rung?: number; // Hyperband rung (Keras Tuner's tuner/round); 0 for a new proposal
  bracket?: number; // Hyperband bracket s (Keras Tuner's tuner/bracket)
  epochsTrained?: number; // epochs actually trained in this trial (0 when cached)
  cached?: boolean; // the result of an earlier trial of the same key and budget, not trained again
  cachedFrom?: number; // that earlier trial's episode
  inheritedFrom?: number; // the episode whose saved weights and optimizer state this child continued
  state?: string; // saved weights and optimizer state (relative to the run), while they may be continued
  pruned?: { epoch: number; reason: string }; // stopped early by the pruner after this epoch
  latencyMs?: number; // median batch-1 inference latency on the search's backend
  objective?: number | null; // with --objective mnas: ACC x (cost/T)^w, what the search ranks by
}

export const BEST_CELLS_FORMAT = 'nascent.best-cells';
export const BEST_CELLS_VERSION = 1;

export interface BestCellsFile {
  format: typeof BEST_CELLS_FORMAT;
  version: typeof BEST_CELLS_VERSION;
  cells: CellPair;
  key: string;
  accuracy: number;
  episode: number;
  params: number;
  settings: Record<string, unknown>;
  /** With --objective mnas: the value ranked by, the latency, and the accuracy/cost Pareto front. */
  objective?: number;
  latencyMs?: number;
  front?: ParetoPoint[];
}

/** A trial on the Pareto front of validation accuracy (higher) against cost (lower). */
export interface ParetoPoint {
  episode: number;
  key: string;
  accuracy: number;
  params: number;
  latencyMs?: number;
  cells: CellPair;
}
