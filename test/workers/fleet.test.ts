// Parallel searches end to end, as a user runs them: `nascent search --parallel 2` with its own
// trainer processes, and with `--redis` on a real redis-server with `nascent worker` processes,
// through what fleets meet: a worker SIGKILLed mid-child, the search itself SIGKILLed and resumed
// with jobs in flight, Redis restarted mid-search, Hyperband run as ASHA. Each ends with every
// episode recorded exactly once and the same architectures as a one-at-a-time run of the same seed.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Running, runNascent, startNascent, until } from '../helpers/cli.js';
import { writeLearnableCifar } from '../helpers/learnable-cifar.js';
import { haveRedis, startRedis, type RedisServer } from '../helpers/redis.js';

const work = mkdtempSync(join(tmpdir(), 'nascent-fleet-'));
const data = join(work, 'cifar');
const EPISODES = 6;
const search = (out: string, ...more: string[]) => [
  'search',
  'cifar10',
  '--data-dir',
  data,
  '--train-limit',
  '40',
  '--val-limit',
  '20',
  '--epochs',
  '2',
  '--batch-size',
  '8',
  '--channels',
  '1,2,2,2,2',
  '--blocks',
  '2',
  '--strategy',
  'random',
  '--seed',
  '5',
  ...(more.includes('--episodes') ? [] : ['--episodes', String(EPISODES)]),
  '--out',
  out,
  ...more,
];

interface Trial {
  episode: number;
  key: string;
  worker?: string;
  rung?: number;
  inheritedFrom?: number;
}
const trialsOf = (dir: string): Trial[] =>
  readFileSync(join(dir, 'trials.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
const episodes = (ts: Trial[]) => ts.map((t) => t.episode);
const keys = (ts: Trial[]) => ts.map((t) => t.key).sort();
const ONE_TO_N = Array.from({ length: EPISODES }, (_, i) => i + 1);

let reference: Trial[];
beforeAll(() => {
  writeLearnableCifar(data, 20);
  const r = runNascent(search(join(work, 'one')));
  expect(r.code, r.err).toBe(0);
  reference = trialsOf(join(work, 'one'));
}, 300_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The trainer processes a search started (its children), from /proc. */
const trainersOf = (pid: number): number[] =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);

describe('nascent search --parallel 2 on this machine', () => {
  it('trains two children at once in trainer processes; a trainer SIGKILLed mid-child costs that child only', async () => {
    const out = join(work, 'local');
    const p = startNascent(search(out, '--parallel', '2'));
    // Both trainers at work, then one is killed under its child.
    expect(await until(p, () => /child #2 on local-2/.test(p.output()))).toBe(true);
    const [victim] = trainersOf(p.child.pid!);
    process.kill(victim, 'SIGKILL');
    const { code } = await p.exited;
    expect(code, p.output()).toBe(0);
    expect(p.output()).toMatch(/training the child again on a new trainer/);
    const trials = trialsOf(out);
    expect(episodes(trials)).toEqual(ONE_TO_N);
    expect(keys(trials)).toEqual(keys(reference));
    expect(new Set(trials.map((t) => t.worker))).toEqual(new Set(['local-1', 'local-2']));
  }, 300_000);

  it('runs Hyperband as ASHA: rungs above 0 continue their parent from its saved state', async () => {
    const out = join(work, 'asha');
    const r = runNascent(search(out, '--parallel', '2', '--fidelity', 'hyperband', '--max-epochs', '4', '--factor', '2', '--episodes', '10'));
    expect(r.code, r.err).toBe(0);
    const trials = trialsOf(out);
    expect(episodes(trials)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    const continued = trials.filter((t) => (t.rung ?? 0) > 0 && t.inheritedFrom !== undefined);
    expect(continued.length).toBeGreaterThan(0);
    for (const t of continued) expect(trials.find((x) => x.episode === t.inheritedFrom)?.key).toBe(t.key);
  }, 300_000);
});

const available = haveRedis();
describe.runIf(available)('nascent search --redis with nascent workers', () => {
  let redis: RedisServer;
  const workers: Running[] = [];
  const worker = (name: string) => {
    const w = startNascent(['worker', '--redis', redis.url, '--threads', '1', '--name', name, '--lock-seconds', '4']);
    workers.push(w);
    return w;
  };
  beforeAll(async () => {
    redis = await startRedis({ appendonly: true });
  });
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await redis?.stop();
  });

  it('two workers train a search of two in flight; a worker SIGKILLed mid-child leaves it to the other', async () => {
    const w1 = worker('w1');
    const w2 = worker('w2');
    for (const w of [w1, w2]) expect(await until(w, () => /waiting for jobs/.test(w.output()))).toBe(true);
    const out = join(work, 'redis');
    const p = startNascent(search(out, '--parallel', '2', '--redis', redis.url));
    // w1 is killed while it trains a child (after its first epoch, so the child is half done).
    expect(await until(p, () => /\(w1\) epoch 1\/2/.test(p.output()))).toBe(true);
    w1.child.kill('SIGKILL');
    const { code } = await p.exited;
    expect(code, p.output()).toBe(0);
    const trials = trialsOf(out);
    expect(episodes(trials)).toEqual(ONE_TO_N);
    expect(keys(trials)).toEqual(keys(reference));
    expect(trials.filter((t) => t.worker === 'w2').length).toBeGreaterThanOrEqual(EPISODES - 1);
    w2.child.kill('SIGINT');
    expect((await w2.exited).code).toBe(130);
  }, 300_000);

  it('a search SIGKILLed with jobs in flight resumes by adopting them, and goes on through a Redis restart', async () => {
    const w3 = worker('w3');
    const w4 = worker('w4');
    for (const w of [w3, w4]) expect(await until(w, () => /waiting for jobs/.test(w.output()))).toBe(true);
    const out = join(work, 'redis-resume');
    const p = startNascent(search(out, '--parallel', '2', '--redis', redis.url));
    expect(await until(p, () => /child #3 on/.test(p.output()))).toBe(true);
    p.child.kill('SIGKILL');
    await p.exited;
    // The workers go on with the children they hold; the resumed search adopts them.
    const r = startNascent(['search', '--resume', out, '--redis', redis.url]);
    expect(await until(r, () => /episode 4\/6/.test(r.output()))).toBe(true);
    await redis.restart(1500);
    const { code } = await r.exited;
    expect(code, r.output()).toBe(0);
    const trials = trialsOf(out);
    expect(episodes(trials)).toEqual(ONE_TO_N);
    expect(keys(trials)).toEqual(keys(reference));
    // No child was trained twice: each job id was taken once across both workers.
    const taken = [...w3.output().matchAll(/job (\S+): training/g), ...w4.output().matchAll(/job (\S+): training/g)].map((m) => m[1]);
    expect(taken.length).toBe(new Set(taken).size);
  }, 300_000);
});
