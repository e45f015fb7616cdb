// The supernet behind the weight-sharing search's SharedWeights seam: the driver hands it an
// architecture and a batch and never sees weights, paths or the optimizer.
import type { CellPair } from '../../spaces/nasnet/types.js';
import type { Batch } from '../../data/pipeline.js';
import type { SharedWeights } from './types.js';
import { buildChild, countParams } from '../child/build.js';
import { SharedAdam, Supernet, encodeSupernetState, restoreSupernetState, type SupernetOptions } from './supernet.js';

export class SupernetWeights implements SharedWeights<CellPair> {
  readonly net: Supernet;
  readonly adam: SharedAdam;

  constructor(opts: SupernetOptions & { learningRate: number }) {
    const { learningRate, ...net } = opts;
    this.net = new Supernet(net);
    this.adam = new SharedAdam(learningRate);
  }

  trainStep(cells: CellPair, batch: Batch): Promise<{ loss: number; correct: number }> {
    return this.net.trainStep(cells, batch.xs, batch.ys, this.adam);
  }

  correct(cells: CellPair, batch: Batch): Promise<number> {
    return this.net.correct(cells, batch.xs, batch.ys);
  }

  /** The stand-alone child's trainable parameters, as a standard search records them. */
  params(cells: CellPair): number {
    const { channels, numClasses, inputShape, hierarchical } = this.net.options;
    const model = buildChild(cells, { channels, numClasses, inputShape, hierarchical });
    try {
      return countParams(model);
    } finally {
      model.dispose();
    }
  }

  encodeState(): Promise<Uint8Array> {
    return encodeSupernetState(this.net, this.adam);
  }

  restoreState(bytes: Uint8Array, what: string): void {
    restoreSupernetState(this.net, this.adam, bytes, what);
  }

  dispose(): void {
    this.net.dispose();
    this.adam.dispose();
  }
}
