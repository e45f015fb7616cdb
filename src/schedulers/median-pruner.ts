// Median pruning as Optuna's MedianPruner does it: after epoch e (counted from 1), a child whose best
// validation accuracy so far is below the median of the accuracies that earlier completed children
// had after their epoch e is stopped there. No child is pruned before `startup` children have
// completed (Optuna's n_startup_trials) nor during its first `warmup` epochs (n_warmup_steps).
// Completed means trained to the end: pruned, failed and cached children do not count.
import type { TrialRecord } from '../store/records.js';
import { median } from '../util/stats.js';

export interface MedianPrunerOptions {
  warmup: number;
  startup: number;
}

export interface PruneDecision {
  epoch: number;
  reason: string;
}

export class MedianPruner {
  /** Validation accuracies per epoch of each completed child, in order. */
  private readonly curves: number[][] = [];

  constructor(
    private readonly o: MedianPrunerOptions,
    trials: readonly TrialRecord[] = [],
  ) {
    for (const t of trials) this.add(t);
  }

  add(t: TrialRecord): void {
    if (t.cached || t.pruned || t.failed || t.accuracy === null) return;
    this.curves.push(t.valAccuracies);
  }

  /** Whether a child with `curve` (accuracy after each epoch so far) stops now, and why. */
  check(curve: readonly number[]): PruneDecision | undefined {
    const epoch = curve.length;
    if (epoch <= this.o.warmup || this.curves.length < this.o.startup) return undefined;
    const at = this.curves.filter((c) => c.length >= epoch).map((c) => c[epoch - 1]);
    if (at.length === 0) return undefined;
    const m = median(at);
    const best = Math.max(...curve);
    if (best >= m) return undefined;
    return {
      epoch,
      reason: `best validation accuracy ${best.toFixed(4)} after epoch ${epoch} is below the median ${m.toFixed(4)} of ${at.length} earlier children at that epoch`,
    };
  }
}
