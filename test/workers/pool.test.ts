// Children trained outside the search's process: a local pool of trainer processes gives the
// result the search would get in process and hands pruning questions back to the search; over a
// real Redis, a worker whose images differ from the search's (by fingerprint) leaves the job to one
// that has them; `nascent workers` lists the live workers; Redis URLs keep their password out of
// config.json.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareBackend } from '../../src/backend/index.js';
import { resolveSearchConfig } from '../../src/config/resolve.js';
import { dataFingerprint } from '../../src/data/fingerprint.js';
import { evaluateJob } from '../../src/run/job.js';
import { loadSearchImages } from '../../src/run/parts.js';
import { withoutPassword } from '../../src/run/record.js';
import { runWorkersCommand } from '../../src/cli/commands/workers.js';
import { parseArgs } from '../../src/cli/flags.js';
import { workersCommand } from '../../src/cli/commands/workers.js';
import { nasnetSpace } from '../../src/spaces/nasnet/space.js';
import type { CellPair } from '../../src/spaces/nasnet/types.js';
import { Rng } from '../../src/util/random.js';
import type { ChildJobs } from '../../src/workers/child-job.js';
import { LocalPool } from '../../src/workers/local-pool.js';
import { QueueEvaluator } from '../../src/workers/queue-evaluator.js';
import { redisOptions } from '../../src/workers/queue.js';
import { startWorker } from '../../src/workers/worker.js';
import { writeLearnableCifar } from '../helpers/learnable-cifar.js';
import { haveRedis, startRedis, type RedisServer } from '../helpers/redis.js';

const work = mkdtempSync(join(tmpdir(), 'nascent-pool-'));
const data = join(work, 'cifar');
const other = join(work, 'other-cifar');
const space = nasnetSpace({ blocks: 2, hierarchical: false });
const config = resolveSearchConfig({
  problem: { space: 'nasnet', blocks: 2, data: { dataset: 'cifar10', dir: data, trainLimit: 40, valLimit: 20 } },
  evaluator: { kind: 'child', epochs: 2, batchSize: 8, channels: [1, 2, 2, 2, 2] },
  seed: 5,
  backend: 'wasm',
});
let jobs: ChildJobs;
beforeAll(async () => {
  writeLearnableCifar(data, 20);
  writeLearnableCifar(other, 20, 2);
  const splits = await loadSearchImages(config);
  jobs = { config, space, requires: { data: dataFingerprint(splits), imageShape: [32, 32, 3], backend: 'wasm' }, prune: false };
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cellsOf = (seed: number) => space.sample(new Rng(seed)) as CellPair;

describe('a local pool of trainer processes', () => {
  it('trains two children at once, each as the search would in process, and asks the search whether to go on', async () => {
    const pool = new LocalPool({ ...jobs, size: 2, backend: 'wasm', threads: 1 });
    try {
      const workers: string[] = [];
      const epochs: number[] = [];
      const [a, b] = await Promise.all(
        [1, 2].map((seed) =>
          pool.train(cellsOf(seed), { onWorker: (w) => workers.push(w), onEpochEnd: (e) => epochs.push(e) }, { jobId: `t-${seed}`, keepState: true }),
        ),
      );
      expect(workers.sort()).toEqual(['local-1', 'local-2']);
      expect(epochs.sort()).toEqual([0, 0, 1, 1]);
      const backend = await prepareBackend('wasm');
      for (const [outcome, seed] of [
        [a, 1],
        [b, 2],
      ] as const) {
        const direct = await evaluateJob({ format: 'nascent.eval-job', version: 1, config, arch: space.toJSON(cellsOf(seed)) }, { backend });
        expect(outcome.valAccuracies).toEqual(direct.valAccuracies);
        expect(outcome.params).toBe(direct.params);
        expect(outcome.state?.byteLength).toBeGreaterThan(1000);
      }
      // Pruning: the trainer asks after each epoch and stops where the search says.
      const pruning = new LocalPool({ ...jobs, prune: true, size: 1, backend: 'wasm', threads: 1 });
      try {
        const asked: number[][] = [];
        const stopped = await pruning.train(cellsOf(3), { stopAfterEpoch: (accs) => (asked.push([...accs]), 'below the median') }, { epochs: 3 });
        expect(asked).toHaveLength(1);
        expect(stopped.stopped).toEqual({ epoch: 1, reason: 'below the median' });
        expect(stopped.valAccuracies).toHaveLength(1);
      } finally {
        await pruning.close();
      }
    } finally {
      await pool.close();
    }
  }, 180_000);
});

describe('redis URLs', () => {
  it('reads a password, a database and TLS, refuses what is not a redis URL, and keeps passwords out of config.json', () => {
    expect(redisOptions('rediss://user:s%40cret@queue.example:6380/2')).toMatchObject({
      host: 'queue.example',
      port: 6380,
      username: 'user',
      password: 's@cret',
      db: 2,
      tls: {},
    });
    expect(redisOptions('redis://127.0.0.1')).toMatchObject({ host: '127.0.0.1', port: 6379 });
    expect(() => redisOptions('http://x')).toThrow(/expected a redis:\/\/ or rediss:\/\/ URL/);
    expect(() => redisOptions('not a url')).toThrow(/is not a URL/);
    expect(withoutPassword('redis://:secret@h:6379')).toBe('redis://:***@h:6379');
    expect(withoutPassword('rediss://user:secret@h')).toBe('rediss://user:***@h');
    expect(withoutPassword('redis://h:6379')).toBe('redis://h:6379');
    expect(() => resolveSearchConfig({ ...config, redis: 'http://h' })).toThrow(/redis.*redis:\/\/ or rediss:\/\//);
    expect(() => resolveSearchConfig({ problem: { space: 'nas-bench-201' }, parallel: 2 })).toThrow(/parallel.*table evaluation/);
  });
});

const available = haveRedis();
describe.runIf(available)('workers on a queue', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('a worker with other images leaves the job to one with the search’s; nascent workers lists them', async () => {
    const lines: string[] = [];
    const wrong = startWorker({ redis: redis.url, backend: 'wasm', dataDir: other, threads: 1, name: 'wrong-data', log: (l) => lines.push(l) });
    await wrong.ready;
    const queue = new QueueEvaluator({ ...jobs, redis: redis.url, pollMs: 50 });
    let right: ReturnType<typeof startWorker> | undefined;
    try {
      await queue.ready();
      const workers: string[] = [];
      const result = queue.train(cellsOf(4), { onWorker: (w) => workers.push(w) }, { jobId: 'refusal-1' });
      while (!lines.some((l) => /fingerprint .* this worker's copy has/.test(l))) await new Promise((r) => setTimeout(r, 50));
      right = startWorker({ redis: redis.url, backend: 'wasm', threads: 1, name: 'right-data' });
      await right.ready;
      const listed: string[] = [];
      await runWorkersCommand(parseArgs(workersCommand, ['--redis', redis.url]), (l) => listed.push(l));
      expect(listed.join('\n')).toMatch(/right-data\s+wasm/);
      expect(listed.join('\n')).toMatch(/wrong-data\s+wasm/);
      const outcome = await result;
      expect(outcome.worker).toBe('right-data');
      expect(outcome.valAccuracies).toHaveLength(2);
      expect(workers).toContain('right-data');
    } finally {
      await queue.close();
      await wrong.close();
      await right?.close();
    }
  }, 180_000);
});
