// One budget for every child: the search as it always was (every proposal trained --epochs epochs;
// without a number, the evaluator's own budget, as for a table lookup).
import type { Job, Member, Scheduler } from './types.js';

export class FullFidelity implements Scheduler {
  readonly name = 'full';
  readonly keepsStates = false;
  readonly asynchronous = true;
  constructor(private readonly epochs?: number) {}
  /** Every child is independent of the others: what is in flight does not matter. */
  next(_pending?: readonly Job[]): Job {
    return { kind: 'new', budget: this.epochs, rung: 0, bracket: 0 };
  }
  record(_job: Job, _result: Member): void {}
  liveStates(): string[] {
    return [];
  }
  getState(): unknown {
    return { kind: 'full' };
  }
  setState(): void {}
}
