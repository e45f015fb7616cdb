// `nascent runs [DIR]` on real runs: a finished trained search, a NAS-Bench-201 search while it runs
// and after Ctrl-C, a finished one, a weight-sharing search stopped mid-training and then resumed to
// its end, a version-1 run, a damaged one, and a directory that is no run.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRunsCommand, runsCommand } from '../../src/cli/commands/runs.js';
import { parseArgs } from '../../src/cli/flags.js';
import { listRuns, type RunSummary } from '../../src/report/runs.js';
import { formatNb201, NB201_OPS } from '../../src/spaces/nas-bench-201/space.js';
import { runNascent, startNascent, until } from '../helpers/cli.js';
import { writeLearnableCifar } from '../helpers/learnable-cifar.js';
import { writeFakeRun } from '../report/fake-run.js';

let work: string;
let data: string;
let table: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'nascent-runs-'));
  data = join(work, 'data');
  writeLearnableCifar(data, 20);
  const lines = ['CIFAR10TestAccuracy200Epochs,CIFAR100TestAccuracy200Epochs,ImageNetTestAccuracy200Epochs,ArchitectureString,UniqueString'];
  for (let i = 0; i < 5 ** 6; i++) {
    const edges = Array.from({ length: 6 }, (_, k) => NB201_OPS[Math.floor(i / 5 ** k) % 5]);
    lines.push(`${(60 + (i % 97) / 4).toFixed(2)},50.00,40.00,${formatNb201({ edges })},u${i}`);
  }
  table = join(work, 'table.csv');
  writeFileSync(table, `${lines.join('\n')}\n`);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const trialCount = (run: string) =>
  existsSync(join(run, 'trials.jsonl'))
    ? readFileSync(join(run, 'trials.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l.endsWith('}')).length
    : 0;

const tiny = ['--batch-size', '16', '--train-limit', '32', '--val-limit', '16', '--channels', '1,2,2,2,2', '--backend', 'wasm', '--no-report', '--data-dir'];

describe('nascent runs', () => {
  it('lists each run with its state, best accuracy, trials, kind and creation time', async () => {
    const runs = join(work, 'runs');
    const child = join(runs, 'a-child');
    const trained = runNascent(['search', 'cifar10', '--episodes', '2', '--epochs', '1', '--blocks', '1', '--seed', '3', ...tiny, data, '--out', child]);
    expect(trained.code, trained.err).toBe(0);

    // Weight sharing, stopped by Ctrl-C once its first checkpoint is written: stopped in its training phase.
    const ws = join(runs, 'b-weight-sharing');
    const wsArgs = ['search', 'cifar10', '--weight-sharing', '--ws-epochs', '3', '--controller-steps', '2', '--final-samples', '3', '--top-cells', '2'];
    const shared = startNascent([...wsArgs, '--checkpoint-every', '1', '--blocks', '1', '--seed', '5', ...tiny, data, '--out', ws], {
      NASCENT_WASM_THREADS: '1',
    });
    expect(await until(shared, () => existsSync(join(ws, 'ws-checkpoint.bin')))).toBe(true);
    shared.child.kill('SIGINT');
    expect((await shared.exited).code).toBe(130);

    // A table search far too long to finish: listed while it runs, then stopped with Ctrl-C.
    const long = join(runs, 'c-long');
    const search = startNascent([
      'search',
      'nas-bench-201',
      '--table',
      table,
      '--strategy',
      'random',
      '--episodes',
      '1000000',
      '--seed',
      '1',
      '--no-report',
      '--out',
      long,
    ]);
    expect(await until(search, () => trialCount(long) >= 3)).toBe(true);
    const live = listRuns(runs).find((r) => r.name === 'c-long')!;
    expect(live).toMatchObject({
      state: 'running',
      pid: search.child.pid,
      planned: 1000000,
      kind: { space: 'nas-bench-201', evaluator: 'table', strategy: 'random' },
    });
    search.child.kill('SIGINT');
    expect((await search.exited).code).toBe(130);

    const done = join(runs, 'd-table');
    expect(
      runNascent(['search', 'nas-bench-201', '--table', table, '--strategy', 'evolution', '--episodes', '20', '--seed', '2', '--no-report', '--out', done])
        .code,
    ).toBe(0);
    // A version-1 run, as nascent wrote them before the SearchConfig.
    writeFakeRun(join(runs, 'e-version-1'), { episodes: 4, planned: 6, strategy: 'random' });
    mkdirSync(join(runs, 'f-damaged'));
    writeFileSync(join(runs, 'f-damaged', 'config.json'), '{"format": ');
    mkdirSync(join(runs, 'g-not-a-run'));
    writeFileSync(join(runs, 'g-not-a-run', 'notes.txt'), 'no run here');

    const r = runNascent(['runs', runs, '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const listed = JSON.parse(r.out) as { dir: string; runs: RunSummary[] };
    expect(listed.dir).toBe(runs);
    const byName = Object.fromEntries(listed.runs.map((x) => [x.name, x]));
    expect(Object.keys(byName).sort()).toEqual(['a-child', 'b-weight-sharing', 'c-long', 'd-table', 'e-version-1', 'f-damaged']);
    const best = (run: string) =>
      Math.max(
        ...readFileSync(join(run, 'trials.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).accuracy),
      );
    expect(byName['a-child']).toMatchObject({
      state: 'finished',
      trials: 2,
      planned: 2,
      bestAccuracy: best(child),
      kind: { space: 'nasnet', evaluator: 'child', strategy: 'controller' },
    });
    expect(byName['a-child'].created).toBe(JSON.parse(readFileSync(join(child, 'config.json'), 'utf8')).run.created);
    expect(byName['b-weight-sharing']).toMatchObject({
      state: 'stopped',
      phase: 'train',
      trials: 0,
      planned: 3,
      bestAccuracy: null,
      kind: { evaluator: 'weight-sharing' },
    });
    expect(byName['c-long']).toMatchObject({ state: 'stopped', trials: trialCount(long), planned: 1000000 });
    expect(byName['c-long']).not.toHaveProperty('pid');
    expect(byName['d-table']).toMatchObject({
      state: 'finished',
      trials: 20,
      planned: 20,
      bestAccuracy: best(done),
      kind: { space: 'nas-bench-201', strategy: 'evolution' },
    });
    expect(byName['e-version-1']).toMatchObject({ state: 'stopped', trials: 4, planned: 6, kind: { space: 'nasnet', evaluator: 'child', strategy: 'random' } });
    expect(byName['f-damaged']).toMatchObject({ state: 'damaged', kind: null });
    expect(byName['f-damaged'].problem).toMatch(/config\.json: not valid JSON/);
    // Oldest first: the order they were made in (the version-1 run records no time: its file's).
    expect(listed.runs.slice(0, 4).map((x) => x.name)).toEqual(['a-child', 'b-weight-sharing', 'c-long', 'd-table']);

    // The weight-sharing run resumed to its end is finished, with its best cells' accuracy.
    expect(runNascent(['search', '--resume', ws], { NASCENT_WASM_THREADS: '1' }).code).toBe(0);
    const finished = listRuns(ws)[0];
    expect(finished).toMatchObject({ state: 'finished', phase: 'done', trials: 3, planned: 3 });
    expect(finished.bestAccuracy).toBe(JSON.parse(readFileSync(join(ws, 'best-cells.json'), 'utf8')).accuracy);

    // The table a person reads: a header and a line per run.
    const lines: string[] = [];
    expect(await runRunsCommand(parseArgs(runsCommand, [runs]), (l) => lines.push(l))).toBe(0);
    expect(lines[0]).toMatch(/^RUN\s+STATE\s+BEST\s+TRIALS\s+KIND\s+CREATED$/);
    expect(lines).toHaveLength(7);
    expect(lines.find((l) => l.includes('a-child'))).toMatch(/ finished +0\.\d{4} +2\/2 +nasnet \/ child \/ controller +\d{4}-\d\d-\d\d \d\d:\d\dZ$/);
    expect(lines.find((l) => l.includes('c-long'))).toMatch(/ stopped +0\.\d{4} +\d+\/1000000 +nas-bench-201 \/ table \/ random /);
    expect(lines.find((l) => l.includes('f-damaged'))).toMatch(/ damaged +- +0 +unreadable: .*not valid JSON/);
  }, 600_000);

  it('says when a directory holds no runs, and refuses one that does not exist', async () => {
    const empty = join(work, 'empty');
    mkdirSync(empty);
    const lines: string[] = [];
    expect(await runRunsCommand(parseArgs(runsCommand, [empty]), (l) => lines.push(l))).toBe(0);
    expect(lines).toEqual([`no runs in ${empty} (a run is a directory with config.json, as nascent search writes)`]);
    const json: string[] = [];
    await runRunsCommand(parseArgs(runsCommand, [empty, '--json']), (l) => json.push(l));
    expect(JSON.parse(json.join('\n'))).toEqual({ dir: empty, runs: [] });
    expect(() => listRuns(join(work, 'missing'))).toThrow(`${join(work, 'missing')}: no such directory`);
  });
});
