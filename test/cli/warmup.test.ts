// `nascent search --warmup N --proxy NAME` as a user runs it: N architectures scored by a zero-cost
// proxy before the search, written to warmup.jsonl, and the strategy starting from the best-scored;
// a resume goes on from the checkpoint without scoring again.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runNascent } from '../helpers/cli.js';
import { trialsOf, writeNb201Table } from '../helpers/nb201-table.js';

const work = mkdtempSync(join(tmpdir(), 'nascent-warmup-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('nascent search --warmup', () => {
  it('scores the pool, starts evolution from its best, records it, and resumes without scoring again', () => {
    const table = writeNb201Table(work);
    const out = join(work, 'run');
    const common = ['--table', table, '--strategy', 'evolution', '--population', '5', '--tournament', '2', '--seed', '3', '--no-report'];
    const r = runNascent(['search', 'nas-bench-201', ...common, '--warmup', '20', '--proxy', 'params', '--episodes', '8', '--out', out]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/warm-up: 20 architectures scored by params in [\d.]+ s; best score/);
    const pool = readFileSync(join(out, 'warmup.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { cells: { arch: string }; score: number });
    expect(pool).toHaveLength(20);
    const best5 = [...pool].sort((a, b) => b.score - a.score).slice(0, 5);
    const trials = trialsOf(out);
    expect(trials.slice(0, 5).map((t) => t.cells.arch)).toEqual(best5.map((p) => p.cells.arch));
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).strategy.warmup).toEqual({ count: 20, proxy: 'params' });

    const again = runNascent(['search', '--resume', out, '--episodes', '10']);
    expect(again.code, again.err).toBe(0);
    expect(again.out).not.toMatch(/warm-up:/);
    expect(trialsOf(out)).toHaveLength(10);
  }, 240_000);

  it('refuses a warm-up of a weight-sharing search, naming the flag', () => {
    const r = runNascent(['search', 'cifar10', '--weight-sharing', '--warmup', '10']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--warmup does not apply to weight sharing/);
  });
});
