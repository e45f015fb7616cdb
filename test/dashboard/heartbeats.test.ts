// Workers' heartbeats read from a real redis-server, as `nascent workers` lists them; a server that
// is not there is said in words. Skips without redis-server (apt-get install redis-server).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Heartbeats } from '../../src/dashboard/heartbeats.js';
import { redisConnection } from '../../src/workers/queue.js';

const REDIS = '/usr/bin/redis-server';
const haveRedis = existsSync(REDIS);
let server: ChildProcess | undefined;
let port = 0;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });

beforeAll(async () => {
  if (!haveRedis) return;
  port = await freePort();
  server = spawn(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise<void>((resolve) => server!.stdout!.on('data', (c) => String(c).includes('Ready to accept') && resolve()));
});
afterAll(() => {
  server?.kill();
});

const until = async (check: () => boolean) => {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
};

it.runIf(haveRedis)('reads the live heartbeats of the workers on a Redis server', async () => {
  const url = `redis://127.0.0.1:${port}`;
  const redis = redisConnection(url);
  const beat = {
    name: 'gpu-a-1',
    host: 'gpu-a',
    pid: 1,
    backend: 'webgpu',
    started: new Date().toISOString(),
    beat: new Date().toISOString(),
    jobsDone: 7,
    job: 'run-12',
    epoch: 2,
    busy: 0.9,
  };
  await redis.set('nascent:worker:gpu-a-1', JSON.stringify(beat), 'EX', 30);
  const heartbeats = new Heartbeats();
  try {
    await until(() => heartbeats.of(url).workers.length > 0);
    expect(heartbeats.of(url).workers).toEqual([beat]);
    expect(heartbeats.of(url).error).toBeUndefined();
  } finally {
    heartbeats.close();
    redis.disconnect();
  }
});

it('says why there are no heartbeats when the server is not there', async () => {
  const url = `redis://127.0.0.1:${await freePort()}`;
  const heartbeats = new Heartbeats();
  try {
    await until(() => heartbeats.of(url).error !== undefined);
    expect(heartbeats.of(url).error).toMatch(/cannot read heartbeats from redis:\/\/127\.0\.0\.1/);
  } finally {
    heartbeats.close();
  }
});
