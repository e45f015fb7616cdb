// `nascent train` as a user meets it: the real executable on tiny CIFAR-10-format data, on wasm.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareBackend } from '../../src/backend/index.js';
import { cellsHash } from '../../src/spaces/nasnet/key.js';
import { loadLayersModelFromDir } from '../../src/evaluators/child/model-io.js';
import { evaluate } from '../../src/evaluators/child/train.js';
import { loadCifar10Test } from '../../src/data/cifar10.js';
import { EXAMPLE } from '../spaces/nasnet/helpers.js';
import { writeLearnableCifar } from '../helpers/learnable-cifar.js';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin', 'nascent.mjs');
const RECORD = 3073;
const TEST_IMAGES = 50; // unlike the 64 of each training batch, so a count tells the sets apart

const nascent = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, 'train', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

let work: string;
let data: string;
let batches: string;
let bestFile: string;
// tiny channels, 320 training images: a couple of seconds per epoch on wasm
const SMALL = ['--batch-size', '32', '--data-dir', '', '--backend', 'wasm', '--seed', '5'];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'nascent-train-'));
  data = join(work, 'data');
  batches = writeLearnableCifar(data, 64);
  const testFile = join(batches, 'test_batch.bin');
  writeFileSync(testFile, readFileSync(testFile).subarray(0, TEST_IMAGES * RECORD));
  SMALL[3] = data;
  // A best-cells file as a search writes it; its recorded channels are the ones trained.
  bestFile = join(work, 'run', 'best-cells.json');
  mkdirSync(join(work, 'run'));
  writeFileSync(
    bestFile,
    JSON.stringify({
      format: 'nascent.best-cells',
      version: 1,
      cells: EXAMPLE,
      key: cellsHash(EXAMPLE),
      accuracy: 0.41,
      episode: 2,
      params: 7798,
      settings: { channels: [2, 4, 4, 8, 8], blocks: 5, hierarchical: false },
    }),
  );
  await prepareBackend('wasm');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('nascent train', () => {
  it('trains the cells on every training image, reports test accuracy, writes a loadable model and result.json', async () => {
    const out = join(work, 'trained');
    const r = nascent(['--cells', bestFile, '--epochs', '2', '--out', out, ...SMALL]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/data: 320 training and 50 test images/);
    expect(r.out).toMatch(/epoch 1\/2 loss [\d.]+ train_acc [\d.]+/);
    expect(r.out).toMatch(/epoch 2\/2 loss [\d.]+ train_acc [\d.]+/);
    const reported = Number(/test accuracy ([\d.]+) on 50 test images/.exec(r.out)?.[1]);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    expect(result).toMatchObject({
      format: 'nascent.train-result',
      version: 1,
      cells: EXAMPLE,
      key: cellsHash(EXAMPLE),
      cellsFile: bestFile,
      searchAccuracy: 0.41,
      testImages: TEST_IMAGES,
      trainImages: 320,
      params: 7798,
      backend: 'wasm',
      synthetic: false,
      model: 'model.json',
      settings: { channels: [2, 4, 4, 8, 8], epochs: 2, batchSize: 32, seed: 5, microBatch: 64, hierarchical: false },
    });
    expect(result.dataDir).toBe(batches);
    expect(result.epochs.map((e: { epoch: number }) => e.epoch)).toEqual([1, 2]);
    expect(result.testAccuracy.toFixed(4)).toBe(reported.toFixed(4));
    // The saved model scores exactly the reported accuracy on test_batch.bin (same backend, same batches).
    const model = await loadLayersModelFromDir(out);
    expect(await evaluate(model, loadCifar10Test(batches), 32, 10)).toBe(result.testAccuracy);
    model.dispose();
    // The same --out again is refused rather than overwritten.
    const again = nascent(['--cells', bestFile, '--epochs', '1', '--out', out, ...SMALL]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already holds model\.json, weights\.bin, result\.json of an earlier training; choose another --out/);
  });

  it('refuses bad cells files, a missing --cells and missing test data with clear errors, writing nothing', () => {
    const bad = join(work, 'bad.json');
    writeFileSync(bad, JSON.stringify({ normal: [{ inputs: [0, 2], ops: ['sep_3x3', 'conv'], combine: 'add' }], reduction: EXAMPLE.reduction }));
    const out = join(work, 'never');
    const r = nascent(['--cells', bad, '--out', out, ...SMALL]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Invalid cells in .*bad\.json \(3 errors\)/);
    expect(r.err).toMatch(/normal: expected 5 blocks, got 1/);
    expect(r.err).toMatch(/normal\[0\]\.inputs\[1\]: 2 is out of range/);
    expect(r.err).toMatch(/normal\[0\]\.ops\[1\]: "conv" is not an operation/);
    expect(existsSync(out)).toBe(false);

    const usage = nascent(['--epochs', '1']);
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/missing --cells FILE/);
    expect(usage.err).toMatch(/run 'nascent train --help' for its flags\n$/);

    const noTest = join(work, 'no-test');
    const dir = writeLearnableCifar(noTest, 4);
    rmSync(join(dir, 'test_batch.bin'));
    const missing = nascent(['--cells', bestFile, '--out', out, ...SMALL.slice(0, 2), '--data-dir', noTest, '--backend', 'wasm']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/test_batch\.bin is missing: nascent train reports accuracy on the CIFAR-10 test batch/);
    expect(existsSync(out)).toBe(false);
  });

  it("trains a real search's best cells where the search read its data: the run's data directory, channels and blocks", () => {
    // A real (tiny) search of 1-block cells at its own channels; nothing about the data is passed to
    // train, and a download would fail at once (an unreachable mirror, an empty cache).
    const run = join(work, 'search');
    const search = spawnSync(
      process.execPath,
      [BIN, 'search', 'cifar10', '--episodes', '1', '--epochs', '1', '--batch-size', '16', '--train-limit', '32', '--val-limit', '16', '--blocks', '1'].concat([
        '--channels',
        '1,2,2,2,3',
        '--seed',
        '7',
        '--backend',
        'wasm',
        '--no-report',
        '--data-dir',
        data,
        '--out',
        run,
      ]),
      { cwd: ROOT, encoding: 'utf8', timeout: 240_000 },
    );
    expect(search.status, search.stderr).toBe(0);
    const nowhere = ['--data-url', 'http://127.0.0.1:9/cifar-10-binary.tar.gz', '--allow-http'];
    const env = { ...process.env, NASCENT_DATA: join(work, 'empty-cache') };
    const train = (cells: string, out: string, more: string[] = []) => {
      const r = spawnSync(
        process.execPath,
        [BIN, 'train', '--cells', cells, '--epochs', '1', '--train-limit', '64', '--batch-size', '32', '--backend', 'wasm'].concat([
          '--seed',
          '5',
          '--out',
          out,
          ...nowhere,
          ...more,
        ]),
        { cwd: ROOT, encoding: 'utf8', timeout: 240_000, env },
      );
      return { code: r.status, out: r.stdout, err: r.stderr };
    };
    const fromRun = join(work, 'from-run');
    const r = train(join(run, 'best-cells.json'), fromRun);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/data: 64 training and 50 test images from /);
    const result = JSON.parse(readFileSync(join(fromRun, 'result.json'), 'utf8'));
    expect(result.dataDir).toBe(batches);
    expect(result.settings).toMatchObject({ channels: [1, 2, 2, 2, 3], blocks: 1, hierarchical: false, dataset: 'cifar10' });

    // A version-1 best-cells file (flat settings, `dataDir` where the data was loaded from) reads the same way.
    const v1 = join(work, 'v1-best-cells.json');
    const best = JSON.parse(readFileSync(join(run, 'best-cells.json'), 'utf8'));
    const settings = { format: 'nascent.search-config', version: 1, dataset: 'cifar10', dataDir: batches, channels: [1, 2, 2, 3, 3], blocks: 1, episodes: 1 };
    writeFileSync(v1, JSON.stringify({ ...best, settings }));
    const fromV1 = join(work, 'from-v1');
    const old = train(v1, fromV1, ['--json']);
    expect(old.code, old.err).toBe(0);
    // --json: stdout is result.json's content and nothing else; the progress went to stderr.
    const printed = JSON.parse(old.out);
    expect(printed).toEqual(JSON.parse(readFileSync(join(fromV1, 'result.json'), 'utf8')));
    expect(printed).toMatchObject({ dataDir: batches, settings: { channels: [1, 2, 2, 3, 3], blocks: 1 } });
    expect(old.err).toMatch(/data: 64 training and 50 test images from /);
  });

  it('refuses an --out that is a file or lies under one before loading anything', () => {
    const file = join(work, 'a-file');
    writeFileSync(file, 'x');
    // No data where it would load from: a check made after loading would fail on that first.
    const noData = ['--data-dir', join(work, 'no-data-here'), '--backend', 'wasm'];
    const isFile = nascent(['--cells', bestFile, '--out', file, ...noData]);
    expect(isFile.code).toBe(1);
    expect(isFile.err).toBe(`nascent train: error: --out ${file} is a file, not a directory: choose another --out\n`);
    const under = nascent(['--cells', bestFile, '--out', join(file, 'model'), ...noData]);
    expect(under.code).toBe(1);
    expect(under.err).toBe(`nascent train: error: --out ${join(file, 'model')} cannot be made: ${file} is a file, not a directory\n`);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('stops on Ctrl-C between batches and writes nothing', async () => {
    const out = join(work, 'interrupted');
    const child = spawn(process.execPath, [BIN, 'train', '--cells', bestFile, '--epochs', '5', '--out', out, ...SMALL.map((a) => (a === '32' ? '8' : a))], {
      cwd: ROOT,
    });
    let stdout = '';
    let signalled = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      // Off a terminal the first batch prints a progress line: training is under way.
      if (!signalled && /epoch 1\/5 batch 1\//.test(stdout)) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(signalled).toBe(true);
    expect(stdout).toMatch(/interrupted: no model or result written/);
    expect(code).toBe(130);
    expect(stdout).not.toMatch(/epoch 5\/5 loss/);
    expect(existsSync(out)).toBe(false);
  });
});
