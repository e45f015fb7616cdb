// What a search sends when a child is trained in another process: the EvalJob (src/run/job.ts) for an
// architecture and the loop's request, with what a worker must have to train it the search's way.
import type { SearchConfig } from '../config/schema.js';
import { jobOf, type EvalJob, type JobRequirements } from '../run/job.js';
import type { EvalRequest } from '../search/types.js';
import type { SearchSpace } from '../spaces/types.js';

export interface ChildJobs {
  config: SearchConfig;
  space: SearchSpace;
  requires: JobRequirements;
  /** The search prunes: each child asks after each epoch whether to go on. */
  prune: boolean;
}

export function childJobOf(c: ChildJobs, arch: unknown, request: EvalRequest): EvalJob {
  return jobOf(c.config, c.space.toJSON(arch), {
    ...(request.epochs !== undefined ? { epochs: request.epochs } : {}),
    ...(request.resume ? { state: request.resume.bytes } : {}),
    ...(request.keepState ? { keepState: true } : {}),
    ...(request.measureLatency ? { measureLatency: true } : {}),
    requires: c.requires,
    prune: c.prune,
  });
}

export const abortError = (): Error => Object.assign(new Error('the child was stopped'), { name: 'AbortError' });
