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
    // Every trial records its proxy score, the seeded ones the same as in the pool.
    expect(trials.slice(0, 5).map((t) => t.proxy?.params)).toEqual(best5.map((p) => p.score));
    expect(trials.every((t) => typeof t.proxy?.params === 'number' && t.proxy.params > 0)).toBe(true);

    const again = runNascent(['search', '--resume', out, '--episodes', '10']);
    expect(again.code, again.err).toBe(0);
    expect(again.out).not.toMatch(/warm-up:/);
    expect(trialsOf(out)).toHaveLength(10);
  }, 240_000);

  it('combines proxies by their mean rank, and names an unknown one', () => {
    const table = writeNb201Table(work);
    const out = join(work, 'combined');
    const r = runNascent([
      'search',
      'nas-bench-201',
      '--table',
      table,
      '--strategy',
      'tpe',
      '--startup',
      '4',
      '--seed',
      '1',
      '--no-report',
      '--warmup',
      '12',
      '--proxy',
      'params+flops',
      '--episodes',
      '6',
      '--out',
      out,
    ]);
    expect(r.code, r.err).toBe(0);
    const pool = readFileSync(join(out, 'warmup.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { score: number; scores: Record<string, number> });
    // Mean ranks of 12: between 1 and 12, a pool entry's scores by each proxy beside them.
    expect(pool.every((p) => p.score >= 1 && p.score <= 12 && p.scores.params > 0 && p.scores.flops > 0)).toBe(true);
    expect(trialsOf(out).every((t) => Object.keys(t.proxy ?? {}).join() === 'params,flops')).toBe(true);

    // The proxy as a rung before the table: a rejected cell is recorded, never looked up.
    const rung = join(work, 'rung');
    const screened = runNascent([
      ...['search', 'nas-bench-201', '--table', table, '--strategy', 'random', '--seed', '2', '--no-report'],
      ...['--warmup', '20', '--proxy', 'params+flops', '--proxy-rung', '--rung-proxy', 'params', '--factor', '4', '--episodes', '12', '--out', rung],
    ]);
    expect(screened.code, screened.err).toBe(0);
    const looked = trialsOf(rung);
    const rejected = looked.filter((t) => t.rejected);
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected.every((t) => t.accuracy === null && /below the best 25% the rung keeps/.test(t.rejected!))).toBe(true);
    expect(screened.out).toMatch(/rejected untrained \(params ranks it above/);
    // The rung's proxy scores every trial; the warm-up's pool kept both.
    expect(looked.every((t) => Object.keys(t.proxy ?? {}).join() === 'params')).toBe(true);

    const bad = runNascent(['search', 'nas-bench-201', '--table', table, '--warmup', '5', '--proxy', 'synflow+zico']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown zero-cost proxy 'zico' in 'synflow\+zico'/);
    const trained = runNascent(['search', 'cifar10', '--proxy-rung']);
    expect(trained.code).toBe(2);
    expect(trained.err).toMatch(/--proxy-rung only applies with --fidelity hyperband or successive-halving/);
  }, 240_000);

  it('refuses a warm-up of a weight-sharing search, naming the flag', () => {
    const r = runNascent(['search', 'cifar10', '--weight-sharing', '--warmup', '10']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--warmup does not apply to weight sharing/);
  });
});
