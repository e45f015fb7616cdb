// An Evaluator that looks an architecture up instead of training it: NAS-Bench-201's table holds
// the trained accuracy of every cell, so a search over it costs microseconds per "child" and
// strategies can be compared over many seeds (the protocol of NAS-Bench-201 and NATS-Bench).
import type { NatsBenchTable, Nb201Dataset } from '../../data/nats-bench.js';
import { formatNb201, type Nb201Cell } from '../../spaces/nas-bench-201/space.js';
import type { ChildHooks, ChildOutcome, Evaluator } from '../../search/types.js';

export class TabularEvaluator implements Evaluator<Nb201Cell> {
  constructor(
    private readonly table: NatsBenchTable,
    private readonly dataset: Nb201Dataset = 'cifar10',
  ) {}

  /**
   * The table's test accuracy as a fraction (the table holds percent), as one "epoch" so progress
   * displays see the same hooks as for a trained child. A cell the table lacks is a failed child
   * (accuracy 0, no epochs), as a child that failed to train would be; an abort rejects, as in training.
   */
  async train(cell: Nb201Cell, hooks?: ChildHooks): Promise<ChildOutcome> {
    hooks?.signal?.throwIfAborted();
    const started = performance.now();
    const arch = formatNb201(cell);
    hooks?.onEpochStart?.(0);
    const percent = this.table.accuracy(arch, this.dataset);
    const seconds = (performance.now() - started) / 1000;
    if (percent === undefined) return { accuracy: 0, valAccuracies: [], params: 0, seconds, failed: `${arch} is not in the table ${this.table.file}` };
    const accuracy = percent / 100;
    hooks?.onEpochEnd?.(0, { loss: 0, valAccuracy: accuracy });
    return { accuracy, valAccuracies: [accuracy], params: 0, seconds };
  }
}
