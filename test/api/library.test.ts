// nascent as a library, from the built package as a user installs it: the build's tsc, then a
// directory whose node_modules/nascent is this package, running the README's example in its own
// node process, a Strategy and an Evaluator of the user's own, and a type check against dist's types.
// The package is built into a temporary copy, not into the checkout's dist/: tsc rewrites each file
// in place, and the CLI tests running beside this one load dist/ (a half-written module failed CI's
// `nascent train` once with "does not provide an export named ...").
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLearnableCifar } from '../helpers/learnable-cifar.js';
import { writeNb201Table } from '../helpers/nb201-table.js';

const ROOT = resolve(__dirname, '../..');
/** The built package: package.json, dist/ from the build's tsc, and the checkout's node_modules. */
let pkg: string;
let app: string;

/** The README's library example: the ```js block after the `<!-- library-example -->` marker. */
export function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = /<!-- library-example -->\s*```js\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error('README.md has no ```js block after <!-- library-example -->');
  return m[1];
}

const node = (file: string, timeout = 180_000) => {
  const r = spawnSync(process.execPath, [file], { cwd: app, encoding: 'utf8', timeout });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

beforeAll(() => {
  pkg = mkdtempSync(join(tmpdir(), 'nascent-package-'));
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const build = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(pkg, 'dist')], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (build.status !== 0) throw new Error(`the build's tsc failed:\n${build.stdout}${build.stderr}`);
  copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir');
  app = mkdtempSync(join(tmpdir(), 'nascent-library-'));
  mkdirSync(join(app, 'node_modules'));
  symlinkSync(pkg, join(app, 'node_modules', 'nascent'), 'dir');
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', type: 'module', private: true }));
});
afterAll(() => {
  for (const dir of [app, pkg]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the built package', () => {
  it('has dist/index.js and its types where package.json points', () => {
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
    expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', import: './dist/index.js' });
    expect(manifest.types).toBe('./dist/index.d.ts');
    expect(manifest.files).toContain('dist');
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/api.js', 'dist/data/datasets.d.ts']) expect(existsSync(join(pkg, f))).toBe(true);
  });

  it("runs the README's example: a search and a training on the user's own arrays", () => {
    writeFileSync(join(app, 'example.mjs'), readmeExample());
    const r = node('example.mjs');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const best = Number(/best validation accuracy ([\d.]+) \(episode \d\)/.exec(r.out)?.[1]);
    expect(best).toBeGreaterThan(0.5);
    expect(r.out).toMatch(/test accuracy [\d.]+ on 40 images/);
    const trials = readFileSync(join(app, 'runs/library-example/trials.jsonl'), 'utf8').trim().split('\n');
    expect(trials).toHaveLength(2);
    expect(JSON.parse(readFileSync(join(app, 'runs/library-example/config.json'), 'utf8'))).toMatchObject({
      format: 'nascent.search-config',
      version: 2,
      run: { library: true, data: { imageShape: [8, 8, 1], classes: ['top', 'bottom'] } },
    });
  });

  it('starts a Hyperband, a weight-sharing and a NAS-Bench-201 table search from SearchConfigs, and resumes one', () => {
    // Data the script's searches read: a learnable CIFAR-10 in the official layout, and a complete
    // NAS-Bench-201 table (every cell, a made-up accuracy) in the benchmark's columns.
    const data = join(app, 'cifar');
    writeLearnableCifar(data, 40);
    writeNb201Table(app);
    const script = `
import { search, resume } from 'nascent';
const images = { space: 'nasnet', blocks: 2, data: { dataset: 'cifar10', dir: ${JSON.stringify(data)}, trainLimit: 32, valLimit: 32 } };
const small = { batchSize: 16, channels: [1, 2, 2, 2, 2] };
const out = {};
// Hyperband over 1- and 3-epoch children, stopped after 3 episodes and resumed to 5.
const stop = new AbortController();
const hb = await search(
  { problem: images, strategy: { name: 'random' }, scheduler: { fidelity: 'hyperband', maxEpochs: 3 }, evaluator: { kind: 'child', epochs: 3, ...small }, episodes: 5, seed: 1, backend: 'wasm' },
  { out: 'runs/hb', signal: stop.signal, onEvent: (e) => { if (e.type === 'episode-end' && e.trial.episode === 3) stop.abort(); } },
);
const hbResumed = await resume('runs/hb');
out.hyperband = { stopped: hb.stopped, first: hb.episodesDone, resumedAfter: hbResumed.resumedAfter, trials: hbResumed.trials.map((t) => [t.episode, t.budget, t.rung]) };
const ws = await search({ problem: images, evaluator: { kind: 'weight-sharing', passes: 1, controllerSteps: 2, finalSamples: 2, topCells: 1, ...small }, seed: 2, backend: 'wasm' }, { out: 'runs/ws' });
out.ws = { stopped: ws.stopped, best: ws.best?.accuracy, kind: ws.config.evaluator.kind, preset: ws.config.strategy.preset, steps: ws.weightSharing.trainImageSteps };
const table = await search({ problem: { space: 'nas-bench-201', table: 'table.csv' }, strategy: { name: 'evolution' }, episodes: 12, seed: 3, backend: 'cpu' }, { out: 'runs/table' });
out.table = { trials: table.trials.length, best: table.best.accuracy, evaluator: table.config.evaluator.kind };
process.stdout.write(JSON.stringify(out), () => process.exit(0));
`;
    writeFileSync(join(app, 'configs.mjs'), script);
    const r = node('configs.mjs', 600_000);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const got = JSON.parse(r.out);
    expect(got.hyperband).toMatchObject({ stopped: true, first: 3, resumedAfter: 3 });
    expect(got.hyperband.trials.map((t: number[]) => t[0])).toEqual([1, 2, 3, 4, 5]);
    // R = 3, eta = 3: the first bracket trains 3 children 1 epoch, then continues the best to 3.
    expect(got.hyperband.trials.map((t: number[]) => t[1])).toEqual([1, 1, 1, 3, 3]);
    expect(got.ws).toMatchObject({ stopped: false, kind: 'weight-sharing', preset: 'enas', steps: 32 });
    expect(got.ws.best).toBeGreaterThanOrEqual(0);
    expect(got.table).toMatchObject({ trials: 12, evaluator: 'table' });
    // Each run's config.json is the SearchConfig it ran, and says so.
    for (const run of ['hb', 'ws', 'table']) {
      const config = JSON.parse(readFileSync(join(app, 'runs', run, 'config.json'), 'utf8'));
      expect(config, run).toMatchObject({ format: 'nascent.search-config', version: 2 });
    }
  }, 600_000);

  it("takes a Strategy and an Evaluator of the user's own, and type-checks against dist's declarations", () => {
    const script = `
import { search, nasnetSpace } from 'nascent';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const decisions = nasnetSpace().decisions;
const seen = [];
// Always the first choice of every decision, then the second, ...
let k = 0;
const strategy = {
  name: 'mine',
  async propose() { k++; return { actions: decisions.map((d) => (k - 1) % d.choices), explored: false }; },
  async observe(proposal, feedback) { seen.push(feedback.accuracy); },
  async getState() { return { k }; },
  async setState(s) { k = s.k; },
  dispose() {},
};
// An evaluator that scores cells without training: the share of sep_3x3 operations.
const evaluator = {
  async train(cells) {
    const ops = [...cells.normal, ...cells.reduction].flatMap((b) => b.ops);
    return { accuracy: ops.filter((o) => o === 'sep_3x3').length / ops.length, valAccuracies: [], params: 0, seconds: 0 };
  },
};
const r = await search({ episodes: 3, backend: 'cpu' }, { strategy, evaluator, out: join(mkdtempSync(join(tmpdir(), 'mine-')), 'run') });
process.stdout.write(JSON.stringify({ seen, best: r.best.accuracy, trials: r.trials.length, strategy: r.trials[0].strategy }), () => process.exit(0));
`;
    writeFileSync(join(app, 'custom.mjs'), script);
    const r = node('custom.mjs');
    expect(r.err).toBe('');
    const got = JSON.parse(r.out);
    expect(got).toMatchObject({ trials: 3, best: 1, strategy: 'mine' });
    expect(got.seen[0]).toBe(1); // action 0 everywhere: sep_3x3, the first operation

    // The same kind of code in TypeScript compiles against the package's declarations.
    writeFileSync(
      join(app, 'typed.ts'),
      `import { search, loadDataset, type Strategy, type Evaluator, type CellPair, type ImageSet, type SearchResult } from 'nascent';
const strategy: Strategy = { name: 's', propose: async () => ({ actions: [], explored: false }), observe: async () => {}, getState: async () => null, setState: async () => {}, dispose: () => {} };
const evaluator: Evaluator<CellPair> = { train: async (cells: CellPair) => ({ accuracy: cells.normal.length, valAccuracies: [], params: 0, seconds: 0 }) };
export async function f(set: ImageSet): Promise<SearchResult> {
  await loadDataset('fashion-mnist', { trainLimit: 10 });
  return search({ episodes: 1 }, { data: { train: set }, strategy, evaluator });
}
// @ts-expect-error: episodes is a number
search({ episodes: 'two' });
`,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules/@types')],
        },
        files: ['typed.ts'],
      }),
    );
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(app, 'tsconfig.json')], {
      cwd: app,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });
});
