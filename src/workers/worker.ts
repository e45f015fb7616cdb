// A nascent worker: takes evaluation jobs (src/run/job.ts) from the queue, trains each child and
// returns its outcome, reporting epochs as the job's progress. It runs nothing but those jobs: a
// job of another name is refused. Images are loaded once per problem and kept between jobs.
import { Worker, type Job } from 'bullmq';
import type { PreparedBackend } from '../backend/index.js';
import type { DatasetSplits } from '../data/datasets.js';
import { evaluateJob, type EvalJob } from '../run/job.js';
import { loadSearchImages } from '../run/parts.js';
import { resolveSearchConfig } from '../config/resolve.js';
import type { ChildOutcome } from '../search/types.js';
import { EVAL_JOB_NAME, EVAL_QUEUE, redisConnection } from './queue.js';

/** A child's outcome as the queue returns it (JSON): the saved state in base64. */
export type JobResult = Omit<ChildOutcome, 'state'> & { state?: string };

export interface WorkerOptions {
  redis: string;
  backend: PreparedBackend;
  /** Where this machine keeps the images (a job names the data set, not where it is). */
  dataDir?: string;
  log?: (line: string) => void;
  /** How long a job's lock lasts without renewal; training may hold the event loop for a while. */
  lockDurationMs?: number;
}

export function startWorker(o: WorkerOptions): Worker<EvalJob, JobResult> {
  const log = o.log ?? (() => {});
  const images = new Map<string, Promise<DatasetSplits>>();
  const imagesOf = (job: EvalJob) => {
    const config = resolveSearchConfig({ ...job.config }, { source: 'job config' });
    const key = JSON.stringify(config.problem);
    let loaded = images.get(key);
    if (!loaded) {
      loaded = loadSearchImages(config, { dir: o.dataDir, log });
      images.set(key, loaded);
      loaded.catch(() => images.delete(key));
    }
    return loaded;
  };
  return new Worker<EvalJob, JobResult>(
    EVAL_QUEUE,
    async (job: Job<EvalJob, JobResult>) => {
      if (job.name !== EVAL_JOB_NAME) throw new Error(`a nascent worker runs ${EVAL_JOB_NAME} jobs only, not ${JSON.stringify(job.name)}`);
      const outcome = await evaluateJob(job.data, {
        backend: o.backend,
        images: await imagesOf(job.data),
        hooks: { onEpochEnd: (epoch, stats) => void job.updateProgress({ epoch: epoch + 1, valAccuracy: stats.valAccuracy }) },
      });
      const { state, ...rest } = outcome;
      return { ...rest, ...(state ? { state: Buffer.from(state).toString('base64') } : {}) };
    },
    { connection: redisConnection(o.redis), concurrency: 1, lockDuration: o.lockDurationMs ?? 120_000 },
  );
}
