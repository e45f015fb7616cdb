// The shapes of what a run directory holds. trials.jsonl is the source of truth; best-cells.json
// and the checkpoint can always be rebuilt from it plus the search's own state.
import type { CellPair } from '../cells/types.js';

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
}
