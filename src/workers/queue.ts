// The queue children travel through when a search is spread over workers (BullMQ on Redis): its
// name, and a Redis URL as connection options, with a password and TLS (`rediss://`) when it says so.
import { Redis, type RedisOptions } from 'ioredis';

/** The queue of evaluation jobs (src/run/job.ts): the only kind of job a nascent worker runs. */
export const EVAL_QUEUE = 'nascent-eval';
export const EVAL_JOB_NAME = 'evaluate';

/** Connection options for `url` (redis://[user:password@]host[:port][/db], or rediss:// for TLS). */
export function redisOptions(url: string): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--redis ${JSON.stringify(url)} is not a URL (expected redis://host:6379)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`--redis ${url}: expected a redis:// or rediss:// URL, got ${u.protocol}`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined;
  if (db !== undefined && !Number.isInteger(db)) throw new Error(`--redis ${url}: the database after the host must be a number`);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db !== undefined ? { db } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    // A worker waits on the queue indefinitely; BullMQ requires this for blocking connections.
    maxRetriesPerRequest: null,
  };
}

/** A new connection to `url`; each queue, worker and event listener takes its own (BullMQ blocks on them). */
export const redisConnection = (url: string): Redis => new Redis(redisOptions(url));

/** What a worker reports on a job while it trains it (BullMQ's job progress). */
export interface JobProgress {
  worker: string;
  /** Each epoch so far (of this try). */
  epochs: { valAccuracy: number; loss: number }[];
  /** Set when the worker waits to hear whether to go on after this epoch (median pruning). */
  ask?: number;
}

/** Where the search answers a job's `ask`: a hash of epoch → reason ('' to go on). */
export const verdictKey = (jobId: string) => `nascent:verdict:${jobId}`;

/** Each worker's heartbeat (a JSON WorkerBeat that expires unless renewed). */
export const WORKER_KEY_PREFIX = 'nascent:worker:';

/** A child's outcome as the queue returns it (JSON): the saved state in base64. */
export type JobResult = Omit<import('../search/types.js').ChildOutcome, 'state'> & { state?: string };

/** The workers whose heartbeat has not lapsed, by name. */
export async function listWorkers(redis: Redis): Promise<import('./worker.js').WorkerBeat[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${WORKER_KEY_PREFIX}*`, 'COUNT', 200);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  if (keys.length === 0) return [];
  const values = await redis.mget(...keys);
  return values
    .flatMap((v) => {
      try {
        return v ? [JSON.parse(v)] : [];
      } catch {
        return [];
      }
    })
    .sort((a, b) => String(a.name).localeCompare(String(b.name)));
}
