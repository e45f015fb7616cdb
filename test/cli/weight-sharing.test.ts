// `nascent search cifar10 --weight-sharing` as a user runs it: the files it writes, `nascent train`
// and `nascent validate` accepting its cells, the flags it refuses, and a run killed with SIGKILL
// (and stopped once with Ctrl-C) and resumed each time ending with exactly the run left alone.
import { asVersion1 } from '../helpers/v1-config.js';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/flags.js';
import { configFromArgs as settingsFromArgs, searchCommand } from '../../src/cli/search-flags.js';
import { Rng } from '../../src/util/random.js';
import { ROOT, runNascent, sleep, startNascent, until } from '../helpers/cli.js';
import { writeLearnableCifar } from '../helpers/learnable-cifar.js';

// One wasm thread: deterministic, and fast enough that a tiny run takes seconds.
const ENV = { NASCENT_WASM_THREADS: '1' };
let work: string;
let data: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'nascent-ws-cli-'));
  data = join(work, 'data');
  writeLearnableCifar(data, 20);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const EPOCHS = 3;
const STEPS = 3;
const wsArgs = (out: string, extra: string[] = []) => [
  'search',
  'cifar10',
  '--weight-sharing',
  '--strategy',
  'controller',
  '--ws-epochs',
  String(EPOCHS),
  '--controller-steps',
  String(STEPS),
  '--final-samples',
  '4',
  '--top-cells',
  '2',
  '--checkpoint-every',
  '1',
  '--blocks',
  '2',
  '--channels',
  '1,2,2,2,2',
  '--batch-size',
  '16',
  '--train-limit',
  '48',
  '--val-limit',
  '16',
  '--seed',
  '5',
  '--backend',
  'wasm',
  '--data-dir',
  data,
  '--out',
  out,
  ...extra,
];
const lines = (path: string) =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l))
    : [];
// Wall-clock fields differ between two runs, and a resumed run's settings list its resumes.
const steps = (run: string) => lines(join(run, 'ws-steps.jsonl')).map(({ time: _t, ...rest }) => rest);
const tops = (run: string) => lines(join(run, 'top-cells.jsonl')).map(({ settings: _s, ...rest }) => rest);

describe('nascent search --weight-sharing', () => {
  let straight: string;
  it('writes its steps, final samples, top cells and best cells, with their cost, and a report', () => {
    straight = join(work, 'straight');
    const r = runNascent(wsArgs(straight), ENV);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/finished the weight-sharing search in .*: 144 training image-steps \(3\.00 child-epochs of 48 images\)/);
    const config = JSON.parse(readFileSync(join(straight, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      evaluator: { kind: 'weight-sharing', passes: EPOCHS, controllerSteps: STEPS, finalSamples: 4, topCells: 2, lr: 0.001 },
      strategy: { name: 'controller' },
    });
    const s = lines(join(straight, 'ws-steps.jsonl'));
    expect(s.map((x) => x.step)).toEqual(Array.from({ length: EPOCHS * STEPS }, (_, i) => i + 1));
    expect(s.map((x) => x.epoch)).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3]);
    for (const x of s) {
      expect(x.childEpochs).toBeCloseTo(x.trainImageSteps / 48, 12);
      expect(x.reward).toBeCloseTo(x.accuracy - x.baseline, 12);
    }
    expect(s[8].trainImageSteps).toBe(144);
    const final = lines(join(straight, 'final-samples.jsonl'));
    expect(final.length).toBe(4);
    expect(new Set(final.map((f) => f.key)).size).toBe(4);
    const top = lines(join(straight, 'top-cells.jsonl'));
    expect(top.map((t) => t.rank)).toEqual([1, 2]);
    expect(top[0].accuracy).toBe(Math.max(...final.map((f) => f.accuracy)));
    expect(top[0].accuracy).toBeGreaterThanOrEqual(top[1].accuracy);
    const best = JSON.parse(readFileSync(join(straight, 'best-cells.json'), 'utf8'));
    expect(best).toEqual(top[0]);
    expect(best).toMatchObject({
      format: 'nascent.best-cells',
      version: 2,
      sharedWeights: true,
      settings: { evaluator: { channels: [1, 2, 2, 2, 2] }, problem: { blocks: 2 }, childEpochs: 3 },
    });
    for (const f of ['ws-accuracy.svg', 'ws-accuracy.png', 'normal.svg', 'reduction.svg', 'index.html'])
      expect(existsSync(join(straight, 'report', f))).toBe(true);
    expect(readFileSync(join(straight, 'report', 'ws-accuracy.svg'), 'utf8')).toContain('Shared-weight accuracy per strategy step');
    expect(existsSync(join(straight, 'run.lock'))).toBe(false);
  }, 240_000);

  it('--final-screen: scores every final sample on the first validation images, the best --top-cells again on all', () => {
    const run = join(work, 'screened');
    const r = runNascent(wsArgs(run, ['--final-screen', '8']), ENV);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('then 4 architectures scored on 8 validation images, the best 2 of them on all 16');
    expect(r.out).toMatch(/final: 4\/4 architectures screened on 8 validation images/);
    expect(r.out).toMatch(/final: 2\/2 architectures scored again on the whole validation split/);
    const final = lines(join(run, 'final-samples.jsonl'));
    expect(final.map((f) => f.images)).toEqual([8, 8, 8, 8, 16, 16]);
    // The same shared weights as the straight run (only the final scoring differs): the same draws.
    expect(final.slice(0, 4).map((f) => f.key)).toEqual(lines(join(straight, 'final-samples.jsonl')).map((f) => f.key));
    const top = lines(join(run, 'top-cells.jsonl'));
    expect(top.map((t) => t.accuracy)).toEqual(
      final
        .slice(4)
        .map((f) => f.accuracy)
        .sort((a, b) => b - a),
    );
    expect(JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'))).toMatchObject({ evaluator: { finalScreen: 8 } });
    expect(JSON.parse(readFileSync(join(run, 'best-cells.json'), 'utf8')).settings.scoredImages).toBe(EPOCHS * STEPS * 16 + 4 * 8 + 2 * 16);
  }, 240_000);

  it('leaves cells that nascent validate and nascent train accept', () => {
    const second = join(work, 'second.json');
    writeFileSync(second, readFileSync(join(straight, 'top-cells.jsonl'), 'utf8').split('\n')[1]);
    const v = runNascent(['validate', join(straight, 'best-cells.json'), second]);
    expect(v.code).toBe(0);
    // and the published JSON Schema agrees
    const schema = JSON.parse(readFileSync(join(ROOT, 'schema', 'best-cells.schema.json'), 'utf8'));
    const valid = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
    for (const doc of lines(join(straight, 'top-cells.jsonl'))) expect(valid(doc), JSON.stringify(valid.errors)).toBe(true);
    const t = runNascent(
      [
        'train',
        '--cells',
        join(straight, 'best-cells.json'),
        '--epochs',
        '1',
        '--train-limit',
        '16',
        '--batch-size',
        '16',
        '--backend',
        'wasm',
        '--data-dir',
        data,
        '--out',
        join(work, 'trained'),
      ],
      ENV,
    );
    expect(t.err).toBe('');
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/test accuracy \d\.\d{4}/);
    expect(t.out).toContain('training 1 epoch, channels 1,2,2,2,2');
    // `nascent report` draws a weight-sharing run with its own plot
    const r = runNascent(['report', straight, '--out', join(work, 'report')]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('ws-accuracy.svg');
  }, 240_000);

  it('refuses flags that do not apply', () => {
    const bad = (args: string[], message: RegExp) => expect(() => settingsFromArgs(parseArgs(searchCommand, args))).toThrow(message);
    bad(['cifar10', '--ws-epochs', '3'], /--ws-epochs only applies with --weight-sharing/);
    bad(['cifar10', '--final-screen', '100'], /--final-screen only applies with --weight-sharing/);
    bad(['cifar10', '--weight-sharing', '--final-screen', '0'], /--final-screen/);
    expect(settingsFromArgs(parseArgs(searchCommand, ['cifar10', '--weight-sharing', '--final-screen', '200']))).toMatchObject({
      evaluator: { finalScreen: 200 },
    });
    bad(['cifar10', '--weight-sharing', '--strategy', 'tpe'], /--strategy tpe does not learn from weight sharing's scores: it works with controller or random/);
    bad(['cifar10', '--weight-sharing', '--fidelity', 'hyperband', '--max-epochs', '9'], /--fidelity hyperband does not apply to weight-sharing evaluation/);
    bad(['cifar10', '--weight-sharing', '--final-samples', '0'], /--final-samples/);
    bad(['cifar10', '--weight-sharing', '--episodes', '30'], /--episodes does not apply with --weight-sharing: --ws-epochs passes/);
    bad(['cifar10', '--weight-sharing', '--epochs', '3'], /--epochs does not apply with --weight-sharing: no child is trained on its own/);
    bad(['cifar10', '--weight-sharing', '--micro-batch', '16'], /--micro-batch does not apply with --weight-sharing/);
    bad(['nas-bench-201', '--weight-sharing'], /applies to an image data set, not the nas-bench-201 table/);
    expect(settingsFromArgs(parseArgs(searchCommand, ['cifar10', '--weight-sharing', '--lr', '0.002'])).evaluator).toEqual({
      kind: 'weight-sharing',
      batchSize: 128,
      channels: [4, 16, 16, 256, 256],
      passes: 10,
      controllerSteps: 20,
      lr: 0.002,
      finalSamples: 100,
      topCells: 10,
      checkpointEvery: 50,
    });
    expect(settingsFromArgs(parseArgs(searchCommand, ['cifar10'])).evaluator.kind).toBe('child');
    // The controller's default preset follows the mode it was measured in; a flag or --preset still wins.
    expect(settingsFromArgs(parseArgs(searchCommand, ['cifar10', '--weight-sharing'])).strategy).toMatchObject({
      preset: 'enas',
      controller: { lr: 3.5e-3, tanhConstant: 1.1, entropyWeight: 1e-4, temperature: 5 },
    });
    expect(settingsFromArgs(parseArgs(searchCommand, ['cifar10', '--weight-sharing', '--preset', 'tuned'])).strategy).toMatchObject({
      preset: 'tuned',
      controller: { lr: 2e-2, tanhConstant: 2.5, entropyWeight: 0 },
    });
    expect(settingsFromArgs(parseArgs(searchCommand, ['cifar10', '--weight-sharing', '--controller-lr', '0.01'])).strategy).toMatchObject({
      preset: 'enas',
      controller: { lr: 0.01, tanhConstant: 1.1 },
    });
    expect(settingsFromArgs(parseArgs(searchCommand, ['cifar10'])).strategy).toMatchObject({ preset: 'tuned', controller: { lr: 2e-2 } });
    // as a user sees it: the usage error and exit 2
    const r = runNascent(['search', 'cifar10', '--weight-sharing', '--strategy', 'evolution', '--out', join(work, 'never')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--strategy evolution does not learn from weight sharing's scores: it works with controller or random/);
  }, 60_000);

  it('after a Ctrl-C and SIGKILLs at random moments, resumed each time, gives the same run as one never stopped', async () => {
    const run = join(work, 'killed');
    const rng = new Rng(13);
    let kills = 0;
    let interrupted = false;
    const checkpoint = join(run, 'ws-checkpoint.bin');
    const mtime = () => (existsSync(checkpoint) ? statSync(checkpoint).mtimeMs : 0);
    for (let launch = 0; ; launch++) {
      expect(launch).toBeLessThan(20);
      const p = start(launch === 0 ? wsArgs(run, ['--no-report']) : ['search', '--resume', run]);
      if (!(await until(p, () => /\nweight sharing: /.test(p.output())))) break;
      if (!interrupted) {
        // Ctrl-C once a checkpoint is on disk: the process writes another at the next step and exits 130.
        expect(await until(p, () => mtime() > 0)).toBe(true);
        p.child.kill('SIGINT');
        const { code } = await p.exited;
        expect(code).toBe(130);
        expect(p.output()).toContain(`resume with: nascent search --resume ${run}`);
        interrupted = true;
        continue;
      }
      if (kills < 4) {
        const before = mtime();
        // Alternate: right after a checkpoint is replaced, and at a random moment.
        const ready = kills % 2 === 0 ? await until(p, () => mtime() !== before) : (await sleep(300 + rng.next() * 2500), true);
        if (ready && p.child.exitCode === null) {
          p.child.kill('SIGKILL');
          kills++;
        }
      }
      const { code, signal } = await p.exited;
      if (signal === null) {
        expect(p.output()).toMatch(/finished the weight-sharing search|already finished/);
        expect(code).toBe(0);
        break;
      }
    }
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(steps(run)).toEqual(steps(straight));
    expect(lines(join(run, 'final-samples.jsonl'))).toEqual(lines(join(straight, 'final-samples.jsonl')));
    expect(tops(run)).toEqual(tops(straight));
    const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
    expect(config.run.resumes.length).toBeGreaterThanOrEqual(4);
    const again = runNascent(['search', '--resume', run], ENV);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/already finished its weight-sharing search/);
    const conflict = runNascent(['search', '--resume', run, '--ws-epochs', '9']);
    expect(conflict.code).toBe(2);
    expect(conflict.err).toMatch(/--ws-epochs 9 conflicts with the run's 3/);
    // It records no trained-child flags; a config.json from before that (with their defaults) still resumes.
    expect(config).not.toHaveProperty('episodes');
    expect(config).not.toHaveProperty('epochs');
    // That older config.json was version 1's flat document.
    writeFileSync(join(run, 'config.json'), JSON.stringify({ ...asVersion1(config), episodes: 150, epochs: 6, retrainDuplicates: false }));
    const older = runNascent(['search', '--resume', run], ENV);
    expect(older.err).toBe('');
    expect(older.out).toMatch(/already finished its weight-sharing search/);
    const extend = runNascent(['search', '--resume', run, '--episodes', '50']);
    expect(extend.code).toBe(2);
    expect(extend.err).toMatch(/--episodes does not apply when resuming a weight-sharing run/);
    const epochs = runNascent(['search', '--resume', run, '--epochs', '6']);
    expect(epochs.code).toBe(2);
    expect(epochs.err).toMatch(/--epochs does not apply when resuming a weight-sharing run: no child is trained on its own/);
  }, 400_000);
});

const start = (args: string[]) => startNascent(args, ENV);
