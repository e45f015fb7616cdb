// Results by (canonical key, budget): a proposal that computes the same function as one already
// trained for the same number of epochs reuses its result instead of training again (a child's
// training depends only on its cells, the seed and its budget). Failed and pruned children are not
// reused: a failure may be transient (memory), and pruning depends on the children before it.
// Built from trials.jsonl, so a resumed run knows everything the run before it trained.
import type { TrialRecord } from '../store/records.js';

const id = (key: string, budget: number | undefined) => `${key}@${budget ?? 'default'}`;

export class TrialCache {
  private readonly byKey = new Map<string, TrialRecord>();

  constructor(
    trials: readonly TrialRecord[] = [],
    private readonly defaultBudget?: number,
  ) {
    for (const t of trials) this.add(t);
  }

  /** Trials from before budgets were recorded were trained for the run's --epochs. */
  private budgetOf(t: TrialRecord): number | undefined {
    return t.budget ?? this.defaultBudget;
  }

  add(t: TrialRecord): void {
    const budget = this.budgetOf(t);
    if (t.cached || t.accuracy === null || t.failed || t.pruned) return;
    const k = id(t.key, budget);
    if (!this.byKey.has(k)) this.byKey.set(k, t);
  }

  /** The first trial that trained `key` for `budget` epochs, if any. */
  get(key: string, budget: number | undefined): TrialRecord | undefined {
    return this.byKey.get(id(key, budget));
  }
}
