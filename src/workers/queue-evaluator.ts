// `nascent search --redis URL`: children go to a BullMQ queue on Redis and any `nascent worker` on
// any machine takes them. Each child is one job whose id is the search's name for it (`run-child`),
// so a child queued twice (a resume, a retry after Redis restarted) is one job, and a resumed search
// that finds its job still queued, running or finished adopts it instead of training it again.
//
// The search reads its jobs by polling: a poll works the same after a dropped connection, a Redis
// restart or a resume, where events sent meanwhile would have been missed. BullMQ's queue events
// (progress, completed, failed) wake a job's poll at once, so a worker's result is recorded and its
// next child sent within milliseconds (a 250 ms poll alone left workers idle 3.3% of the time,
// measured with bench:parallel); without events the poll still runs every `pollMs`.
// While Redis is unreachable the polls wait (ioredis queues the commands) and the search pauses.
// A job that vanished (Redis restarted without its append-only file) is queued again.
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ChildHooks, ChildOutcome, EvalRequest, Evaluator } from '../search/types.js';
import { abortError, childJobOf, type ChildJobs } from './child-job.js';
import { EVAL_JOB_NAME, EVAL_QUEUE, listWorkers, redisConnection, verdictKey, type JobProgress, type JobResult } from './queue.js';
import type { WorkerBeat } from './worker.js';

export interface QueueEvaluatorOptions extends ChildJobs {
  redis: string;
  pollMs?: number;
  log?: (line: string) => void;
  /** The workers' heartbeats, every few seconds while the search runs. */
  onWorkers?: (workers: WorkerBeat[]) => void;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((done) => {
    const wake = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', wake);
      done();
    };
    const t = setTimeout(wake, ms);
    signal?.addEventListener('abort', wake, { once: true });
  });

/** A finished job's result as the search records it (the state back to bytes). */
export function outcomeOf(result: JobResult): ChildOutcome {
  const { state, ...rest } = result;
  return { ...rest, ...(state ? { state: new Uint8Array(Buffer.from(state, 'base64')) } : {}) };
}

export class QueueEvaluator implements Evaluator {
  private readonly connection: Redis;
  private readonly queue: Queue;
  private down = false;
  private beats?: NodeJS.Timeout;
  private readonly events: QueueEvents;
  /** Each polling job's wake-up, by job id. */
  private readonly wake = new Map<string, () => void>();

  constructor(private readonly o: QueueEvaluatorOptions) {
    this.connection = redisConnection(o.redis);
    this.connection.on('error', (err: Error) => {
      if (this.down) return;
      this.down = true;
      o.log?.(`redis: ${err.message}; the search waits for it to come back`);
    });
    this.connection.on('ready', () => {
      if (!this.down) return;
      this.down = false;
      o.log?.('redis: connected again; the search goes on');
    });
    this.queue = new Queue(EVAL_QUEUE, { connection: this.connection });
    this.events = new QueueEvents(EVAL_QUEUE, { connection: redisConnection(o.redis) });
    const wake = ({ jobId }: { jobId: string }) => this.wake.get(jobId)?.();
    this.events.on('progress', wake);
    this.events.on('completed', wake);
    this.events.on('failed', wake);
    this.events.on('error', () => {});
    if (o.onWorkers) {
      this.beats = setInterval(() => {
        if (!this.down) void listWorkers(this.connection).then(o.onWorkers, () => {});
      }, 2000);
      this.beats.unref();
    }
  }

  async ready(): Promise<void> {
    await Promise.all([this.queue.waitUntilReady(), this.events.waitUntilReady()]);
  }

  private add(id: string, data: unknown) {
    // Kept a day once done, so a search resumed later still finds the results it had not recorded.
    return this.queue.add(EVAL_JOB_NAME, data, {
      jobId: id,
      attempts: 5,
      backoff: { type: 'fixed', delay: 2000 },
      removeOnComplete: { age: 24 * 3600 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
  }

  async train(arch: unknown, hooks: ChildHooks = {}, request: EvalRequest = {}): Promise<ChildOutcome> {
    const id = request.jobId;
    if (!id) throw new Error('a queued child needs a job id (the search gives one)');
    const data = childJobOf(this.o, arch, request);
    await this.add(id, data);
    let epochsSeen = 0;
    let worker: string | undefined;
    let answered = 0;
    let first = true;
    const poll = this.o.pollMs ?? 1000;
    for (;;) {
      if (hooks.signal?.aborted) throw abortError();
      const job = await this.queue.getJob(id);
      if (job === undefined) {
        this.o.log?.(`job ${id} is no longer in the queue (Redis restarted without its data?); queued again`);
        await this.add(id, data);
        continue;
      }
      if (first && job.finishedOn !== undefined && !job.returnvalue && (await job.isFailed())) {
        // Failed before this search (re)started, e.g. under a search that then stopped on it: one more round of tries.
        this.o.log?.(`job ${id} had failed (${job.failedReason}); trying it again`);
        await job.retry('failed');
        first = false;
        continue;
      }
      first = false;
      const p = (typeof job.progress === 'object' ? job.progress : {}) as Partial<JobProgress>;
      // Another worker, or the same one again after its try was lost: its epochs start over.
      if ((p.worker && p.worker !== worker) || (p.epochs?.length ?? 0) < epochsSeen) {
        if (p.worker && p.worker !== worker) hooks.onWorker?.(p.worker);
        worker = p.worker;
        epochsSeen = 0;
        answered = 0;
      }
      for (const [i, e] of (p.epochs ?? []).entries()) {
        if (i < epochsSeen) continue;
        hooks.onEpochEnd?.(i, e);
        epochsSeen = i + 1;
      }
      if (p.ask !== undefined && p.ask > answered && p.epochs) {
        const reason = await hooks.stopAfterEpoch?.(p.epochs.slice(0, p.ask).map((e) => e.valAccuracy));
        await this.connection
          .multi()
          .hset(verdictKey(id), String(p.ask), reason ?? '')
          .expire(verdictKey(id), 24 * 3600)
          .exec();
        answered = p.ask;
      }
      if (job.finishedOn !== undefined && job.returnvalue) return outcomeOf(job.returnvalue as JobResult);
      if (job.finishedOn !== undefined && (await job.isFailed())) {
        throw new Error(`job ${id} failed after ${job.attemptsMade} tries: ${job.failedReason}`);
      }
      await new Promise<void>((woken) => {
        const stop = new AbortController();
        const done = () => {
          this.wake.delete(id);
          stop.abort();
          woken();
        };
        this.wake.set(id, done);
        void sleep(poll, AbortSignal.any([stop.signal, ...(hooks.signal ? [hooks.signal] : [])])).then(done);
      });
    }
  }

  /** Jobs waiting or being trained (for the search's display). */
  counts() {
    return this.queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
  }

  async close(): Promise<void> {
    clearInterval(this.beats);
    await this.events.close();
    await this.queue.close();
    this.connection.disconnect();
  }
}
