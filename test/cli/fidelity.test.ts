// nascent search with --fidelity hyperband and --prune median as a user runs them: real (tiny)
// children on wasm, a promotion that continues from saved weights, a resume in the middle of a
// bracket that gives the trials of a run left alone, and the flag errors.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLearnableCifar } from '../helpers/learnable-cifar.js';
import { runNascent } from '../helpers/cli.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'nascent-fidelity-cli-'));
  writeLearnableCifar(join(work, 'data'), 100);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const tiny = (out: string) => [
  '--batch-size',
  '32',
  '--train-limit',
  '160',
  '--val-limit',
  '96',
  '--channels',
  '4,8,8,16,16',
  '--data-dir',
  join(work, 'data'),
  '--out',
  out,
  '--seed',
  '5',
  '--backend',
  'wasm',
  '--no-report',
  '--strategy',
  'random',
];
const trials = (dir: string) =>
  readFileSync(join(dir, 'trials.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const { time: _t, seconds: _s, latencyMs: _l, ...rest } = JSON.parse(l);
      return rest;
    });

describe('nascent search --objective mnas', () => {
  it('ranks by ACC x (params/T)^w, records latency and objective in each trial, and draws the Pareto front', () => {
    const out = join(work, 'mnas');
    const r = runNascent([
      'search',
      'cifar10',
      '--episodes',
      '3',
      '--epochs',
      '1',
      '--objective',
      'mnas',
      '--target-params',
      '20000',
      ...tiny(out).filter((a) => a !== '--no-report'),
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = readFileSync(join(out, 'trials.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (const t of lines) {
      expect(t.latencyMs).toBeGreaterThan(0);
      expect(t.objective).toBeCloseTo(t.accuracy * (t.params / 20000) ** -0.07, 12);
    }
    const best = JSON.parse(readFileSync(join(out, 'best-cells.json'), 'utf8'));
    expect(best.objective).toBe(Math.max(...lines.map((t) => t.objective)));
    expect(best.front.length).toBeGreaterThan(0);
    expect(existsSync(join(out, 'report', 'cost.svg'))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toMatchObject({ objective: { name: 'mnas', targetParams: 20000, w: -0.07 } });
  });
});

describe('nascent search --fidelity hyperband', () => {
  it('runs a bracket (3 children at 1 epoch, the best continued to 3), and a resume mid-bracket gives the same trials', () => {
    // R = 3, eta = 3: one bracket s = 1 of 3 new children at 1 epoch and 1 promotion to 3 epochs, then s = 0.
    const straight = join(work, 'straight');
    const r = runNascent(['search', 'cifar10', '--episodes', '4', '--fidelity', 'hyperband', '--max-epochs', '3', ...tiny(straight)]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const want = trials(straight);
    expect(want.map((t) => [t.bracket, t.rung, t.budget, t.epochsTrained])).toEqual([
      [1, 0, 1, 1],
      [1, 0, 1, 1],
      [1, 0, 1, 1],
      [1, 1, 3, 2],
    ]);
    const best = want.slice(0, 3).reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
    expect(want[3]).toMatchObject({ inheritedFrom: best.episode, key: best.key });
    expect(want[3].valAccuracies).toHaveLength(3);
    expect(want[3].valAccuracies[0]).toBe(best.valAccuracies[0]);
    const config = JSON.parse(readFileSync(join(straight, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ scheduler: { fidelity: 'hyperband', maxEpochs: 3, factor: 3, prune: 'none', retrainDuplicates: false } });
    expect(readdirSync(join(straight, 'states'))).toEqual([]); // the bracket is over

    const split = join(work, 'split');
    expect(runNascent(['search', 'cifar10', '--episodes', '2', '--fidelity', 'hyperband', '--max-epochs', '3', ...tiny(split)]).code).toBe(0);
    expect(readdirSync(join(split, 'states')).sort()).toEqual(['episode-1.state', 'episode-2.state']); // rung 0 may still be promoted
    const resumed = runNascent(['search', '--resume', split, '--episodes', '4', '--backend', 'wasm', '--no-report']);
    expect(resumed.err).toBe('');
    expect(resumed.code).toBe(0);
    expect(trials(split)).toEqual(want);
  });

  it('--fidelity successive-halving repeats the most exploratory bracket instead of moving on to bracket 0', () => {
    // R = 3, eta = 3: 3 new at 1 epoch, the best continued to 3; then 3 new at 1 again (hyperband
    // would now train 2 new children at 3 epochs).
    const out = join(work, 'halving');
    const r = runNascent(['search', 'cifar10', '--episodes', '5', '--fidelity', 'successive-halving', '--max-epochs', '3', ...tiny(out)]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const ts = trials(out);
    expect(ts.map((t) => [t.bracket, t.rung, t.budget, t.epochsTrained])).toEqual([
      [1, 0, 1, 1],
      [1, 0, 1, 1],
      [1, 0, 1, 1],
      [1, 1, 3, 2],
      [1, 0, 1, 1],
    ]);
    const best = ts.slice(0, 3).reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
    expect(ts[3]).toMatchObject({ inheritedFrom: best.episode, key: best.key });
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toMatchObject({
      scheduler: { fidelity: 'successive-halving', maxEpochs: 3, factor: 3 },
    });
    expect(readdirSync(join(out, 'states'))).toEqual(['episode-5.state']); // the new bracket's first child may be promoted
  });

  it('prunes with --prune median and records where and why', () => {
    const out = join(work, 'pruned');
    const r = runNascent(['search', 'cifar10', '--episodes', '4', '--epochs', '2', '--prune', 'median', '--prune-startup', '1', ...tiny(out)]);
    expect(r.code).toBe(0);
    const ts = trials(out);
    for (const t of ts) {
      if (t.pruned) expect(t.pruned).toMatchObject({ epoch: 1, reason: expect.stringMatching(/below the median/) });
      else expect(t.valAccuracies).toHaveLength(2);
      expect(t.epochsTrained).toBe(t.valAccuracies.length);
    }
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toMatchObject({ scheduler: { prune: 'median', pruneWarmup: 0, pruneStartup: 1 } });
    expect(existsSync(join(out, 'states'))).toBe(false);
  });

  it('names what is wrong with the fidelity and pruning flags', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--factor', '2'], /--factor only applies with --fidelity hyperband or successive-halving/],
      [['--fidelity', 'hyperband', '--max-epochs', '2'], /--max-epochs 2 is below --factor 3: hyperband would train every child 2 epochs/],
      [['--prune-warmup', '1'], /--prune-warmup only applies with --prune median/],
      [['--fidelity', 'hyperband', '--prune', 'median'], /--prune median works with --fidelity full/],
      [['--fidelity', 'sometimes'], /--fidelity/],
      [['--objective', 'mnas'], /--objective mnas needs one target: --target-params N or --target-latency-ms T/],
      [['--objective', 'mnas', '--target-params', '100', '--target-latency-ms', '3'], /needs one target/],
      [['--target-params', '100'], /--target-params only applies with --objective mnas/],
      [['--objective', 'mnas', '--target-params', '100', '--mnas-w', '0.5'], /--mnas-w/],
    ];
    for (const [flags, message] of cases) {
      const r = runNascent(['search', 'cifar10', ...flags, '--out', join(work, 'never')]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
    }
    const nb = runNascent(['search', 'nas-bench-201', '--fidelity', 'hyperband', '--max-epochs', '9']);
    expect(nb.code).toBe(2);
    expect(nb.err).toMatch(/NAS-Bench-201 table holds one accuracy per cell/);
  });
});
