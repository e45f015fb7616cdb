// `nascent search nas-bench-201` as a user runs it, on a complete table the test writes itself
// (every one of the 15,625 cells, accuracy a made-up function of its edges): each strategy runs,
// the run leaves trials, best cells and a report, a resumed run gives the trials of one left alone,
// and a bad table gets a clear error.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNascent } from '../helpers/cli.js';
import { trialsOf, writeNb201Table } from '../helpers/nb201-table.js';
import { asVersion1 } from '../helpers/v1-config.js';

const nascent = (args: string[]) => runNascent(args, {}, 120_000);

let work: string;
let table: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'nascent-nb201-cli-'));
  table = writeNb201Table(work);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('nascent search nas-bench-201', () => {
  it('runs every strategy on lookups, leaving trials, best cells and a report', () => {
    for (const strategy of ['controller', 'random', 'evolution', 'tpe']) {
      const run = join(work, strategy);
      const r = nascent([
        'search',
        'nas-bench-201',
        '--table',
        table,
        '--dataset',
        'cifar100',
        '--strategy',
        strategy,
        '--episodes',
        '25',
        '--seed',
        '3',
        '--out',
        run,
        ...(strategy === 'controller' ? [] : ['--no-report']),
      ]);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/table: 15625 NAS-Bench-201 cells .* cifar100 test accuracy is looked up \(best in the table 60\.00\)/);
      const trials = trialsOf(run);
      expect(trials).toHaveLength(25);
      expect(trials.every((t) => t.strategy === strategy && typeof t.cells.arch === 'string' && t.accuracy > 0.29)).toBe(true);
      const best = JSON.parse(readFileSync(join(run, 'best-cells.json'), 'utf8'));
      expect(best.accuracy).toBe(Math.max(...trials.map((t) => t.accuracy)));
      const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
      expect(config).toMatchObject({
        problem: { space: 'nas-bench-201', column: 'cifar100' },
        evaluator: { kind: 'table' },
        strategy: { name: strategy, preset: 'tuned' },
      });
      // No setting of a trained child: the table search never read one.
      for (const key of ['epochs', 'batchSize', 'lr', 'channels', 'blocks', 'hierarchical', 'retrainDuplicates']) expect(config, key).not.toHaveProperty(key);
    }
    for (const f of ['index.html', 'normal.svg', 'accuracy.png']) expect(existsSync(join(work, 'controller', 'report', f)), f).toBe(true);
  });

  it('resumes a run to the same trials as one left alone', () => {
    const straight = join(work, 'straight');
    const resumed = join(work, 'resumed');
    const common = ['--table', table, '--strategy', 'controller', '--seed', '5', '--no-report'];
    expect(nascent(['search', 'nas-bench-201', ...common, '--episodes', '30', '--out', straight]).code).toBe(0);
    expect(nascent(['search', 'nas-bench-201', ...common, '--episodes', '12', '--out', resumed]).code).toBe(0);
    const r = nascent(['search', '--resume', resumed, '--episodes', '30']);
    expect(r.code, r.err).toBe(0);
    expect(trialsOf(resumed)).toEqual(trialsOf(straight));
  });

  it("refuses a trained child's flag from the command line, and resumes a config.json that recorded their defaults", () => {
    // Each flag's refusal is unit-tested (problem-flags.test.ts); this is the user's view of one.
    const r = nascent(['search', 'nas-bench-201', '--table', table, '--epochs', '50', '--episodes', '1', '--out', join(work, 'refused')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--epochs does not apply to nas-bench-201: each architecture's accuracy is looked up in the table/);
    expect(existsSync(join(work, 'refused'))).toBe(false);
    // A run from before these flags were refused recorded every default in its config.json.
    const old = join(work, 'old');
    expect(
      nascent(['search', 'nas-bench-201', '--table', table, '--strategy', 'random', '--seed', '9', '--no-report', '--episodes', '4', '--out', old]).code,
    ).toBe(0);
    // Its config.json as a version-1 run wrote it (flat), with those defaults.
    const configFile = join(old, 'config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8'));
    const v1 = {
      ...asVersion1(config),
      ...{ epochs: 6, batchSize: 128, lr: 0.001, channels: [4, 16, 16, 256, 256], blocks: 5, hierarchical: false, retrainDuplicates: false },
    };
    writeFileSync(configFile, JSON.stringify(v1, null, 2) + '\n');
    const again = nascent(['search', '--resume', old, '--episodes', '6']);
    expect(again.code, again.err).toBe(0);
    expect(trialsOf(old)).toHaveLength(6);
  });

  it('says what is wrong with a table that is missing or lacks a column', () => {
    const missing = nascent(['search', 'nas-bench-201', '--table', join(work, 'nope.csv'), '--episodes', '1', '--out', join(work, 'x')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/--table .*nope\.csv does not exist/);
    const bad = join(work, 'bad.csv');
    writeFileSync(bad, 'CIFAR10TestAccuracy200Epochs,ArchitectureString\n94,|none~0|+|none~0|none~1|+|none~0|none~1|none~2|\n');
    const noColumn = nascent(['search', 'nas-bench-201', '--table', bad, '--episodes', '1', '--out', join(work, 'y')]);
    expect(noColumn.code).toBe(1);
    expect(noColumn.err).toMatch(/bad\.csv: no column CIFAR100TestAccuracy200Epochs/);
  });
});
