// The WebGPU path from the command line, as a user with Mesa's Vulkan drivers meets it: `auto`
// passes over the software adapter for wasm and says why; `--backend webgpu` still takes it, and a
// whole one-episode search (with its report), a `train` and a weight-sharing search finish on it.
// Skips where Dawn finds no adapter; under CI=true that fails in test/backend/webgpu.test.ts.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeWebgpu } from '../../src/backend/webgpu.js';
import { writeLearnableCifar } from '../helpers/learnable-cifar.js';
import { runNascent } from '../helpers/cli.js';

const probe = await probeWebgpu();
const nascent = (args: string[]) => runNascent(args, {}, 300_000);

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'nascent-webgpu-'));
  writeLearnableCifar(join(work, 'data'), 64);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const tiny = [
  '--episodes',
  '1',
  '--epochs',
  '1',
  '--batch-size',
  '32',
  '--train-limit',
  '64',
  '--val-limit',
  '32',
  '--channels',
  '4,4,4,4,4',
  '--seed',
  '2',
  '--no-report',
];

describe.skipIf(!probe.ok)('webgpu from the CLI', () => {
  it.runIf(probe.ok && !!probe.adapter.software)('auto passes over a software adapter for wasm, and says so', () => {
    const r = nascent(['search', 'cifar10', ...tiny, '--data-dir', join(work, 'data'), '--out', join(work, 'auto')]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^backend: wasm/m);
    expect(r.out).toMatch(/passed over webgpu: its only adapter is .*software rasterizer.*`--backend webgpu` uses it anyway/);
  });

  it('--backend webgpu runs a one-episode search with its report, then trains the best cells', () => {
    const run = join(work, 'gpu');
    const s = nascent(['search', 'cifar10', ...tiny.filter((a) => a !== '--no-report'), '--backend', 'webgpu', '--data-dir', join(work, 'data'), '--out', run]);
    expect(s.code, s.err).toBe(0);
    expect(s.out).toMatch(/^backend: webgpu — WebGPU through Dawn/m);
    if (probe.ok && probe.adapter.software) expect(s.out).toMatch(/warning: webgpu runs on .*far slower than --backend wasm/);
    const trial = JSON.parse(readFileSync(join(run, 'trials.jsonl'), 'utf8').trim());
    expect(trial.backend).toBe('webgpu');
    expect(trial.failed).toBeUndefined();
    expect(trial.accuracy).toBeGreaterThan(0);
    for (const f of ['best-cells.json', 'checkpoint.json', 'report/index.html', 'report/accuracy.png', 'report/normal.svg'])
      expect(existsSync(join(run, f)), f).toBe(true);

    const out = join(work, 'trained');
    const t = nascent([
      'train',
      '--cells',
      join(run, 'best-cells.json'),
      '--epochs',
      '1',
      '--batch-size',
      '32',
      '--train-limit',
      '64',
      '--backend',
      'webgpu',
      '--data-dir',
      join(work, 'data'),
      '--out',
      out,
    ]);
    expect(t.code, t.err).toBe(0);
    expect(t.out).toMatch(/test accuracy \d/);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    expect(result.backend).toBe('webgpu');
    expect(result.testAccuracy).toBeGreaterThanOrEqual(0);
    expect(existsSync(join(out, 'weights.bin'))).toBe(true);
    // Two processes that compile their shaders on the CPU (lavapipe): 65 s on CI's idle 2 cores,
    // over 120 s on the same cores shared with two benches.
  }, 360_000);

  // The supernet reads its losses and scores back asynchronously: webgpu in Node has no synchronous
  // read (dataSync needs an OffscreenCanvas), which once failed this search on its first step.
  it('--backend webgpu runs a weight-sharing search to its best cells', () => {
    const run = join(work, 'gpu-ws');
    const ws = ['--weight-sharing', '--ws-epochs', '1', '--controller-steps', '2', '--final-samples', '3', '--top-cells', '2', '--blocks', '2'];
    const r = nascent([
      'search',
      'cifar10',
      ...ws,
      '--batch-size',
      '16',
      '--train-limit',
      '64',
      '--val-limit',
      '32',
      '--channels',
      '2,4,4,4,4',
      '--seed',
      '2',
      '--no-report',
      '--backend',
      'webgpu',
      '--data-dir',
      join(work, 'data'),
      '--out',
      run,
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^backend: webgpu/m);
    expect(r.out).toMatch(/finished the weight-sharing search/);
    expect(JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')).run.backendUsed).toBe('webgpu');
    const samples = readFileSync(join(run, 'final-samples.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(samples).toHaveLength(3);
    for (const s of samples) expect(s.accuracy).toBeGreaterThanOrEqual(0);
    expect(existsSync(join(run, 'best-cells.json'))).toBe(true);
  });
});
