// `nascent search <dataset>` and `nascent train --dataset` as a user runs them: a folder of PNG and
// JPEG images the test writes (search, resume, train), real Fashion-MNIST from Debian's package,
// and the errors for unknown names, misplaced flags and unreadable files.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharpImport from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FASHION_MNIST } from '../../src/data/mnist.js';
import { Rng } from '../../src/util/random.js';
import { runNascent } from '../helpers/cli.js';

const sharp = sharpImport as unknown as (input?: unknown, options?: unknown) => import('sharp').Sharp;

let work: string;
let folder: string;
const env = () => ({ NASCENT_CACHE: join(work, 'cache') });

/** Two classes told apart by colour, noisy, half of each PNG and half JPEG, of different sizes. */
async function writeFolder(root: string, perClass: number): Promise<void> {
  const rng = new Rng(4);
  for (const [cls, rgb] of [
    ['blue', [20, 40, 210]],
    ['red', [210, 40, 20]],
  ] as const) {
    mkdirSync(join(root, cls), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const w = 12 + (i % 5);
      const px = Buffer.alloc(w * 10 * 3);
      for (let p = 0; p < w * 10; p++) for (let c = 0; c < 3; c++) px[p * 3 + c] = Math.max(0, Math.min(255, rgb[c] + rng.int(60) - 30));
      const img = sharp(px, { raw: { width: w, height: 10, channels: 3 } });
      writeFileSync(join(root, cls, i % 2 ? `${i}.jpg` : `${i}.png`), await (i % 2 ? img.jpeg() : img.png()).toBuffer());
    }
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'nascent-datasets-cli-'));
  folder = join(work, 'colours');
  await writeFolder(folder, 15);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const small = (batch = 8) => [
  '--batch-size',
  String(batch),
  '--channels',
  '2,4,4,4,4',
  '--strategy',
  'random',
  '--seed',
  '2',
  '--backend',
  'wasm',
  '--no-report',
];
const tiny = (batch = 8) => ['--epochs', '1', ...small(batch)];
const TINY = tiny();

describe('nascent search folder:DIR', () => {
  it('searches a folder of PNG and JPEG files, resumes it, and trains its best cells on the folder', () => {
    const out = join(work, 'run');
    const r = runNascent(['search', `folder:${folder}`, '--episodes', '2', '--image-size', '8', '--out', out, ...TINY], env());
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    // 15 per class: 3 test, 3 validation, 9 training each.
    expect(r.out).toMatch(new RegExp(`data: 18 training and 6 validation images \\(disjoint\\) from ${folder}, 8x8x3, 2 classes`));
    expect(r.out).toMatch(/decoding 30 images of 2 classes/);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      problem: { data: { dataset: `folder:${folder}`, imageSize: 8 } },
      run: { data: { classes: ['blue', 'red'], imageShape: [8, 8, 3], dataDir: folder } },
    });
    const trials = () =>
      readFileSync(join(out, 'trials.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    expect(trials()).toHaveLength(2);
    expect(trials().every((t) => t.accuracy !== null)).toBe(true);

    // A resume keeps the data set and image size (and reads the decoded images from the cache).
    const again = runNascent(['search', '--resume', out, '--episodes', '3'], env());
    expect(again.err).toBe('');
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/from the cache/);
    expect(trials()).toHaveLength(3);
    const clash = runNascent(['search', 'cifar10', '--resume', out, '--episodes', '4'], env());
    expect(clash.code).toBe(2);
    expect(clash.err).toMatch(new RegExp(`cifar10 conflicts with the run's folder:${folder}`));

    // nascent train takes the data set from the cells file's settings, trains on train + validation, scores the test images.
    const trained = join(work, 'trained');
    const t = runNascent(
      ['train', '--cells', join(out, 'best-cells.json'), '--epochs', '1', '--batch-size', '8', '--backend', 'wasm', '--seed', '1', '--out', trained],
      env(),
    );
    expect(t.err).toBe('');
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/data: 24 training and 6 test images from .* \(folder:.*, 8x8x3, 2 classes\)/);
    expect(t.out).toMatch(/test accuracy [\d.]+ on 6 test images/);
    const result = JSON.parse(readFileSync(join(trained, 'result.json'), 'utf8'));
    expect(result).toMatchObject({ dataset: `folder:${folder}`, testImages: 6, trainImages: 24, data: { imageShape: [8, 8, 3], classes: ['blue', 'red'] } });
    const model = JSON.parse(readFileSync(join(trained, 'model.json'), 'utf8'));
    expect(model.userDefinedMetadata.nascent).toMatchObject({ dataset: `folder:${folder}`, inputShape: [8, 8, 3] });
  });

  it('runs a weight-sharing search on the folder: the supernet takes its size and its two classes', () => {
    const out = join(work, 'colours-ws');
    const r = runNascent(
      [
        'search',
        `folder:${folder}`,
        '--weight-sharing',
        '--ws-epochs',
        '1',
        '--controller-steps',
        '2',
        '--final-samples',
        '3',
        '--top-cells',
        '2',
        '--image-size',
        '16',
        '--out',
        out,
        ...small(),
      ],
      env(),
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/16x16x3, 2 classes/);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toMatchObject({
      problem: { data: { dataset: `folder:${folder}` } },
      evaluator: { kind: 'weight-sharing' },
      run: { data: { imageShape: [16, 16, 3], classes: ['blue', 'red'] } },
    });
    const best = JSON.parse(readFileSync(join(out, 'best-cells.json'), 'utf8'));
    expect(best.accuracy).toBeGreaterThanOrEqual(0);
    expect(readFileSync(join(out, 'top-cells.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('names unknown data sets, misplaced flags and unreadable files', () => {
    const unknown = runNascent(['search', 'imagenet'], env());
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown data set "imagenet": known are cifar10, fashion-mnist, mnist, folder:DIR, nas-bench-201/);
    const size = runNascent(['search', 'cifar10', '--image-size', '16'], env());
    expect(size.code).toBe(2);
    expect(size.err).toMatch(/--image-size applies to folder:DIR data sets; cifar10's images have their own size/);
    const trainUnknown = runNascent(['train', '--cells', join(__dirname, '../evaluators/child/fixtures/cells-example.json'), '--dataset', 'svhn'], env());
    expect(trainUnknown.code).toBe(2);
    expect(trainUnknown.err).toMatch(/unknown data set "svhn": known are cifar10, fashion-mnist, mnist, folder:DIR/);

    const broken = join(work, 'broken');
    mkdirSync(join(broken, 'a'), { recursive: true });
    mkdirSync(join(broken, 'b'), { recursive: true });
    for (const cls of ['a', 'b']) for (let i = 0; i < 3; i++) writeFileSync(join(broken, cls, `${i}.png`), readFileSync(join(folder, 'red', '0.png')));
    writeFileSync(join(broken, 'b', 'photo.jpeg'), 'not a jpeg');
    writeFileSync(join(broken, 'a', 'labels.csv'), 'x');
    const r = runNascent(['search', `folder:${broken}`, '--episodes', '1', '--out', join(work, 'broken-run'), ...TINY], env());
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/a\/labels\.csv: not an image file/);
    const r2 =
      (rmSync(join(broken, 'a', 'labels.csv')),
      runNascent(['search', `folder:${broken}`, '--episodes', '1', '--out', join(work, 'broken-run2'), ...TINY], env()));
    expect(r2.code).toBe(1);
    expect(r2.err).toMatch(/1 of 7 files are not readable images:\n\s+b\/photo\.jpeg: cannot be decoded/);
  });
});

// Debian's dataset-fashion-mnist (.ci/run installs it): skipped, saying why, where it is absent, failed under CI=true.
const haveDebian = existsSync(join(FASHION_MNIST.systemDirs[0], FASHION_MNIST.trainImages.name));
if (!haveDebian) {
  if (process.env.CI) it("has Debian's dataset-fashion-mnist installed", () => void expect.fail('CI installs dataset-fashion-mnist'));
  else console.warn('skipping nascent search fashion-mnist: /usr/share/datasets/fashion-mnist is not there (apt-get install dataset-fashion-mnist)');
}

describe.skipIf(!haveDebian)('nascent search fashion-mnist', () => {
  it("searches the real Fashion-MNIST of Debian's package, 28x28x1", () => {
    const out = join(work, 'fashion');
    const r = runNascent(['search', 'fashion-mnist', '--episodes', '1', '--train-limit', '512', '--val-limit', '256', '--out', out, ...tiny(32)], env());
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/data: 512 training and 256 validation images \(disjoint\) from \/usr\/share\/datasets\/fashion-mnist, 28x28x1, 10 classes/);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ problem: { data: { dataset: 'fashion-mnist' } }, run: { data: { systemPackage: true, imageShape: [28, 28, 1] } } });
    const [trial] = readFileSync(join(out, 'trials.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    // One epoch of 16 batches already beats chance (0.1) on 10 classes.
    expect(trial.accuracy).toBeGreaterThan(0.2);
  });

  it('trains cells on it with nascent train --dataset fashion-mnist, scoring the 10,000 test images', () => {
    // All 60,000 training images are the training side here (a subset of 256 for speed).
    const trained = join(work, 'fashion-trained');
    const t = runNascent(
      [
        'train',
        '--cells',
        join(__dirname, '../evaluators/child/fixtures/cells-example.json'),
        '--dataset',
        'fashion-mnist',
        '--channels',
        '2,4,4,4,4',
        '--epochs',
        '1',
        '--train-limit',
        '256',
        '--batch-size',
        '64',
        '--backend',
        'wasm',
        '--seed',
        '1',
        '--out',
        trained,
      ],
      env(),
    );
    expect(t.err).toBe('');
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/data: 256 training and 10000 test images from \/usr\/share\/datasets\/fashion-mnist \(fashion-mnist, 28x28x1, 10 classes\)/);
    expect(JSON.parse(readFileSync(join(trained, 'result.json'), 'utf8'))).toMatchObject({ dataset: 'fashion-mnist', testImages: 10_000, trainImages: 256 });
  });
});
