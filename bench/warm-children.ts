// Does a proxy-warmed search of real children reach what a standard search reaches, for a third of
// the child-epochs? On the real CIFAR-10 subset, with the real CLI, for each seed:
//   - standard: `nascent search` with --episodes N (N children of --epochs epochs);
//   - warmed:   the same with --warmup W --proxy P and --episodes N/3 (a third of the child-epochs),
// and the best validation accuracy of each, mean ± standard error over the seeds, with the
// child-epochs and the proxy's seconds beside them.
//
//   npm run bench:warm-children [-- --seeds 1,2,3 --episodes 12 --epochs 2 --warmup 300
//       --proxy synflow --strategy random --train-limit 1000 --val-limit N --channels 4,8,8,16,16
//       --dataset cifar10|fashion-mnist|mnist --data-dir DIR --out DIR --jobs N]
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TrialRecord } from '../src/store/records.js';
import { pool } from '../src/util/pool.js';
import { stat } from './figures.js';

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const seeds = arg('seeds', '1,2,3').split(',').map(Number);
const episodes = Number(arg('episodes', '12'));
const warmup = arg('warmup', '300');
const proxy = arg('proxy', 'synflow');
const jobs = Number(arg('jobs', '1'));
if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`--jobs must be a whole number of at least 1, got ${arg('jobs', '')}`);
const dataset = arg('dataset', 'cifar10');
// CIFAR-10 is the shared subset unless told otherwise; the other data sets come from the search's
// own lookup (Debian's dataset-fashion-mnist, the cache) unless --data-dir names a directory.
const dataDir = dataset === 'cifar10' ? resolve(arg('data-dir', join(ROOT, '..', 'shared', 'data', 'cifar10-subset'))) : arg('data-dir', '');
const outDir = resolve(arg('out', join(ROOT, '.tmp', 'bench-warm-children')));
if (dataset === 'cifar10' && !existsSync(join(dataDir, 'cifar-10-batches-bin'))) throw new Error(`${dataDir} has no cifar-10-batches-bin (pass --data-dir)`);

const common = [
  ...['search', dataset, ...(dataDir ? ['--data-dir', resolve(dataDir)] : []), '--strategy', arg('strategy', 'random'), '--epochs', arg('epochs', '2')],
  ...['--train-limit', arg('train-limit', '1000'), '--channels', arg('channels', '4,8,8,16,16'), '--backend', 'wasm', '--no-report'],
  ...(process.argv.includes('--val-limit') ? ['--val-limit', arg('val-limit', '')] : []),
];

interface Outcome {
  best: number;
  childEpochs: number;
  seconds: number;
  proxySeconds: number;
}

async function search(name: string, seed: number, extra: string[]): Promise<Outcome> {
  const out = join(outDir, `${name}-${seed}`);
  rmSync(out, { recursive: true, force: true });
  const r = await run(process.execPath, [join(ROOT, 'bin', 'nascent.mjs'), ...common, '--seed', String(seed), ...extra, '--out', out], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: { ...process.env, NASCENT_WASM_THREADS: '1' },
  }).catch((err: { stderr?: string; message: string }) => {
    throw new Error(`${name} seed ${seed} failed: ${(err.stderr ?? err.message).slice(-2000)}`);
  });
  const warm = /warm-up: \d+ architectures scored by \S+ in ([\d.]+) s/.exec(r.stdout + r.stderr);
  const trials = readFileSync(join(out, 'trials.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TrialRecord);
  return {
    best: Math.max(...trials.map((t) => t.accuracy ?? 0)),
    childEpochs: trials.reduce((s, t) => s + (t.epochsTrained ?? t.valAccuracies.length), 0),
    seconds: trials.reduce((s, t) => s + t.seconds, 0),
    proxySeconds: warm ? Number(warm[1]) : 0,
  };
}

/** One seed: its standard search, then its warmed one (each a single-threaded process). */
async function both(seed: number): Promise<[Outcome, Outcome]> {
  const a = await search('standard', seed, ['--episodes', String(episodes)]);
  const b = await search('warmed', seed, ['--episodes', String(Math.ceil(episodes / 3)), '--warmup', warmup, '--proxy', proxy]);
  console.error(
    `seed ${seed}: standard ${a.best.toFixed(4)} (${a.childEpochs} child-epochs), warmed ${b.best.toFixed(4)} (${b.childEpochs}, proxy ${b.proxySeconds.toFixed(0)} s)`,
  );
  return [a, b];
}
// --jobs N runs N seeds at once, one process each: the seconds then include the sharing of the cores.
const outcomes = await pool(seeds, jobs, both);
const runs = { standard: outcomes.map(([a]) => a), warmed: outcomes.map(([, b]) => b) };

console.log(
  `\n${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, node ${process.version}, wasm, one thread per search, ${jobs} seed(s) at a time`,
);
console.log(`${common.slice(1).join(' ')}; seeds ${seeds.join(',')}\n`);
console.log('| search | best validation accuracy | child-epochs | training s | proxy s |');
console.log('|---|---|---|---|---|');
for (const [name, list] of Object.entries(runs)) {
  const best = stat(list.map((o) => o.best));
  const mean = (f: (o: Outcome) => number) => stat(list.map(f)).m.toFixed(0);
  const label = name === 'standard' ? `standard, ${episodes} children` : `--warmup ${warmup} --proxy ${proxy}, ${Math.ceil(episodes / 3)} children`;
  console.log(
    `| ${label} | ${best.m.toFixed(4)} ± ${best.se.toFixed(4)} | ${mean((o) => o.childEpochs)} | ${mean((o) => o.seconds)} | ${mean((o) => o.proxySeconds)} |`,
  );
}
const reached = runs.warmed.filter((w, i) => w.best >= runs.standard[i].best).length;
console.log(
  `\nwarmed_reaches_standard ${reached}/${seeds.length} seeds; mean ${stat(runs.warmed.map((o) => o.best)).m.toFixed(4)} vs ${stat(runs.standard.map((o) => o.best)).m.toFixed(4)}`,
);
