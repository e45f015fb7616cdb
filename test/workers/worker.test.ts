// A nascent worker on a real redis-server: it takes an evaluation job from the BullMQ queue, trains
// the child and returns what training it in process returns, reporting its epochs as progress; it
// runs nothing but evaluation jobs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareBackend } from '../../src/backend/index.js';
import { resolveSearchConfig } from '../../src/config/resolve.js';
import { evaluateJob, jobOf } from '../../src/run/job.js';
import { nasnetSpace } from '../../src/spaces/nasnet/space.js';
import { Rng } from '../../src/util/random.js';
import { EVAL_JOB_NAME, EVAL_QUEUE, redisConnection, type JobProgress } from '../../src/workers/queue.js';
import { startWorker, type JobResult } from '../../src/workers/worker.js';
import { writeLearnableCifar } from '../helpers/learnable-cifar.js';
import { haveRedis, startRedis, type RedisServer } from '../helpers/redis.js';
import { startNascent, until } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'nascent-worker-'));
let redis: RedisServer | undefined;
const available = haveRedis();
beforeAll(async () => {
  if (available) redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe.runIf(available)('nascent worker', () => {
  it('trains a queued child as in process, reports epochs, and refuses jobs of another kind', async () => {
    const data = join(work, 'cifar');
    writeLearnableCifar(data, 20);
    const config = resolveSearchConfig({
      problem: { space: 'nasnet', blocks: 2, data: { dataset: 'cifar10', dir: data, trainLimit: 40, valLimit: 20 } },
      evaluator: { kind: 'child', epochs: 2, batchSize: 8, channels: [1, 2, 2, 2, 2] },
      seed: 5,
    });
    const space = nasnetSpace({ blocks: 2, hierarchical: false });
    const cells = space.toJSON(space.sample(new Rng(1)));
    const backend = await prepareBackend('wasm');
    const job = jobOf(config, cells, { keepState: true });

    const connection = redisConnection(redis!.url);
    const queue = new Queue(EVAL_QUEUE, { connection });
    const events = new QueueEvents(EVAL_QUEUE, { connection });
    const worker = startWorker({ redis: redis!.url, backend: 'wasm' });
    await worker.ready;
    try {
      await events.waitUntilReady();
      const progress: unknown[] = [];
      events.on('progress', ({ data: p }) => progress.push(p));
      const queued = await queue.add(EVAL_JOB_NAME, job);
      const result = (await queued.waitUntilFinished(events, 120_000)) as JobResult;
      const direct = await evaluateJob(job, { backend });
      expect(result.valAccuracies).toEqual(direct.valAccuracies);
      expect(result.params).toBe(direct.params);
      // The saved state travels back with the result, for a promotion on whichever machine takes it.
      expect(Buffer.from(result.state!, 'base64').length).toBeGreaterThan(1000);
      // Progress names the worker and carries every epoch so far: none when it starts, then one per epoch.
      expect(progress.map((p) => (p as JobProgress).epochs.length)).toEqual([0, 1, 2]);
      expect(new Set(progress.map((p) => (p as JobProgress).worker))).toEqual(new Set([worker.name]));

      const other = await queue.add('run-this-script', { command: 'rm -rf /' } as never);
      await expect(other.waitUntilFinished(events, 30_000)).rejects.toThrow(/a nascent worker runs evaluate jobs only, not "run-this-script"/);
    } finally {
      await worker.close();
      await events.close();
      await queue.close();
    }
  }, 180_000);

  it('is the nascent worker command: takes a queued job, says so, and stops on Ctrl-C with 130', async () => {
    const data = join(work, 'cifar-cli');
    writeLearnableCifar(data, 10);
    const config = resolveSearchConfig({
      problem: { space: 'nasnet', blocks: 1, data: { dataset: 'cifar10', dir: data, trainLimit: 20, valLimit: 10 } },
      evaluator: { kind: 'child', epochs: 1, batchSize: 10, channels: [1, 1, 1, 1, 1] },
      seed: 2,
    });
    const space = nasnetSpace({ blocks: 1, hierarchical: false });
    const p = startNascent(['worker', '--redis', redis!.url, '--backend', 'wasm']);
    const queue = new Queue(EVAL_QUEUE, { connection: redisConnection(redis!.url) });
    const events = new QueueEvents(EVAL_QUEUE, { connection: redisConnection(redis!.url) });
    try {
      expect(await until(p, () => /waiting for jobs on nascent-eval/.test(p.output()))).toBe(true);
      await events.waitUntilReady();
      const queued = await queue.add(EVAL_JOB_NAME, jobOf(config, space.toJSON(space.sample(new Rng(2)))));
      const result = (await queued.waitUntilFinished(events, 120_000)) as JobResult;
      expect(result.valAccuracies).toHaveLength(1);
      expect(await until(p, () => new RegExp(`job ${queued.id}: accuracy`).test(p.output()))).toBe(true);
      p.child.kill('SIGINT');
      expect((await p.exited).code).toBe(130);
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
      await events.close();
      await queue.close();
    }
  }, 180_000);
  it('gives the child in hand back to the queue on a second Ctrl-C', async () => {
    const data = join(work, 'cifar-ctrl-c');
    writeLearnableCifar(data, 20);
    const config = resolveSearchConfig({
      problem: { space: 'nasnet', blocks: 2, data: { dataset: 'cifar10', dir: data, trainLimit: 40, valLimit: 20 } },
      evaluator: { kind: 'child', epochs: 40, batchSize: 8, channels: [1, 2, 2, 2, 2] },
      seed: 3,
    });
    const space = nasnetSpace({ blocks: 2, hierarchical: false });
    const p = startNascent(['worker', '--redis', redis!.url, '--backend', 'wasm', '--name', 'ctrl-c']);
    const queue = new Queue(EVAL_QUEUE, { connection: redisConnection(redis!.url) });
    try {
      expect(await until(p, () => /waiting for jobs on nascent-eval/.test(p.output()))).toBe(true);
      const queued = await queue.add(EVAL_JOB_NAME, jobOf(config, space.toJSON(space.sample(new Rng(3)))), { jobId: 'ctrl-c-1' });
      const epochs = async () => (((await queue.getJob(queued.id!))?.progress as JobProgress | undefined)?.epochs ?? []).length;
      while ((await epochs()) < 1) await new Promise((r) => setTimeout(r, 50));
      p.child.kill('SIGINT');
      expect(await until(p, () => /stopping after the job in hand/.test(p.output()))).toBe(true);
      await new Promise((r) => setTimeout(r, 700));
      p.child.kill('SIGINT');
      expect((await p.exited).code).toBe(130);
      expect(p.output()).toMatch(/goes back to the queue/);
      const job = await queue.getJob(queued.id!);
      expect(await job!.getState()).toBe('waiting');
      expect(job!.attemptsMade).toBe(0);
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
      await queue.obliterate({ force: true });
      await queue.close();
    }
  }, 180_000);
});
