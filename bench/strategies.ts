// Search quality of every strategy, measured over many seeds with a spread:
//   (1) NAS-Bench-201: each architecture scored by a lookup of its test accuracy in the benchmark's
//       table (CIFAR-10, CIFAR-100, ImageNet16-120); best found after 50, 100, 150 and 300 queries;
//   (2) the NASNet space (50 decisions) on hiddenTargetObjective (src/search/objectives.ts), which
//       needs no training; best after 150 and 1,000 episodes.
// Every strategy sees what a search gives it: accuracy, and reward = accuracy minus the moving
// baseline of the search's defaults (window 20, 0.1 before any). Prints mean ± standard error,
// writes best-so-far curves (SVG and PNG) and ends with
//   controller_vs_random nb201-cifar10@150 <controller mean> <random mean>
//
//   npm run bench:strategies [-- --seeds 50 --table PATH --out DIR --only nb201|nasnet --preset tuned|book
//                              --strategies controller,random,evolution,tpe]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { PRESETS, strategySettingsOf, type PresetName } from '../src/cli/commands/search-settings.js';
import { nasnetSpace } from '../src/cells/space.js';
import { MovingBaseline } from '../src/controller/baseline.js';
import { ensureNatsBenchTable, NB201_DATASETS, readNatsBenchTable, type Nb201Dataset } from '../src/data/nats-bench.js';
import { renderSpec } from '../src/report/plots.js';
import { svgToPng } from '../src/report/render.js';
import { hiddenTargetObjective } from '../src/search/objectives.js';
import { makeStrategy, STRATEGY_NAMES, type StrategyName } from '../src/search/strategies/index.js';
import { formatNb201, nasBench201Space } from '../src/spaces/nas-bench-201.js';
import type { Decision } from '../src/spaces/types.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const SEEDS = Number(arg('seeds', '50'));
const only = arg('only', 'all');
const outDir = resolve(arg('out', join(ROOT, '.tmp', 'bench-strategies')));
const preset = PRESETS[arg('preset', 'tuned') as PresetName];
const strategies = arg('strategies', STRATEGY_NAMES.join(',')).split(',');

tf.env().set('PROD', true);
await tf.setBackend('cpu'); // the controller is small; cpu keeps the figures free of thread noise

type Score = (actions: number[]) => number;

/** Best-so-far after each query of one search. */
async function run(name: StrategyName, decisions: readonly Decision[], seed: number, score: Score, budget: number): Promise<number[]> {
  const strategy = makeStrategy(name, decisions, seed, strategySettingsOf(preset));
  const baseline = new MovingBaseline({ window: 20, initial: 0.1 });
  const curve: number[] = [];
  let best = 0;
  try {
    for (let q = 0; q < budget; q++) {
      const p = await strategy.propose();
      const accuracy = score(p.actions);
      await strategy.observe(p, { accuracy, reward: accuracy - baseline.value() });
      baseline.push(accuracy);
      best = Math.max(best, accuracy);
      curve.push(best);
    }
  } finally {
    strategy.dispose();
  }
  return curve;
}

const meanSe = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
  return { mean: m, se: sd / Math.sqrt(xs.length) };
};

interface Result {
  problem: string;
  strategy: StrategyName;
  /** Mean best-so-far after each query (scaled as printed). */
  curve: number[];
  at: Record<number, { mean: number; se: number }>;
}

async function measure(problem: string, decisions: readonly Decision[], scoreFor: (seed: number) => Score, budgets: number[], scale: number): Promise<Result[]> {
  const results: Result[] = [];
  const budget = Math.max(...budgets);
  for (const name of STRATEGY_NAMES.filter((n) => strategies.includes(n))) {
    const started = performance.now();
    const curves: number[][] = [];
    for (let seed = 1; seed <= SEEDS; seed++) curves.push((await run(name, decisions, seed, scoreFor(seed), budget)).map((v) => v * scale));
    const at: Result['at'] = {};
    for (const b of budgets) at[b] = meanSe(curves.map((c) => c[b - 1]));
    const curve = curves[0].map((_, q) => curves.reduce((s, c) => s + c[q], 0) / curves.length);
    results.push({ problem, strategy: name, curve, at });
    const cells = budgets.map((b) => `@${b} ${at[b].mean.toFixed(2)} ± ${at[b].se.toFixed(2)}`).join('   ');
    console.log(`${problem.padEnd(22)} ${name.padEnd(10)} ${cells}   (${SEEDS} seeds, ${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
  return results;
}

async function plot(results: Result[], problem: string, yTitle: string): Promise<void> {
  const values = results.filter((r) => r.problem === problem).flatMap((r) => r.curve.map((y, q) => ({ query: q + 1, best: y, strategy: r.strategy })));
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: `${problem}: best found so far, mean of ${SEEDS} seeds`, font: 'DejaVu Sans' },
    width: 560,
    height: 320,
    data: { values },
    mark: { type: 'line' },
    encoding: {
      x: { field: 'query', type: 'quantitative', title: 'architectures evaluated', scale: { type: 'log' } },
      y: { field: 'best', type: 'quantitative', title: yTitle, scale: { zero: false } },
      color: { field: 'strategy', type: 'nominal' },
    },
    config: { font: 'DejaVu Sans' },
  };
  const svg = await renderSpec(spec as Parameters<typeof renderSpec>[0]);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, `${problem}.svg`), svg);
  writeFileSync(join(outDir, `${problem}.png`), await svgToPng(svg));
}

const all: Result[] = [];
if (only === 'all' || only === 'nb201') {
  const table = readNatsBenchTable(await ensureNatsBenchTable({ table: arg('table', '') || undefined, log: console.log }));
  const decisions = nasBench201Space.decisions;
  for (const dataset of NB201_DATASETS as readonly Nb201Dataset[]) {
    const score: Score = (a) => table.accuracy(formatNb201(nasBench201Space.decode(a)), dataset)! / 100;
    console.log(`nb201-${dataset}: optimum ${table.best(dataset).accuracy.toFixed(2)}`);
    all.push(...(await measure(`nb201-${dataset}`, decisions, () => score, [50, 100, 150, 300], 100)));
    await plot(all, `nb201-${dataset}`, 'test accuracy (%)');
  }
}
if (only === 'all' || only === 'nasnet') {
  const space = nasnetSpace();
  // a different hidden target per seed; seeds offset so no strategy's generator equals the target's
  all.push(...(await measure('nasnet-objective', space.decisions, (seed) => hiddenTargetObjective(space.decisions, 100_000 + seed), [150, 1000], 1)));
  await plot(all, 'nasnet-objective', 'objective (1 = hidden optimum)');
}
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'results.json'), JSON.stringify({ seeds: SEEDS, preset, results: all.map(({ curve: _c, ...r }) => r) }, null, 2));
console.log(`curves and results.json in ${outDir}`);
const at150 = (s: StrategyName) => all.find((r) => r.problem === 'nb201-cifar10' && r.strategy === s)?.at[150];
const [c, r] = [at150('controller'), at150('random')];
console.log(c && r ? `controller_vs_random nb201-cifar10@150 ${c.mean.toFixed(2)} ${r.mean.toFixed(2)}` : 'controller_vs_random unavailable (run with --only nb201 or all)');
process.exit(0);
