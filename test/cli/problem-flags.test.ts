// Which flags each problem takes: a table search (nas-bench-201) refuses the flags of trained
// children and their images, a search that trains children refuses the table's, on the command
// line and on resume; an older config.json that recorded every default still resumes.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/flags.js';
import { configFromArgs, resumedConfig, searchCommand } from '../../src/cli/search-flags.js';

const settings = (...argv: string[]) => configFromArgs(parseArgs(searchCommand, argv));

describe('flags by problem', () => {
  it("refuses a trained child's flags for the nas-bench-201 table, naming the flag and why", () => {
    const childFlags: Array<[string, string?]> = [
      ['--epochs', '50'],
      ['--batch-size', '64'],
      ['--lr', '0.01'],
      ['--channels', '8,8,8,8,8'],
      ['--blocks', '3'],
      ['--hierarchical'],
      ['--train-limit', '2000'],
      ['--val-limit', '500'],
      ['--val-fraction', '0.5'],
      ['--micro-batch', '16'],
      ['--retrain-duplicates'],
      ['--data-dir', '/tmp/x'],
      ['--data-url', 'https://example.org/c.tgz'],
      ['--allow-http'],
    ];
    for (const [flag, value] of childFlags) {
      expect(() => settings('nas-bench-201', flag, ...(value === undefined ? [] : [value])), flag).toThrow(
        new RegExp(`^${flag} does not apply to nas-bench-201: each architecture's accuracy is looked up in the table`),
      );
    }
    expect(settings('nas-bench-201', '--table', 't.csv', '--dataset', 'cifar100', '--episodes', '20')).toMatchObject({
      problem: { space: 'nas-bench-201', table: resolve('t.csv'), column: 'cifar100' },
      evaluator: { kind: 'table' },
      episodes: 20,
    });
  });

  it('refuses the table flags for a data set of images', () => {
    expect(() => settings('folder:photos', '--table', 't.csv')).toThrow(
      /--table only applies to nas-bench-201 \(a search on folder:\S*photos trains its children\)/,
    );
    for (const problem of ['cifar10', 'fashion-mnist', 'mnist']) {
      expect(() => settings(problem, '--table', 't.csv')).toThrow(
        new RegExp(`--table only applies to nas-bench-201 \\(a search on ${problem} trains its children\\)`),
      );
      expect(() => settings(problem, '--dataset', 'cifar10')).toThrow(/--dataset only applies to nas-bench-201/);
    }
  });

  it('records only the settings a run reads', () => {
    const table = settings('nas-bench-201', '--seed', '1');
    expect(table.evaluator).toEqual({ kind: 'table' });
    expect(table.problem).toEqual({ space: 'nas-bench-201', column: 'cifar10' });
    expect(table).toMatchObject({ seed: 1, episodes: 150 });
    const image = settings('cifar10', '--seed', '1');
    expect(image.problem).not.toHaveProperty('column');
    expect(image).toMatchObject({ evaluator: { kind: 'child', epochs: 6, channels: [4, 16, 16, 256, 256] }, scheduler: { retrainDuplicates: false } });
    const ws = settings('cifar10', '--weight-sharing', '--seed', '1');
    expect(ws).not.toHaveProperty('episodes');
    for (const key of ['epochs', 'microBatch']) expect(ws.evaluator, key).not.toHaveProperty(key);
  });

  it('resumes a config.json that recorded the defaults of flags its problem ignores, and refuses them given', () => {
    const old = {
      format: 'nascent.search-config',
      version: 1,
      dataset: 'nas-bench-201',
      tableDataset: 'cifar100',
      episodes: 10,
      epochs: 6,
      batchSize: 128,
      lr: 0.001,
      channels: [4, 16, 16, 256, 256],
      blocks: 5,
      hierarchical: false,
      retrainDuplicates: false,
      strategy: 'random',
      seed: 4,
      backend: 'wasm',
      preset: 'tuned',
    };
    const resume = (config: Record<string, unknown>, ...argv: string[]) =>
      resumedConfig(parseArgs(searchCommand, ['--resume', 'r', ...argv]), config, 'r/config.json');
    expect(resume(old, '--episodes', '20')).toMatchObject({ problem: { space: 'nas-bench-201', column: 'cifar100' }, episodes: 20, seed: 4 });
    expect(() => resume(old, '--data-dir', '/tmp/x')).toThrow(/--data-dir does not apply to nas-bench-201/);
    expect(() => resume(old, '--micro-batch', '8')).toThrow(/--micro-batch does not apply to nas-bench-201/);
    const image = { ...old, dataset: 'cifar10', tableDataset: 'cifar10' };
    expect(resume(image)).toMatchObject({ problem: { data: { dataset: 'cifar10' } }, evaluator: { epochs: 6, channels: [4, 16, 16, 256, 256] } });
    expect(() => resume(image, '--table', 't.csv')).toThrow(/--table only applies to nas-bench-201/);
  });
});
