// `nascent search --config FILE`: a search started from a file another run wrote (its config.json),
// flags beside it overriding the file, the same seed giving the same trials, and a file written by
// hand refused with the path of each bad field.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNascent } from '../helpers/cli.js';
import { trialsOf, writeNb201Table } from '../helpers/nb201-table.js';

const nascent = (args: string[]) => runNascent(args, {}, 120_000);

let work: string;
let table: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'nascent-config-cli-'));
  table = writeNb201Table(work);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

describe('nascent search --config', () => {
  it('repeats another run from its config.json, with flags overriding the file', () => {
    const first = join(work, 'first');
    const r1 = nascent([
      'search',
      'nas-bench-201',
      '--table',
      table,
      '--strategy',
      'tpe',
      '--startup',
      '4',
      '--episodes',
      '10',
      '--seed',
      '3',
      '--no-report',
      '--out',
      first,
    ]);
    expect(r1.code, r1.err).toBe(0);

    // The same file and seed: the same search, trial for trial.
    const again = join(work, 'again');
    const r2 = nascent(['search', '--config', join(first, 'config.json'), '--no-report', '--out', again]);
    expect(r2.code, r2.err).toBe(0);
    expect(trialsOf(again)).toEqual(trialsOf(first));
    const { run: _a, ...settingsFirst } = json(join(first, 'config.json'));
    const { run: _b, ...settingsAgain } = json(join(again, 'config.json'));
    expect(settingsAgain).toEqual(settingsFirst);

    // Another seed and length from the command line; everything else from the file.
    const seed7 = join(work, 'seed7');
    const r3 = nascent(['search', '--config', join(first, 'config.json'), '--seed', '7', '--episodes', '6', '--no-report', '--out', seed7]);
    expect(r3.code, r3.err).toBe(0);
    expect(json(join(seed7, 'config.json'))).toMatchObject({
      seed: 7,
      episodes: 6,
      strategy: { name: 'tpe', tpe: { startup: 4 } },
      problem: { space: 'nas-bench-201', table },
    });
    expect(trialsOf(seed7)).toHaveLength(6);
    expect(trialsOf(seed7)).not.toEqual(trialsOf(first).slice(0, 6));
  }, 240_000);

  it('takes a file written by hand, any default left out, and names every bad field of one that is wrong', () => {
    const file = join(work, 'mine.json');
    writeFileSync(file, JSON.stringify({ problem: { space: 'nas-bench-201', table }, strategy: { name: 'random' }, episodes: 4, seed: 1 }));
    const run = join(work, 'mine');
    const r = nascent(['search', '--config', file, '--no-report', '--out', run]);
    expect(r.code, r.err).toBe(0);
    expect(trialsOf(run)).toHaveLength(4);
    expect(json(join(run, 'config.json'))).toMatchObject({ version: 2, strategy: { name: 'random', preset: 'tuned' }, evaluator: { kind: 'table' } });

    writeFileSync(
      file,
      JSON.stringify({ problem: { space: 'nas-bench-201', table }, strategy: { name: 'annealing' }, episodes: 0, evaluator: { kind: 'child' } }),
    );
    const bad = nascent(['search', '--config', file, '--out', join(work, 'never')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--strategy: expected "controller" or "random" or "evolution" or "tpe", got "annealing"/);
    expect(bad.err).toMatch(/--episodes: expected a number ≥ 1, got 0/);
    writeFileSync(file, '{ "episodes": 3, }');
    const syntax = nascent(['search', '--config', file, '--out', join(work, 'never')]);
    expect(syntax.code).not.toBe(0);
    expect(syntax.err).toMatch(/mine\.json:1:/);
  }, 120_000);
});

describe('nascent search for scripts and at its end', () => {
  it('--json prints one JSON object of the result on stdout, and the lines for a person on stderr', () => {
    const run = join(work, 'json');
    const r = nascent(['search', 'nas-bench-201', '--table', table, '--episodes', '5', '--seed', '2', '--no-report', '--json', '--out', run]);
    expect(r.code, r.err).toBe(0);
    const result = JSON.parse(r.out);
    expect(result).toMatchObject({ dir: run, status: 'finished', exitCode: 0, episodes: 5, files: { trials: join(run, 'trials.jsonl') } });
    expect(result.best.accuracy).toBe(Math.max(...trialsOf(run).map((t) => t.accuracy as number)));
    expect(r.err).toMatch(/finished 5 episodes/);
  }, 120_000);

  it('leaves a report that says the search finished, not one that reloads itself as if it were running', () => {
    const run = join(work, 'reported');
    const r = nascent(['search', 'nas-bench-201', '--table', table, '--episodes', '4', '--seed', '2', '--out', run]);
    expect(r.code, r.err).toBe(0);
    const html = readFileSync(join(run, 'report', 'index.html'), 'utf8');
    expect(html).toContain('search finished');
    expect(html).not.toContain('search in progress');
    expect(html).not.toContain('http-equiv="refresh"');
  }, 120_000);
});
