// How well each zero-cost proxy ranks NAS-Bench-201's cells, reproduced on the benchmark's own
// networks (src/spaces/nas-bench-201/network.ts) and real CIFAR-10 training images: per proxy, the
// Spearman rho and Kendall tau of its scores with the table's CIFAR-10 test accuracy over N sampled
// cells, per data seed (each seed draws another minibatch), with mean and standard error over the
// seeds, the seconds it costs per network, and the published figure beside it (Abdelfattah et al.
// 2021, ICLR, Table 1: NAS-Bench-201 CIFAR-10). Then the rank average of the best proxies. Scores go
// to OUT/scores.jsonl as they are computed, so a run that is stopped goes on where it was. snip and
// grad_norm, asked for together, take one gradient for both (as a search's ProxyScorer does), and
// each is charged half of its seconds.
//
//   npm run bench:proxies [-- --cells 1000 --seeds 1,2,3 --batch 64 --proxies a,b --table FILE
//       --data-dir DIR --out DIR --shard K/N]
//
// --shard K/N scores only every Nth cell from the Kth (0-based) and stops: N such runs on one --out
// use N cores (each appends whole lines to the same scores file); a run without --shard then reads
// them all and prints the figures.
//
// The last line is `best_rho <proxy> <rho>`.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { prepareBackend } from '../src/backend/index.js';
import { loadCifar10Train } from '../src/data/cifar10.js';
import { NB201_COLUMNS } from '../src/data/nats-bench.js';
import { combinedScores, PROXY_NAMES, proxyByName, ProxyFailure, spearman, type ProxyBatch } from '../src/proxies/index.js';
import { scoreEach } from '../src/proxies/scorer.js';
import { nb201Network } from '../src/spaces/nas-bench-201/network.js';
import { kendallTau } from '../src/util/kendall.js';
import { Rng } from '../src/util/random.js';
import { stat } from './figures.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const cells = Number(arg('cells', '100'));
const seeds = arg('seeds', '1,2,3').split(',').map(Number);
const batchSize = Number(arg('batch', '64'));
const proxies = arg('proxies', PROXY_NAMES.join(',')).split(',');
const tableFile = resolve(arg('table', join(ROOT, '..', 'shared', 'benchmarks', 'nats-bench-201.csv')));
const dataDir = resolve(arg('data-dir', join(ROOT, '..', 'shared', 'data', 'cifar10-subset')));
const outDir = resolve(arg('out', join(ROOT, '.tmp', 'bench-proxies')));
const shard = arg('shard', '0/1').split('/').map(Number);
if (shard.length !== 2 || !shard.every(Number.isInteger) || shard[1] < 1 || shard[0] < 0 || shard[0] >= shard[1]) {
  throw new Error(`--shard must be K/N with 0 <= K < N, got ${arg('shard', '')}`);
}
for (const p of proxies) if (!(PROXY_NAMES as readonly string[]).includes(p)) throw new Error(`unknown proxy ${p} (${PROXY_NAMES.join(', ')})`);

/** Abdelfattah et al. 2021, Table 1 (NAS-Bench-201, CIFAR-10, Spearman rho over all cells). */
const PUBLISHED: Record<string, number> = { grad_norm: 0.58, snip: 0.58, grasp: 0.48, fisher: 0.36, synflow: 0.74, jacob_cov: 0.73 };
/** NAS-Bench-201's images were normalized with CIFAR-10's channel means and deviations. */
const MEAN = [0.4914, 0.4822, 0.4465];
const STD = [0.247, 0.2435, 0.2616];

/** 0..n-1 in an order drawn by `rng` (Fisher-Yates). */
function permutation(rng: Rng, n: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

function readTable(file: string): { arch: string; accuracy: number }[] {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split(/\r?\n/);
  const cols = header.split(',');
  const a = cols.indexOf('ArchitectureString');
  const acc = cols.indexOf(NB201_COLUMNS.cifar10);
  return lines.map((l) => l.split(',')).map((f) => ({ arch: f[a], accuracy: Number(f[acc]) }));
}

/** `batchSize` training images drawn by `seed`, normalized as the benchmark's were. */
function minibatch(seed: number): ProxyBatch {
  const batches = existsSync(join(dataDir, 'cifar-10-batches-bin')) ? join(dataDir, 'cifar-10-batches-bin') : dataDir;
  const set = loadCifar10Train(batches);
  const order = permutation(new Rng(seed), set.count).slice(0, batchSize);
  const pixels = set.height * set.width * set.channels;
  const xs = new Float32Array(batchSize * pixels);
  const labels = new Int32Array(batchSize);
  order.forEach((src, i) => {
    for (let p = 0; p < pixels; p++) xs[i * pixels + p] = (set.images[src * pixels + p] / 255 - MEAN[p % 3]) / STD[p % 3];
    labels[i] = set.labels[src];
  });
  return { images: tf.tensor4d(xs, [batchSize, set.height, set.width, set.channels]), labels: tf.tensor1d(labels, 'int32'), numClasses: 10 };
}

interface Line {
  arch: string;
  seed: number;
  proxy: string;
  score: number | null;
  seconds: number;
  failed?: string;
}

const backend = await prepareBackend((arg('backend', 'wasm') as 'wasm') ?? 'wasm');
mkdirSync(outDir, { recursive: true });
const scoresFile = join(outDir, 'scores.jsonl');
const done = new Map<string, Line>();
if (existsSync(scoresFile))
  for (const l of readFileSync(scoresFile, 'utf8').trim().split('\n').filter(Boolean)) {
    const line = JSON.parse(l) as Line;
    done.set(`${line.arch} ${line.seed} ${line.proxy}`, line);
  }
const table = readTable(tableFile);
const sample = permutation(new Rng(0), table.length)
  .slice(0, cells)
  .map((i) => table[i]);
console.error(
  `${cells} cells of ${table.length}, seeds ${seeds.join(',')}, batch ${batchSize}, ${backend.detail}; scores in ${scoresFile} (${done.size} already)`,
);
for (const seed of seeds) {
  const batch = minibatch(seed);
  let n = 0;
  for (const [index, { arch }] of sample.entries()) {
    if (index % shard[1] !== shard[0]) continue;
    const todo = proxies.filter((proxy) => !done.has(`${arch} ${seed} ${proxy}`)).map((proxy) => proxyByName(proxy));
    const record = (line: Line) => {
      appendFileSync(scoresFile, `${JSON.stringify(line)}\n`);
      done.set(`${line.arch} ${line.seed} ${line.proxy}`, line);
    };
    const net = { build: (o: { batchNorm: boolean }) => nb201Network(arch, { seed, batchNorm: o.batchNorm }) };
    // snip and grad_norm share one backward pass, as in a search: each is charged half its time.
    for await (const { proxy, result, seconds } of scoreEach(todo, net, batch))
      record(
        result instanceof ProxyFailure ? { arch, seed, proxy, score: null, seconds, failed: result.reason } : { arch, seed, proxy, score: result, seconds },
      );
    if (++n % 10 === 0) console.error(`seed ${seed}: ${n}/${cells} cells`);
  }
  tf.dispose([batch.images, batch.labels]);
}
if (shard[1] > 1) {
  console.error(`shard ${shard[0]}/${shard[1]} scored; run again without --shard for the figures`);
  process.exit(0);
}

// The pool bench:strategies warm-starts from (--pool): each cell's scores and seconds at the first seed.
writeFileSync(
  join(outDir, 'pool.jsonl'),
  sample
    .map((c) => {
      const at = (p: string) => done.get(`${c.arch} ${seeds[0]} ${p}`);
      return JSON.stringify({
        arch: c.arch,
        accuracy: c.accuracy,
        scores: Object.fromEntries(proxies.map((p) => [p, at(p)?.score ?? null])),
        seconds: Object.fromEntries(proxies.map((p) => [p, Number((at(p)?.seconds ?? 0).toFixed(4))])),
      });
    })
    .join('\n') + '\n',
);

// Figures over the cells every proxy scored (a failed score ranks last).
const accuracy = sample.map((c) => c.accuracy);
const scoresOf = (proxy: string, seed: number) => sample.map((c) => done.get(`${c.arch} ${seed} ${proxy}`)?.score ?? Number.NEGATIVE_INFINITY);
const rows = proxies.map((proxy) => {
  const rho = seeds.map((s) => spearman(scoresOf(proxy, s), accuracy));
  const tau = seeds.map((s) => kendallTau(scoresOf(proxy, s), accuracy));
  const seconds = stat(sample.flatMap((c) => seeds.map((s) => done.get(`${c.arch} ${s} ${proxy}`)?.seconds ?? 0)));
  const failures = sample.flatMap((c) => seeds.map((s) => done.get(`${c.arch} ${s} ${proxy}`))).filter((l) => l?.failed).length;
  return { proxy, rho: stat(rho), tau: stat(tau), seconds, failures };
});
rows.sort((a, b) => b.rho.m - a.rho.m);

// Combinations: every set of 2 or 3 measured proxies, ranked by their mean rank. The set is chosen
// on half the cells (every other one) and its rho reported on the other half, so the figure is not
// flattered by choosing on the cells it is measured on; then on all cells.
const subsets: string[][] = [];
for (let a = 0; a < proxies.length; a++)
  for (let b = a + 1; b < proxies.length; b++) {
    subsets.push([proxies[a], proxies[b]]);
    for (let c = b + 1; c < proxies.length; c++) subsets.push([proxies[a], proxies[b], proxies[c]]);
  }
const half = (k: 0 | 1) => sample.map((_, i) => i).filter((i) => i % 2 === k);
const rhoOf = (set: string[], s: number, cellsAt: number[]) => {
  const rows = cellsAt.map((i) => Object.fromEntries(set.map((p) => [p, done.get(`${sample[i].arch} ${s} ${p}`)?.score ?? null])));
  return spearman(
    combinedScores(rows, set).map((x) => (Number.isFinite(x) ? x : -1e300)),
    cellsAt.map((i) => accuracy[i]),
  );
};
const everyCell = sample.map((_, i) => i);
const choose = (set: string[]) => stat(seeds.map((s) => rhoOf(set, s, half(0)))).m;
const chosen = subsets.length ? subsets.reduce((best, set) => (choose(set) > choose(best) ? set : best)) : undefined;

console.log(`\n${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, node ${process.version}, ${backend.name}`);
console.log(
  `${cells} NAS-Bench-201 cells, CIFAR-10 test accuracy (200 epochs); minibatch of ${batchSize} real training images per seed; seeds ${seeds.join(',')}\n`,
);
console.log('| proxy | Spearman rho | Kendall tau | published rho | s per network | failures |');
console.log('|---|---|---|---|---|---|');
const pm = (s: { m: number; se: number }) => `${s.m.toFixed(3)} ± ${s.se.toFixed(3)}`;
for (const r of rows)
  console.log(`| ${r.proxy} | ${pm(r.rho)} | ${pm(r.tau)} | ${PUBLISHED[r.proxy]?.toFixed(2) ?? '-'} | ${r.seconds.m.toFixed(2)} | ${r.failures} |`);
let top = { name: rows[0].proxy, rho: rows[0].rho.m };
if (chosen) {
  const heldOut = stat(seeds.map((s) => rhoOf(chosen, s, half(1))));
  const all = stat(seeds.map((s) => rhoOf(chosen, s, everyCell)));
  const seconds = rows.filter((r) => chosen.includes(r.proxy)).reduce((t, r) => t + r.seconds.m, 0);
  console.log(
    `| mean rank of ${chosen.join('+')} (chosen on half the cells) | ${pm(all)} (other half: ${pm(heldOut)}) | | 0.82 (their vote) | ${seconds.toFixed(2)} | |`,
  );
  if (heldOut.m > top.rho) top = { name: chosen.join('+'), rho: heldOut.m };
}
// The best single proxy, or the chosen combination judged on the cells it was not chosen on.
console.log(`\nbest_rho ${top.name} ${top.rho.toFixed(3)}`);
