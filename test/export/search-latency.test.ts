// `nascent search --objective mnas --latency-on browser:wasm` end to end: each trial records the
// child's latency in Chromium beside Node's, the objective ranks by the browser's, and the Pareto
// front in best-cells.json carries it; without a browser the search stops before its first child.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runNascent } from '../helpers/cli.js';
import { haveShared, SHARED } from '../helpers/shared.js';

const DATA = join(SHARED, 'data/cifar10-subset');
const withImages = haveShared(DATA, 'the CIFAR-10 subset');
const CHROMIUM = process.env.NASCENT_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);

const search = (out: string, extra: string[] = []) => [
  'search',
  'cifar10',
  '--data-dir',
  DATA,
  '--episodes',
  '2',
  '--epochs',
  '1',
  '--train-limit',
  '128',
  '--val-limit',
  '64',
  '--channels',
  '4,8,8,8,8',
  '--objective',
  'mnas',
  '--target-latency-ms',
  '20',
  '--out',
  out,
  '--seed',
  '1',
  '--no-report',
  ...extra,
];

describe('--latency-on', () => {
  it('is refused without --objective mnas, and with a browser it does not know', () => {
    const r = runNascent(['search', 'cifar10', '--latency-on', 'browser', '--episodes', '1']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--latency-on only applies with --objective mnas/);
    const bad = runNascent(['search', 'cifar10', '--objective', 'mnas', '--target-latency-ms', '5', '--latency-on', 'browser:metal']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--latency-on: expected node, browser, or browser:wasm\|webgl\|webgpu\|cpu/);
  });

  it.runIf(withImages)('stops before the first child when there is no Chromium', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'nascent-latency-')), 'run');
    const r = runNascent(search(out, ['--latency-on', 'browser:wasm']), { NASCENT_CHROMIUM: '/nonexistent/chromium' });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--latency-on browser needs Chromium, and \/nonexistent\/chromium is not there/);
    expect(r.out + r.err).not.toMatch(/episode 1\/2/);
    expect(existsSync(join(out, 'trials.jsonl'))).toBe(false);
  });

  it.runIf(withImages && haveChromium)("records each child's browser latency beside Node's and ranks by it", () => {
    const out = join(mkdtempSync(join(tmpdir(), 'nascent-latency-')), 'run');
    const r = runNascent(search(out, ['--latency-on', 'browser:wasm']));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/latency: Chromium \d+.*tfjs wasm, median of 10 after 3 warm-up runs, beside Node's/);
    const trials = readFileSync(join(out, 'trials.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(trials).toHaveLength(2);
    for (const t of trials) {
      expect(t.latencyMs).toBeGreaterThan(0);
      expect(t.browserLatencyMs).toBeGreaterThan(0);
      // MnasNet's reward with the browser's latency as the cost (w = -0.07, T = 20 ms)
      expect(t.objective).toBeCloseTo(t.accuracy * (t.browserLatencyMs / 20) ** -0.07, 10);
    }
    const best = JSON.parse(readFileSync(join(out, 'best-cells.json'), 'utf8'));
    expect(best.front.length).toBeGreaterThan(0);
    for (const p of best.front) expect(p.browserLatencyMs).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).objective.latencyOn).toBe('browser:wasm');
  });
});
