// Where a search's children are trained when they leave its process (issue 26): `parallel` K
// trainer processes on this machine, or the jobs of a queue on Redis (`redis`) that any `nascent
// worker` takes. Either way the child is the one the search would have trained itself: the same
// job (src/run/job.ts), the same trainer code, checked against the same images by fingerprint.
import type { SearchConfig } from '../config/schema.js';
import type { DatasetSplits } from '../data/datasets.js';
import { dataFingerprint } from '../data/fingerprint.js';
import type { Evaluator } from '../search/types.js';
import type { SearchSpace } from '../spaces/types.js';
import type { ChildJobs } from '../workers/child-job.js';
import { LocalPool } from '../workers/local-pool.js';
import { QueueEvaluator } from '../workers/queue-evaluator.js';
import type { WorkerBeat } from '../workers/worker.js';
import { withoutPassword } from './record.js';

export interface Children {
  evaluator: Evaluator;
  /** Children in flight at once. */
  parallel: number;
  close(): Promise<void>;
}

/** Whether `config`'s children are trained outside the search's process. */
export const childrenLeave = (config: SearchConfig): boolean => config.evaluator.kind === 'child' && ((config.parallel ?? 1) > 1 || config.redis !== undefined);

export async function startChildren(
  config: SearchConfig,
  space: SearchSpace,
  splits: DatasetSplits,
  log: (line: string) => void,
  onWorkers?: (workers: WorkerBeat[]) => void,
): Promise<Children> {
  if (config.redis?.includes(':***@'))
    throw new Error(`the run's Redis URL (${config.redis}) had a password, which config.json does not keep: pass --redis with it again`);
  const { train } = splits;
  const jobs: ChildJobs = {
    config,
    space,
    requires: {
      data: dataFingerprint(splits),
      imageShape: [train.height, train.width, train.channels],
      ...(config.backend !== 'auto' ? { backend: config.backend } : {}),
    },
    prune: config.scheduler.prune !== 'none',
  };
  const parallel = config.parallel ?? 1;
  if (config.redis !== undefined) {
    const queue = new QueueEvaluator({ ...jobs, redis: config.redis, log, onWorkers });
    await queue.ready();
    log(
      `children: up to ${parallel} at once on the queue at ${withoutPassword(config.redis)} (data fingerprint ${jobs.requires.data}); ` +
        `start workers with \`nascent worker --redis ${withoutPassword(config.redis)}\``,
    );
    return { evaluator: queue, parallel, close: () => queue.close() };
  }
  const dataDir = config.problem.space === 'nasnet' ? config.problem.data.dir : undefined;
  const pool = new LocalPool({ ...jobs, size: parallel, backend: config.backend, dataDir, log });
  const { detail } = await pool.ready().catch(async (err) => {
    await pool.close();
    throw err;
  });
  log(`children: ${parallel} at once, in trainer processes on this machine (each ${detail})`);
  return { evaluator: pool, parallel, close: () => pool.close() };
}
