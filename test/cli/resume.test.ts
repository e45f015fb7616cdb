// A search that is killed again and again and resumed each time ends with exactly the run that a
// search left alone produces: the real executable, SIGKILL at random moments, the wasm backend.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/flags.js';
import { resumedConfig as resumeSettings, searchCommand } from '../../src/cli/search-flags.js';
import type { TrialRecord } from '../../src/store/records.js';
import { Rng } from '../../src/util/random.js';
import { BIN, ROOT, sleep, startNascent, until } from '../helpers/cli.js';
import { writeLearnableCifar } from '../helpers/learnable-cifar.js';
// Enough that ten kills (each can cost at most one episode's progress) land before the end.
const EPISODES = 14;

let work: string;
let data: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'nascent-resume-cli-'));
  data = join(work, 'data');
  writeLearnableCifar(data, 20);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Tiny children (one block, 1-2 channels, 32 images) keep an episode under a second on wasm (one
// thread, as the suite runs it: deterministic, and 5x faster here than the cpu backend).
// The second run does the same under Hyperband (R = 3: 3 children at 1 epoch, the best continued
// to 3 from its saved state, then 2 at 3), so kills also land mid-bracket, around state files.
const VARIANTS: Array<[string, string[]]> = [
  ['one budget for all', []],
  ['--fidelity hyperband', ['--fidelity', 'hyperband', '--max-epochs', '3']],
];
const searchArgs = (out: string, extra: string[] = []) => [
  'search',
  'cifar10',
  '--episodes',
  String(EPISODES),
  '--epochs',
  '1',
  '--batch-size',
  '16',
  '--train-limit',
  '32',
  '--val-limit',
  '16',
  '--blocks',
  '1',
  '--channels',
  '1,2,2,2,2',
  '--seed',
  '11',
  '--backend',
  'wasm',
  '--data-dir',
  data,
  '--out',
  out,
  ...extra,
];

function trialsOf(run: string): TrialRecord[] {
  const path = join(run, 'trials.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as TrialRecord);
}
// Wall-clock fields differ between any two runs; everything else must not.
const comparable = (ts: TrialRecord[]) => ts.map(({ time: _t, seconds: _s, latencyMs: _l, ...rest }) => rest);

const start = (args: string[]) => startNascent(args);

const mtime = (path: string) => (existsSync(path) ? statSync(path).mtimeMs : 0);

describe('nascent search --resume', () => {
  for (const [variant, extra] of VARIANTS)
    it(`${variant}: after a Ctrl-C and SIGKILL at 10 random moments (in and between episodes), gives the same run as one never stopped`, async () => {
      const straight = join(work, `straight-${extra.length}`);
      const r = spawnSync(process.execPath, [BIN, ...searchArgs(straight, extra)], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const reference = trialsOf(straight);
      expect(reference.map((t) => t.episode)).toEqual(Array.from({ length: EPISODES }, (_, i) => i + 1));

      const run = join(work, `killed-${extra.length}`);
      const rng = new Rng(2026);
      const moments: string[] = [];
      let interrupted = false;
      for (let launch = 0; ; launch++) {
        expect(launch).toBeLessThan(30);
        const p = start(launch === 0 ? searchArgs(run, extra) : ['search', '--resume', run]);
        // Recovery is done and the run is open once it prints its directory.
        if (!(await until(p, () => /\nrun: /.test(p.output())))) break;
        const kills = moments.length;
        if (!interrupted) {
          // Ctrl-C once an episode has finished (so the handler is surely installed): the episode in
          // progress finishes and is written, then the process exits 130 (a stop, as a shell reports
          // Ctrl-C, so scripts can tell it from the end) and says how to resume.
          expect(await until(p, () => trialsOf(run).length > 0)).toBe(true);
          p.child.kill('SIGINT');
          const { code } = await p.exited;
          expect(p.output()).toMatch(/stopped after [12] of 14 episodes/);
          expect(p.output()).toContain(`resume with: nascent search --resume ${run}`);
          expect(code).toBe(130);
          interrupted = true;
          continue;
        }
        if (kills < 10) {
          // Rotate between a random moment, the instant after a checkpoint is replaced (before the
          // trial line is appended), and the instant after a trial line lands (between episodes).
          const kind = ['during an episode', 'after a checkpoint', 'after a trial line'][kills % 3];
          const before = kind === 'after a checkpoint' ? mtime(join(run, 'checkpoint.json')) : trialsOf(run).length;
          const ready =
            kind === 'during an episode'
              ? (await sleep(rng.next() * 1500), true)
              : await until(p, () => (kind === 'after a checkpoint' ? mtime(join(run, 'checkpoint.json')) !== before : trialsOf(run).length !== before));
          if (ready) {
            p.child.kill('SIGKILL');
            moments.push(`${kind} (${trialsOf(run).length} recorded)`);
          }
        }
        const { code, signal } = await p.exited;
        if (signal === null) {
          expect(p.output()).toMatch(/finished \d+ episodes|already finished its/);
          expect(code).toBe(0);
          if (trialsOf(run).length === EPISODES) break;
        }
      }
      expect(moments.length).toBeGreaterThanOrEqual(10);
      expect(interrupted).toBe(true);

      const trials = trialsOf(run);
      expect(trials.map((t) => t.episode)).toEqual(Array.from({ length: EPISODES }, (_, i) => i + 1));
      expect(comparable(trials)).toEqual(comparable(reference));
      const best = JSON.parse(readFileSync(join(run, 'best-cells.json'), 'utf8'));
      const bestLine = trials.reduce((a, b) => ((b.accuracy ?? -1) > (a.accuracy ?? -1) ? b : a));
      if (extra.length > 0) expect(trials.filter((t) => t.inheritedFrom !== undefined).length).toBeGreaterThan(0);
      expect(best).toMatchObject({ episode: bestLine.episode, key: bestLine.key, accuracy: bestLine.accuracy, cells: bestLine.cells });
      expect(existsSync(join(run, 'run.lock'))).toBe(false);
      const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
      expect(config.run.resumes.length).toBeGreaterThanOrEqual(11);

      // A finished run says so; a flag that would change the search is refused with exit 2.
      const again = spawnSync(process.execPath, [BIN, 'search', '--resume', run], { cwd: ROOT, encoding: 'utf8' });
      expect(again.status).toBe(0);
      expect(again.stdout).toMatch(/already finished its 14 episodes; pass --episodes N/);
      const conflict = spawnSync(process.execPath, [BIN, 'search', '--resume', run, '--lr', '0.01', '--episodes', '15'], { cwd: ROOT, encoding: 'utf8' });
      expect(conflict.status).toBe(2);
      expect(conflict.stderr).toMatch(/--lr 0\.01 conflicts with the run's 0\.001/);
    }, 300_000); // about a minute each alone; a loaded machine takes several

  it("keeps the run's settings and lets only --episodes, --backend, --data-dir and --micro-batch change", () => {
    const config = {
      format: 'nascent.search-config',
      version: 1,
      dataset: 'cifar10',
      episodes: 10,
      epochs: 2,
      batchSize: 32,
      lr: 0.001,
      controllerLr: 0.001,
      epsilon: 0.5,
      window: 20,
      baseline: 0.1,
      units: 32,
      channels: [2, 4, 4, 8, 8],
      blocks: 5,
      hierarchical: false,
      strategy: 'random',
      seed: 4,
      trainLimit: 100,
      backend: 'wasm',
      dataDir: '/data/cifar',
      backendUsed: 'wasm',
      created: 'then',
    };
    const resume = (...argv: string[]) => resumeSettings(parseArgs(searchCommand, ['--resume', 'r', ...argv]), config, 'r/config.json');
    expect(resume()).toMatchObject({
      episodes: 10,
      evaluator: { epochs: 2, channels: [2, 4, 4, 8, 8] },
      strategy: { name: 'random' },
      seed: 4,
      problem: { data: { trainLimit: 100, dir: '/data/cifar' } },
    });
    expect(resume('cifar10', '--episodes', '20', '--backend', 'cpu', '--micro-batch', '8', '--seed', '4')).toMatchObject({
      episodes: 20,
      backend: 'cpu',
      evaluator: { microBatch: 8 },
      seed: 4,
    });
    expect(() => resume('--channels', '2,4,4,8,9', '--strategy', 'controller')).toThrow(
      /--channels 2,4,4,8,9 conflicts with the run's 2,4,4,8,8; --strategy controller conflicts with the run's random/,
    );
    expect(() => resume('--val-limit', '5')).toThrow(/--val-limit 5 conflicts with the run's \(not set\)/);
    // The validation split defines what every child was scored on: a resume keeps it.
    expect(resumeSettings(parseArgs(searchCommand, ['--resume', 'r']), { ...config, valFraction: 0.5 }, 'r/config.json')).toMatchObject({
      problem: { data: { valFraction: 0.5 } },
    });
    expect(() => resume('--val-fraction', '0.5')).toThrow(/--val-fraction 0\.5 conflicts with the run's \(not set\)/);
    expect(() => resume('--out', 'elsewhere')).toThrow(/--out cannot be used with --resume/);
    expect(() => resume('nas-bench-201')).toThrow(/nas-bench-201 conflicts with the run's cifar10/);
    // A run recorded before the presets ran the book's controller, and resumes with it.
    expect(resume().strategy).toMatchObject({
      preset: 'book',
      controller: { temperature: 1, tanhConstant: 0, entropyWeight: 0, batch: 1 },
      baseline: { decay: 0 },
    });
    // A damaged config.json is checked as strictly as a command line.
    expect(() => resumeSettings(parseArgs(searchCommand, ['--resume', 'r']), { ...config, epsilon: 7 }, 'r/config.json')).toThrow(
      /r\/config\.json: strategy\.controller\.epsilon: expected a number ≤ 1, got 7/,
    );
    expect(() => resumeSettings(parseArgs(searchCommand, ['--resume', 'r']), { ...config, dataset: undefined }, 'r/config.json')).toThrow(
      /r\/config\.json: no dataset/,
    );
  });
});
