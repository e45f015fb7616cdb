// The Scheduler seam (docs/design/seams.md): which proposal is trained next, for how many epochs,
// and whether an earlier child is continued. It sees proposals only as opaque tokens it hands back
// and results only as accuracies: how proposals are made (the Strategy) and how a child is trained
// (the Evaluator) are not its business. Its whole state goes into the search's checkpoint.

/** What a scheduler remembers of a trained child it may continue: opaque to it except `accuracy`. */
export interface Member {
  /** The trial (episode) that trained it. */
  episode: number;
  /** Best validation accuracy so far; null when it failed (ranked last). */
  accuracy: number | null;
  /** The proposal that made it, handed back to the loop when it is continued; its memo (the
   *  strategy's JSON bookkeeping, e.g. the controller's importance weight) goes with it, so a
   *  promoted child is learned from as the strategy drew it. */
  proposal: { actions: number[]; explored: boolean; memo?: unknown };
  /** Epochs it has been trained for (0: the evaluator's own budget). */
  budget: number;
  /** Validation accuracy after each of its epochs, across the continuations. */
  valAccuracies: number[];
  /** Saved weights and optimizer state in the run directory (relative path); absent: retrain from scratch. */
  state?: string;
}

export type Job =
  /** Ask the strategy for a new proposal and train it for `budget` epochs. */
  | { kind: 'new'; budget?: number; rung: number; bracket: number }
  /** Continue `from` (trained `from.budget` epochs) up to `budget` epochs. */
  | { kind: 'promote'; budget: number; rung: number; bracket: number; from: Member };

export interface Scheduler {
  readonly name: string;
  /**
   * The next job to start, or undefined when nothing can start until a result comes in (a barrier,
   * e.g. the end of a synchronous Hyperband rung). `pending`: jobs this scheduler returned earlier
   * that are still in flight (dispatched, not yet recorded), in dispatch order; absent or empty, it
   * always returns a job (the one-at-a-time loop relies on it). It changes nothing: the loop calls
   * it, dispatches the job, and hands its result to `record`; until then, with the same `pending`,
   * it returns the same job, so a crash before recording repeats it.
   */
  next(pending?: readonly Job[]): Job | undefined;
  /** The outcome of a job `next` returned; with several in flight, results may come in any order. */
  record(job: Job, result: Member): void;
  /** Whether the evaluator should save each child's state (only when children can be continued). */
  readonly keepsStates: boolean;
  /** true when it never waits on a barrier: `next` never returns undefined, whatever is pending. */
  readonly asynchronous?: boolean;
  /** Saved states this scheduler may still continue: every other one can be deleted. */
  liveStates(): string[];
  getState(): unknown;
  setState(state: unknown): void;
}
