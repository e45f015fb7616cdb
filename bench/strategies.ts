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
//   npm run bench:strategies [-- --seeds 50 --table PATH --out DIR --only nb201|nasnet --datasets cifar10,... --preset tuned|book
//                              --pool FILE --proxy NAME --warmup N --short
//                              --controller-queue K --queue-weight W --fresh-proposals
//                              --strategies controller,random,evolution,tpe --jobs N]
// Seeds are shared out among --jobs processes (default: one per core), each a copy of this script
// run with --worker; a seed's result does not depend on which process ran it.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { resolveSearchConfig } from '../src/config/resolve.js';
import type { PresetName } from '../src/config/schema.js';
import { strategySettingsOf } from '../src/run/parts.js';
import { nasnetSpace } from '../src/spaces/nasnet/space.js';
import { MovingBaseline } from '../src/strategies/controller/baseline.js';
import { ensureNatsBenchTable, NB201_DATASETS, readNatsBenchTable, type Nb201Dataset } from '../src/data/nats-bench.js';
import { renderSpec } from '../src/report/plots.js';
import { svgToPng } from '../src/report/render.js';
import { hiddenTargetObjective } from '../src/search/objectives.js';
import { makeStrategy, STRATEGY_NAMES, type StrategyName } from '../src/strategies/index.js';
import { formatNb201, nasBench201Space, parseNb201 } from '../src/spaces/nas-bench-201/space.js';
import type { Strategy } from '../src/search/types.js';
import { type Scored, warmStart } from '../src/strategies/warm-start.js';
import { Rng } from '../src/util/random.js';
import { combinedScores, type ProxyScores, standing } from '../src/proxies/scorer.js';
import { parseProxySpec } from '../src/proxies/names.js';
import type { Decision } from '../src/spaces/types.js';
import { stat } from './figures.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const SEEDS = Number(arg('seeds', '50'));
// --first-seed K runs seeds K..K+SEEDS-1: settings chosen on one set of seeds are confirmed on another.
const FIRST_SEED = Number(arg('first-seed', '1'));
const only = arg('only', 'all');
const outDir = resolve(arg('out', join(ROOT, '.tmp', 'bench-strategies')));
// The strategies' settings as a search with this preset resolves them (the CLI's and the library's defaults).
const strategyConfig = resolveSearchConfig(
  {
    strategy: {
      preset: arg('preset', 'tuned') as PresetName,
      // a warm start changes the controller's defaults (PRESETS.tuned.warmStarted), as in `nascent search`
      ...(Number(arg('warmup', '0')) > 0 ? { warmup: { count: Number(arg('warmup', '0')), proxy: arg('proxy', 'synflow') } } : {}),
      // the controller's priority queue and fresh proposals, as `nascent search` takes them
      controller: {
        units: 32,
        ...(process.argv.includes('--controller-queue') ? { queue: Number(arg('controller-queue', '')) } : {}),
        ...(process.argv.includes('--queue-weight') ? { queueWeight: Number(arg('queue-weight', '')) } : {}),
        ...(process.argv.includes('--fresh-proposals') ? { fresh: true } : {}),
      },
      ...(process.argv.includes('--population')
        ? { evolution: { population: Number(arg('population', '20')), tournament: Number(arg('tournament', '5')) } }
        : {}),
    },
  },
  { source: '--preset' },
).strategy;
const strategies = arg('strategies', STRATEGY_NAMES.join(',')).split(',');
const JOBS = Math.max(1, Math.min(SEEDS, Number(arg('jobs', String(availableParallelism())))));
/** Worker mode: `--worker problem:strategy:first:last` prints that range's curves as JSON. */
const worker = arg('worker', '');

tf.env().set('PROD', true);
await tf.setBackend('cpu'); // the controller is small; cpu keeps the figures free of thread noise

type Score = (actions: number[]) => number;

// Warm starts (--pool FILE --proxy NAME --warmup N): each seed draws N cells of a pool of cells that
// bench:proxies scored once with real networks and images (data/proxy-scores/), and the strategy
// starts from the best-scored as `nascent search --warmup N --proxy NAME` does
// (src/strategies/warm-start.ts). The proxy's compute is the pool's seconds per cell times N.
const poolFile = arg('pool', '');
const warmProxy = arg('proxy', 'synflow');
const warmNames = parseProxySpec(warmProxy);
const warmCount = Number(arg('warmup', '0'));
interface PoolCell {
  arch: string;
  scores: Record<string, number | null>;
  seconds: Record<string, number>;
}
const pool: PoolCell[] = poolFile
  ? readFileSync(resolve(poolFile), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
  : [];

async function warmed(name: StrategyName, decisions: readonly Decision[], seed: number): Promise<{ strategy: Strategy; scored: ProxyScores[] }> {
  const strategy = makeStrategy(name, decisions, seed, strategySettingsOf(strategyConfig));
  if (warmCount === 0) return { strategy, scored: [] };
  const rng = new Rng(seed * 7 + 1);
  const drawn = Array.from({ length: warmCount }, () => pool[rng.int(pool.length)]);
  for (const n of warmNames) if (!(n in drawn[0].scores)) throw new Error(`the pool ${poolFile} has no ${n} scores`);
  const combined = combinedScores(
    drawn.map((c) => c.scores),
    warmNames,
  );
  const scored: Scored[] = drawn.map((c, i) => ({ actions: nasBench201Space.encode(parseNb201(c.arch)), score: combined[i] }));
  const started = await warmStart(strategy, scored, {
    episodes: Math.max(...NB201_BUDGETS_WARM),
    population: strategyConfig.evolution.population,
    startup: strategyConfig.tpe.startup,
    // --pretrain-passes P: the controller's passes over the pool (default: about 200 updates)
    ...(process.argv.includes('--pretrain-passes') ? { pretrainPasses: Number(arg('pretrain-passes', '')) } : {}),
  });
  return { strategy: started, scored: drawn.map((c) => c.scores) };
}

// The proxy as a zeroth rung (--rung FILE, as `nascent search --proxy-rung`): a proposal that does
// not score among the best 1/3 of the cells scored before it (the warm-up's included) is turned
// down untrained, costing no query. FILE holds every cell's scores (bench:proxies --cells 15625
// writes it as scores.jsonl), since a strategy may propose any cell.
const rungFile = arg('rung', '');
const RUNG_KEEP = Number(arg('rung-keep', String(1 / 3)));
// The rung's proxies (default: the warm-up's); the file must hold their scores for every cell.
const rungNames = parseProxySpec(arg('rung-proxy', warmProxy));
const everyCell = new Map<string, ProxyScores>();
if (rungFile)
  for (const l of readFileSync(resolve(rungFile), 'utf8').split('\n')) {
    if (!l.trim()) continue;
    const line = JSON.parse(l) as { arch: string; proxy: string; score: number | null };
    const scores = everyCell.get(line.arch) ?? {};
    scores[line.proxy] = line.score;
    everyCell.set(line.arch, scores);
  }
/** Proposals looked at by the rung per search, summed over the searches of this process. */
let rungLooks = 0;
// --distinct counts a query only for an architecture the search has not queried before: a repeat is
// answered from what was recorded, as `nascent search` answers it from its cache (a `cached` trial
// that trains nothing). Without it every proposal is a query, as in the figures before it existed.
const DISTINCT = process.argv.includes('--distinct');
/** Repeats answered free per search, summed over the searches of this process. */
let repeats = 0;

/** Best-so-far after each query of one search. */
async function run(name: StrategyName, decisions: readonly Decision[], seed: number, score: Score, budget: number): Promise<number[]> {
  const { strategy, scored } = await warmed(name, decisions, seed);
  const baseline = new MovingBaseline({ window: 20, initial: 0.1 });
  const seen = [...scored];
  const curve: number[] = [];
  let best = 0;
  let turnedDown = 0;
  const queried = new Map<string, number>();
  let freeInARow = 0;
  try {
    for (let q = 0; q < budget; ) {
      const p = await strategy.propose();
      if (rungFile && turnedDown < 1000) {
        const arch = formatNb201(nasBench201Space.decode(p.actions));
        const scores = everyCell.get(arch);
        if (!scores) throw new Error(`${rungFile} has no scores of ${arch}: it must hold every cell`);
        const at = standing(scores, seen, rungNames);
        seen.push(scores);
        rungLooks++;
        if (seen.length > 10 && at < 1 - RUNG_KEEP - 1e-9) {
          await strategy.observe(p, { accuracy: null, reward: -baseline.value(), rejected: true });
          turnedDown++;
          continue;
        }
      }
      // After the rung, as in the search loop: the screen looks first, then the cache answers a repeat.
      const key = p.actions.join();
      const known = DISTINCT ? queried.get(key) : undefined;
      // a strategy that only repeats itself is charged after 1,000 free answers, so a search always ends
      if (known !== undefined && freeInARow < 1000) {
        await strategy.observe(p, { accuracy: known, reward: known - baseline.value() });
        baseline.push(known);
        repeats++;
        freeInARow++;
        continue;
      }
      freeInARow = 0;
      const accuracy = score(p.actions);
      queried.set(key, accuracy);
      await strategy.observe(p, { accuracy, reward: accuracy - baseline.value() });
      baseline.push(accuracy);
      best = Math.max(best, accuracy);
      curve.push(best);
      q++;
      turnedDown = 0;
    }
  } finally {
    strategy.dispose();
  }
  return curve;
}

const meanSe = (xs: number[]) => {
  const { m, se } = stat(xs);
  return { mean: m, se };
};

interface Result {
  problem: string;
  strategy: StrategyName;
  /** Mean best-so-far after each query (scaled as printed). */
  curve: number[];
  at: Record<number, { mean: number; se: number }>;
}

/** Best-so-far curves of seeds FIRST_SEED..FIRST_SEED+SEEDS-1, computed by JOBS worker processes. */
async function curvesOf(problem: string, name: StrategyName): Promise<number[][]> {
  const per = Math.ceil(SEEDS / JOBS);
  const ranges = Array.from({ length: JOBS }, (_, j) => [j * per + 1, Math.min(SEEDS, (j + 1) * per)])
    .filter(([a, b]) => a <= b)
    .map(([a, b]) => [a + FIRST_SEED - 1, b + FIRST_SEED - 1]);
  const passOn = [
    'table',
    'preset',
    'pool',
    'proxy',
    'warmup',
    'rung',
    'rung-keep',
    'rung-proxy',
    'population',
    'tournament',
    'pretrain-passes',
    'controller-queue',
    'queue-weight',
  ].flatMap((k) => (process.argv.includes(`--${k}`) ? [`--${k}`, arg(k, '')] : []));
  if (DISTINCT) passOn.push('--distinct');
  if (process.argv.includes('--fresh-proposals')) passOn.push('--fresh-proposals');
  const parts = await Promise.all(
    ranges.map(
      ([first, last]) =>
        new Promise<number[][]>((done, fail) =>
          execFile(
            process.execPath,
            [...process.execArgv, fileURLToPath(import.meta.url), ...passOn, '--worker', `${problem}:${name}:${first}:${last}`],
            { maxBuffer: 1 << 30 },
            (err, stdout, stderr) => {
              if (err) return fail(new Error(`worker for seeds ${first}-${last} failed: ${stderr || err.message}`));
              const out = JSON.parse(stdout.trim().split('\n').pop()!) as { curves: number[][]; looks: number; repeats: number };
              rungLooks += out.looks;
              repeats += out.repeats;
              done(out.curves);
            },
          ),
        ),
    ),
  );
  return parts.flat();
}

async function measure(problem: string, budgets: number[], scale: number): Promise<Result[]> {
  const results: Result[] = [];
  for (const name of STRATEGY_NAMES.filter((n) => strategies.includes(n))) {
    const started = performance.now();
    const curves = (await curvesOf(problem, name)).map((c) => c.map((v) => v * scale));
    const at: Result['at'] = {};
    for (const b of budgets) at[b] = meanSe(curves.map((c) => c[b - 1]));
    const curve = curves[0].map((_, q) => curves.reduce((s, c) => s + c[q], 0) / curves.length);
    results.push({ problem, strategy: name, curve, at });
    const cells = budgets.map((b) => `@${b} ${at[b].mean.toFixed(2)} ± ${at[b].se.toFixed(2)}`).join('   ');
    if (rungFile)
      console.log(
        `${''.padEnd(22)} ${name.padEnd(10)} the rung looked at ${(rungLooks / SEEDS).toFixed(0)} proposals per search for ${Math.max(...budgets)} queries`,
      );
    rungLooks = 0;
    if (DISTINCT) console.log(`${''.padEnd(22)} ${name.padEnd(10)} ${(repeats / SEEDS).toFixed(1)} repeated proposals per search answered without a query`);
    repeats = 0;
    console.log(
      `${problem.padEnd(22)} ${name.padEnd(10)} ${cells}   (${SEEDS} seeds, ${((performance.now() - started) / 1000).toFixed(0)} s on ${JOBS} processes)`,
    );
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

const NB201_BUDGETS_WARM = [10, 20, 50, 150];
const NB201_BUDGETS = warmCount > 0 || process.argv.includes('--short') ? NB201_BUDGETS_WARM : [50, 100, 150, 300];
const NASNET_BUDGETS = [150, 1000];

/** Each problem: its decisions, the score for a seed, and the budgets reported. */
interface Problem {
  decisions: readonly Decision[];
  scoreFor(seed: number): Score;
  budgets: number[];
}

async function problemOf(name: string): Promise<Problem> {
  if (name.startsWith('nb201-')) {
    const dataset = name.slice('nb201-'.length) as Nb201Dataset;
    const table = readNatsBenchTable(await ensureNatsBenchTable({ table: arg('table', '') || undefined, log: worker ? () => {} : console.log }));
    const score: Score = (a) => table.accuracy(formatNb201(nasBench201Space.decode(a)), dataset)! / 100;
    return { decisions: nasBench201Space.decisions, scoreFor: () => score, budgets: NB201_BUDGETS };
  }
  const space = nasnetSpace();
  // a different hidden target per seed; seeds offset so no strategy's generator equals the target's
  return { decisions: space.decisions, scoreFor: (seed) => hiddenTargetObjective(space.decisions, 100_000 + seed), budgets: NASNET_BUDGETS };
}

if (worker) {
  const [problem, name, first, last] = worker.split(':');
  const p = await problemOf(problem);
  const budget = Math.max(...p.budgets);
  const curves: number[][] = [];
  for (let seed = Number(first); seed <= Number(last); seed++) curves.push(await run(name as StrategyName, p.decisions, seed, p.scoreFor(seed), budget));
  // exit only once the pipe has taken it all: stdout to a pipe is asynchronous, and exiting at once cuts it short
  process.stdout.write(`${JSON.stringify({ curves, looks: rungLooks, repeats })}\n`, () => process.exit(0));
  await new Promise(() => {});
}

const all: Result[] = [];
if (only === 'all' || only === 'nb201') {
  const table = readNatsBenchTable(await ensureNatsBenchTable({ table: arg('table', '') || undefined, log: console.log }));
  for (const dataset of arg('datasets', NB201_DATASETS.join(',')).split(',') as Nb201Dataset[]) {
    console.log(`nb201-${dataset}: optimum ${table.best(dataset).accuracy.toFixed(2)}`);
    if (warmCount > 0) {
      // What the warm-up costs on this machine: the pool's measured seconds per cell, for each proxy of the spec.
      const perCell = pool.reduce((s, c) => s + warmNames.reduce((t, n) => t + (c.seconds[n] ?? 0), 0), 0) / pool.length;
      console.log(
        `warm-up: ${warmCount} cells scored by ${warmProxy}, ${perCell.toFixed(2)} s each: ${(perCell * warmCount).toFixed(0)} s of proxy compute per search`,
      );
    }
    all.push(...(await measure(`nb201-${dataset}`, NB201_BUDGETS, 100)));
    await plot(all, `nb201-${dataset}`, 'test accuracy (%)');
  }
}
if (only === 'all' || only === 'nasnet') {
  all.push(...(await measure('nasnet-objective', NASNET_BUDGETS, 1)));
  await plot(all, 'nasnet-objective', 'objective (1 = hidden optimum)');
}
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, 'results.json'),
  JSON.stringify({ seeds: SEEDS, preset: strategyConfig.preset, controller: strategyConfig.controller, results: all.map(({ curve: _c, ...r }) => r) }, null, 2),
);
console.log(`curves and results.json in ${outDir}`);
const at150 = (s: StrategyName) => all.find((r) => r.problem === 'nb201-cifar10' && r.strategy === s)?.at[150];
const [c, r] = [at150('controller'), at150('random')];
console.log(
  c && r
    ? `controller_vs_random nb201-cifar10@150 ${c.mean.toFixed(2)} ${r.mean.toFixed(2)}`
    : 'controller_vs_random unavailable (needs the controller and random on nb201-cifar10)',
);
process.exit(0);
