// The seam between the weight-sharing search (search.ts) and a weight-sharing network: the search
// drives training and scoring through it without knowing weights, paths or the optimizer.
import type { Batch } from '../../data/pipeline.js';

/** What the driver needs of a weight-sharing network (supernet.ts behind the SupernetWeights adapter). */
export interface SharedWeights<A> {
  /** One optimizer step on `batch` along the path of `arch`. */
  trainStep(arch: A, batch: Batch): Promise<{ loss: number; correct: number }>;
  /** Correct predictions of `arch` on `batch` with the shared weights. */
  correct(arch: A, batch: Batch): Promise<number>;
  /** Trainable parameters of the stand-alone child of `arch` (recorded with the best cells). */
  params(arch: A): number;
  encodeState(): Promise<Uint8Array>;
  restoreState(bytes: Uint8Array, what: string): void;
}
