// The scheduler and pruner a search's settings name.
import { FullFidelity } from './full.js';
import { HyperbandScheduler } from './hyperband.js';
import { MedianPruner } from './median-pruner.js';
import type { Scheduler } from './types.js';

export type { Job, Member, Scheduler } from './types.js';
export { TrialCache } from './cache.js';
export { MedianPruner } from './median-pruner.js';
export { HyperbandScheduler } from './hyperband.js';

export interface ScheduleChoice {
  fidelity: 'full' | 'successive-halving' | 'hyperband';
  maxEpochs?: number;
  factor?: number;
  prune: 'none' | 'median';
  pruneWarmup?: number;
  pruneStartup?: number;
}

/** `epochs`: every child's budget at full fidelity (undefined: the evaluator's own, e.g. a table). */
export function makeScheduler(s: ScheduleChoice, epochs: number | undefined): Scheduler {
  if (s.fidelity === 'full') return new FullFidelity(epochs);
  return new HyperbandScheduler({ maxEpochs: s.maxEpochs ?? epochs ?? 1, factor: s.factor ?? 3, successiveHalving: s.fidelity === 'successive-halving' });
}

export function makePruner(s: ScheduleChoice): MedianPruner | undefined {
  return s.prune === 'median' ? new MedianPruner({ warmup: s.pruneWarmup ?? 0, startup: s.pruneStartup ?? 5 }) : undefined;
}
