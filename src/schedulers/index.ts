// The scheduler and pruner a search's settings name.
import { AshaScheduler } from './asha.js';
import { FullFidelity } from './full.js';
import { HyperbandScheduler } from './hyperband.js';
import { MedianPruner } from './median-pruner.js';
import type { Scheduler } from './types.js';

export type { Job, Member, Scheduler } from './types.js';
export { TrialCache } from './cache.js';
export { MedianPruner } from './median-pruner.js';
export { HyperbandScheduler } from './hyperband.js';
export { AshaScheduler } from './asha.js';

export interface ScheduleChoice {
  fidelity: 'full' | 'successive-halving' | 'hyperband';
  maxEpochs?: number;
  factor?: number;
  /** With several children in flight, keep synchronous Hyperband or successive halving (waiting at
   *  each rung) instead of ASHA: for benchmarks comparing the two. */
  synchronous?: boolean;
  prune: 'none' | 'median';
  pruneWarmup?: number;
  pruneStartup?: number;
}

/**
 * `epochs`: every child's budget at full fidelity (undefined: the evaluator's own, e.g. a table).
 * `parallel`: children in flight at once; above 1, ASHA replaces Hyperband and successive halving
 * (both would leave workers idle at each rung's barrier) unless `s.synchronous` says otherwise.
 */
export function makeScheduler(s: ScheduleChoice, epochs: number | undefined, parallel = 1): Scheduler {
  if (s.fidelity === 'full') return new FullFidelity(epochs);
  const maxEpochs = s.maxEpochs ?? epochs ?? 1;
  const factor = s.factor ?? 3;
  if (parallel > 1 && s.synchronous !== true) return new AshaScheduler({ maxEpochs, factor });
  return new HyperbandScheduler({ maxEpochs, factor, successiveHalving: s.fidelity === 'successive-halving' });
}

export function makePruner(s: ScheduleChoice): MedianPruner | undefined {
  return s.prune === 'median' ? new MedianPruner({ warmup: s.pruneWarmup ?? 0, startup: s.pruneStartup ?? 5 }) : undefined;
}
