// A job (the search's problem and evaluator settings, an architecture, a budget, maybe a saved
// state) is all a worker needs: rebuilt from its JSON alone, the child scores what the search's own
// child scored, trial for trial, and a continued child equals the search's promoted one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareBackend } from '../../src/backend/index.js';
import { evaluateJob, jobOf, type EvalJob } from '../../src/run/job.js';
import { search } from '../../src/run/runner.js';
import { writeLearnableCifar } from '../helpers/learnable-cifar.js';

const work = mkdtempSync(join(tmpdir(), 'nascent-job-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('an evaluation job', () => {
  it("gives a worker that has only the job's JSON the search's own results, for a new child and a continued one", async () => {
    const data = join(work, 'cifar');
    writeLearnableCifar(data, 20);
    const run = await search(
      {
        problem: { space: 'nasnet', blocks: 2, data: { dataset: 'cifar10', dir: data, trainLimit: 40, valLimit: 20 } },
        strategy: { name: 'random' },
        scheduler: { fidelity: 'hyperband', maxEpochs: 3 },
        evaluator: { kind: 'child', epochs: 3, batchSize: 8, channels: [1, 2, 2, 2, 2] },
        episodes: 4,
        seed: 3,
        backend: 'wasm',
      },
      { out: join(work, 'run') },
    );
    const backend = await prepareBackend('wasm');
    const [first, , , promoted] = run.trials;
    expect(promoted.inheritedFrom).toBeDefined();

    // A new child at its rung's budget, from the job's JSON alone.
    const job = JSON.parse(JSON.stringify(jobOf(run.config, first.cells, { epochs: first.budget, keepState: true }))) as EvalJob;
    const outcome = await evaluateJob(job, { backend });
    expect(outcome.valAccuracies).toEqual(first.valAccuracies);
    expect(outcome.params).toBe(first.params);

    // The promoted child continued from the state its parent's job returned: the search's trial again.
    const parent = run.trials.find((t) => t.episode === promoted.inheritedFrom)!;
    const parentOutcome = await evaluateJob(jobOf(run.config, parent.cells, { epochs: parent.budget, keepState: true }), { backend });
    expect(parentOutcome.valAccuracies).toEqual(parent.valAccuracies);
    const continued = await evaluateJob(jobOf(run.config, promoted.cells, { epochs: promoted.budget, state: parentOutcome.state }), { backend });
    expect([...parent.valAccuracies, ...continued.valAccuracies]).toEqual(promoted.valAccuracies);
  }, 240_000);

  it('refuses what is not a job, or a job for another evaluator, naming why', async () => {
    const backend = await prepareBackend('cpu');
    await expect(evaluateJob({ format: 'x' } as unknown as EvalJob, { backend })).rejects.toThrow(/not a nascent.eval-job of version 1/);
    const table = {
      format: 'nascent.eval-job',
      version: 1,
      config: { problem: { space: 'nas-bench-201' }, evaluator: { kind: 'table' }, seed: 1 },
      arch: {},
    } as unknown as EvalJob;
    await expect(evaluateJob(table, { backend })).rejects.toThrow(/a job trains a child; its evaluator is table/);
  });
});
