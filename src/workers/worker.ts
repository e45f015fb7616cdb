// A nascent worker: takes evaluation jobs (src/run/job.ts) from the queue and has its trainer
// process (trainer.ts) train each child, reporting epochs as the job's progress. Training runs in
// that other process so this one's event loop stays free: BullMQ renews the job's lock from here
// while tfjs holds the trainer for seconds at a time; with training in this process a long batch
// would let the lock lapse and BullMQ would give a live worker's child to another worker.
//
// It runs nothing but those jobs: a job of another name fails at once. A job it cannot serve (other
// images by fingerprint, image shape or backend) goes back to the queue for another worker. It
// keeps a heartbeat in Redis (`nascent workers` lists them) that lapses when the process dies.
import { hostname } from 'node:os';
import { DelayedError, type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { EvalJob } from '../run/job.js';
import { JobRefusedError, TrainerProcess } from './trainer-process.js';
import { EVAL_JOB_NAME, EVAL_QUEUE, redisConnection, verdictKey, WORKER_KEY_PREFIX, type JobProgress, type JobResult } from './queue.js';

export type { JobResult } from './queue.js';

export interface WorkerOptions {
  redis: string;
  /** The backend choice the trainer prepares (auto, wasm, ...). */
  backend: string;
  /** Where this machine keeps the images (a job names the data set, not where it is). */
  dataDir?: string;
  /** wasm threads of the trainer (default: one per core). */
  threads?: number;
  log?: (line: string) => void;
  /** How long a job's lock lasts without renewal (renewed every half of it while the child trains). */
  lockDurationMs?: number;
  /** This worker's name in progress, heartbeats and trials (default host-pid). */
  name?: string;
  /** Seconds between heartbeats (they lapse after three missed). */
  heartbeatSeconds?: number;
}

/** A worker's heartbeat, as `nascent workers` shows it. */
export interface WorkerBeat {
  name: string;
  host: string;
  pid: number;
  backend: string;
  started: string;
  beat: string;
  jobsDone: number;
  job?: string;
  epoch?: number;
  /** Share of its time since it started spent training (the rest: waiting for jobs). */
  busy: number;
}

export interface NascentWorker {
  readonly name: string;
  readonly bull: Worker<EvalJob, JobResult>;
  /** Resolves when the trainer is up and the worker takes jobs. */
  ready: Promise<{ backend: string; detail: string }>;
  /** Stops taking jobs; `now` drops the child in hand and gives its job back to the queue. */
  close(now?: boolean): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function startWorker(o: WorkerOptions): NascentWorker {
  const log = o.log ?? (() => {});
  const name = o.name ?? `${hostname()}-${process.pid}`;
  let trainer = new TrainerProcess({ backend: o.backend, dataDir: o.dataDir, threads: o.threads });
  const redis: Redis = redisConnection(o.redis);
  const started = Date.now();
  let busyMs = 0;
  let jobsDone = 0;
  let current: { id: string; epoch: number; since: number; job: Job<EvalJob, JobResult>; token?: string } | undefined;
  let backendName = '';

  const beat = async () => {
    const now = Date.now();
    const value: WorkerBeat = {
      name,
      host: hostname(),
      pid: process.pid,
      backend: backendName,
      started: new Date(started).toISOString(),
      beat: new Date(now).toISOString(),
      jobsDone,
      ...(current ? { job: current.id, epoch: current.epoch } : {}),
      busy: (busyMs + (current ? now - current.since : 0)) / Math.max(1, now - started),
    };
    const seconds = o.heartbeatSeconds ?? 5;
    await redis.set(WORKER_KEY_PREFIX + name, JSON.stringify(value), 'EX', seconds * 3).catch(() => {});
  };
  let beats: NodeJS.Timeout | undefined;

  /** Waits for the search's answer to "go on after epoch e?"; no answer in 30 s: go on. */
  const verdict = async (id: string, epoch: number): Promise<string | undefined> => {
    for (let waited = 0; waited < 30_000; waited += 100) {
      const v = await redis.hget(verdictKey(id), String(epoch));
      if (v !== null) return v === '' ? undefined : v;
      await sleep(100);
    }
    return undefined;
  };

  const process_ = async (job: Job<EvalJob, JobResult>, token?: string): Promise<JobResult> => {
    if (job.name !== EVAL_JOB_NAME) throw new Error(`a nascent worker runs ${EVAL_JOB_NAME} jobs only, not ${JSON.stringify(job.name)}`);
    const id = job.id!;
    current = { id, epoch: 0, since: Date.now(), job, token };
    const epochs: JobProgress['epochs'] = [];
    const progress = (ask?: number) => job.updateProgress({ worker: name, epochs, ...(ask !== undefined ? { ask } : {}) } satisfies JobProgress);
    try {
      if (!trainer.alive) trainer = new TrainerProcess({ backend: o.backend, dataDir: o.dataDir, threads: o.threads });
      await progress();
      const outcome = await trainer.train(id, job.data, {
        onEpoch: (epoch, valAccuracy, loss) => {
          epochs.push({ valAccuracy, loss });
          if (current) current.epoch = epoch;
          void progress().catch(() => {});
        },
        ask: async (accs) => {
          await progress(accs.length);
          return verdict(id, accs.length);
        },
      });
      jobsDone++;
      const { state, ...rest } = outcome;
      return { ...rest, worker: name, ...(state ? { state: Buffer.from(state).toString('base64') } : {}) };
    } catch (err) {
      if (err instanceof JobRefusedError && token) {
        // Back to the queue for a worker that can serve it (this one takes it again only after others had the chance).
        log(`job ${id}: ${err.message}; left to another worker`);
        await job.moveToDelayed(Date.now() + 5000, token);
        throw new DelayedError();
      }
      throw err;
    } finally {
      if (current) busyMs += Date.now() - current.since;
      current = undefined;
    }
  };

  const bull = new Worker<EvalJob, JobResult>(EVAL_QUEUE, process_, {
    connection: redisConnection(o.redis),
    concurrency: 1,
    autorun: false,
    name,
    lockDuration: o.lockDurationMs ?? 30_000,
    stalledInterval: o.lockDurationMs ?? 30_000,
    // A worker killed mid-child leaves its job stalled; it goes back to the queue this many times.
    maxStalledCount: 5,
  });
  const ready = trainer.ready.then(async (info) => {
    backendName = info.backend;
    await bull.waitUntilReady();
    await beat();
    beats = setInterval(() => void beat(), (o.heartbeatSeconds ?? 5) * 1000);
    void bull.run();
    return info;
  });
  ready.catch(() => {});

  return {
    name,
    bull,
    ready,
    async close(now = false) {
      if (now && current?.token) {
        // The child in hand is dropped and its job goes back to the queue at once (no waiting for the lock to lapse).
        const { job, token } = current;
        await job.moveToWait(token).catch(() => {});
        await trainer.kill('SIGKILL');
      }
      await bull.close(now);
      clearInterval(beats);
      await redis.del(WORKER_KEY_PREFIX + name).catch(() => {});
      redis.disconnect();
      await trainer.kill();
    },
  };
}
