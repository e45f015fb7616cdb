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
