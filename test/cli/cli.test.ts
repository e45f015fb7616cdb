// The command line as a user meets it: the real executable, real data files, a real (tiny) search.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateCells } from '../../src/spaces/nasnet/validate.js';
import { writeLearnableCifar } from '../helpers/learnable-cifar.js';
import { ROOT, runNascent } from '../helpers/cli.js';

const nascent = runNascent;

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'nascent-cli-'));
  writeLearnableCifar(join(work, 'data'), 200);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('nascent CLI', () => {
  it('prints an overview, per-command help, and exits 2 on what it does not understand', () => {
    const overview = nascent(['--help']);
    expect(overview.code).toBe(0);
    expect(overview.out).toMatch(/usage: nascent <command>/);
    expect(overview.out).toMatch(/search/);
    const help = nascent(['search', '--help']);
    expect(help.code).toBe(0);
    for (const flag of [
      '--episodes',
      '--epochs',
      '--batch-size',
      '--lr',
      '--epsilon',
      '--window',
      '--baseline',
      '--units',
      '--channels',
      '--seed',
      '--train-limit',
      '--val-limit',
      '--val-fraction',
      '--backend',
      '--data-dir',
      '--out',
    ])
      expect(help.out).toContain(flag);
    const unknown = nascent(['serch']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown command "serch" \(did you mean search\?\)/);
    const badValue = nascent(['search', 'cifar10', '--epsilon', '2']);
    expect(badValue.code).toBe(2);
    expect(badValue.err).toMatch(/--epsilon: expected a number ≥ 0 and ≤ 1, got "2"/);
    expect(badValue.err).not.toMatch(/usage:/);
    const badFlag = nascent(['search', 'cifar10', '--epoch', '2']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.err).toMatch(/unknown flag --epoch \(did you mean --epochs\?\)/);
    const badDataset = nascent(['search', 'imagenet']);
    expect(badDataset.code).toBe(2);
    expect(badDataset.err).toMatch(/unknown data set "imagenet": known are cifar10, fashion-mnist, mnist, folder:DIR, nas-bench-201/);
  });

  it("says a usage error in one line and where the flags are, not the whole usage; `help --help` is help's help", () => {
    const badValue = nascent(['search', 'cifar10', '--epsilon', '2']);
    expect(badValue.code).toBe(2);
    expect(badValue.err).toBe(`nascent search: --epsilon: expected a number ≥ 0 and ≤ 1, got "2"\nrun 'nascent search --help' for its flags\n`);
    const unknown = nascent(['serch']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toBe(`nascent: unknown command "serch" (did you mean search?)\nrun 'nascent --help' for the commands\n`);
    const unknownHelp = nascent(['help', 'serch']);
    expect(unknownHelp.code).toBe(2);
    expect(unknownHelp.err).toBe(`nascent: unknown command "serch" (did you mean search?)\nrun 'nascent --help' for the commands\n`);
    for (const args of [
      ['help', '--help'],
      ['help', '-h'],
      ['help', 'help'],
    ]) {
      const r = nascent(args);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^usage: nascent help \[command\]/);
      expect(r.out).toMatch(/usage: nascent <command>/);
      expect(r.err).toBe('');
    }
  });

  it('runs a small search on wasm that writes trials, config and valid best cells, and beats chance', () => {
    const out = join(work, 'run');
    const r = nascent([
      'search',
      'cifar10',
      '--episodes',
      '3',
      '--epochs',
      '2',
      '--batch-size',
      '32',
      '--train-limit',
      '320',
      '--val-limit',
      '240',
      '--val-fraction',
      '0.25',
      '--channels',
      '4,8,8,16,16',
      '--data-dir',
      join(work, 'data'),
      '--out',
      out,
      '--seed',
      '3',
      '--backend',
      'wasm',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/backend: wasm/);
    expect(r.out).toMatch(/finished 3 episodes/);
    // A quarter of the 1,000 training images held out: 250, of which --val-limit keeps 240 (the
    // default fifth would leave only 200).
    expect(r.out).toMatch(/data: 320 training and 240 validation images \(disjoint\)/);
    const lines = readFileSync(join(out, 'trials.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((t) => t.episode)).toEqual([1, 2, 3]);
    for (const t of lines) {
      expect(t).toMatchObject({ strategy: 'controller', backend: 'wasm' });
      for (const k of ['cells', 'explored', 'accuracy', 'reward', 'baseline', 'params', 'seconds']) expect(t).toHaveProperty(k);
      expect(t.params).toBeGreaterThan(1000);
    }
    expect(lines[0].baseline).toBe(0.1);
    const best = JSON.parse(readFileSync(join(out, 'best-cells.json'), 'utf8'));
    expect(() => validateCells(best)).not.toThrow();
    expect(best.accuracy).toBe(Math.max(...lines.map((t) => t.accuracy)));
    expect(best.accuracy).toBeGreaterThan(0.15);
    expect(best.settings).toMatchObject({ episodes: 3, seed: 3, evaluator: { kind: 'child', epochs: 2, channels: [4, 8, 8, 16, 16] } });
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      episodes: 3,
      seed: 3,
      evaluator: { batchSize: 32 },
      problem: { data: { trainLimit: 320, valLimit: 240, valFraction: 0.25 } },
      run: { backendUsed: 'wasm' },
    });
    expect(existsSync(join(out, 'run.lock'))).toBe(false);
    // The report was kept up to date during the search and is complete at its end.
    expect(r.out).toContain(`report: ${join(out, 'report', 'index.html')}`);
    for (const f of ['index.html', 'accuracy.svg', 'accuracy.png', 'reward.svg', 'reward.png', 'normal.svg', 'normal.png', 'reduction.svg', 'reduction.png'])
      expect(existsSync(join(out, 'report', f))).toBe(true);
    expect(readFileSync(join(out, 'report', 'index.html'), 'utf8')).toContain(best.key);
    // The same --out again is refused rather than mixed into the finished run.
    const again = nascent(['search', 'cifar10', '--episodes', '1', '--data-dir', join(work, 'data'), '--out', out, '--backend', 'wasm']);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already holds a run/);
  });
});

// These run where the backend is missing, as on this project's machines; elsewhere they skip.
const installed = (pkg: string) => existsSync(join(ROOT, 'node_modules', pkg));
const vulkanLoader = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'].some((d) => existsSync(join(d, 'libvulkan.so.1')));

describe('a requested backend that is missing', () => {
  it.skipIf(installed('@tensorflow/tfjs-node') || installed('@tensorflow/tfjs-node-gpu'))('tensorflow: names the packages to install', () => {
    const r = nascent(['search', 'cifar10', '--backend', 'tensorflow', '--episodes', '1', '--data-dir', join(work, 'data'), '--out', join(work, 'no-tf')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/backend "tensorflow" is not available: .*npm install @tensorflow\/tfjs-node-gpu --allow-scripts/);
    expect(existsSync(join(work, 'no-tf'))).toBe(false);
  });

  it.skipIf(vulkanLoader)('webgpu: says what is missing and how to get it', () => {
    const r = nascent(['search', 'cifar10', '--backend', 'webgpu', '--episodes', '1', '--data-dir', join(work, 'data'), '--out', join(work, 'no-gpu')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/backend "webgpu" is not available: no Vulkan loader .*apt-get install libvulkan1/);
  });
});
