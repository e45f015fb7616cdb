// The workers' heartbeats, for runs whose children train on a Redis queue (`--redis`): read from the
// Redis server the run's settings name (or the dashboard's --redis), every few seconds, the way
// `nascent workers` lists them. Optional: without Redis, or with the server gone, the page shows the
// workers the trials name and says why there are no heartbeats.
import type { Redis } from 'ioredis';
import type { WorkerBeat } from '../workers/worker.js';

export interface HeartbeatsView {
  url: string;
  workers: WorkerBeat[];
  /** When they were read (ISO). */
  read?: string;
  /** Why they could not be read. */
  error?: string;
}

const EVERY_MS = 3000;

export class Heartbeats {
  private readonly watched = new Map<string, { view: HeartbeatsView; redis?: Redis; busy: boolean }>();
  private timer?: NodeJS.Timeout;

  /** The latest heartbeats on `url`, reading them from now on (every 3 s). */
  of(url: string): HeartbeatsView {
    let entry = this.watched.get(url);
    if (!entry) {
      entry = { view: { url, workers: [] }, busy: false };
      this.watched.set(url, entry);
      void this.read(url);
      this.timer ??= setInterval(() => {
        for (const u of this.watched.keys()) void this.read(u);
      }, EVERY_MS);
    }
    return entry.view;
  }

  private async read(url: string): Promise<void> {
    const entry = this.watched.get(url)!;
    if (entry.busy) return;
    entry.busy = true;
    try {
      const { listWorkers, redisConnection } = await import('../workers/queue.js');
      if (!entry.redis) {
        entry.redis = redisConnection(url);
        // One try per read: a server that is not there is said, not waited for.
        entry.redis.options.maxRetriesPerRequest = 1;
        entry.redis.on('error', () => {});
      }
      entry.view = { url, workers: await listWorkers(entry.redis), read: new Date().toISOString() };
    } catch (err) {
      entry.view = { ...entry.view, error: `cannot read heartbeats from ${url}: ${(err as Error).message}` };
    } finally {
      entry.busy = false;
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    for (const e of this.watched.values()) e.redis?.disconnect();
    this.watched.clear();
  }
}
