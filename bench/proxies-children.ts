// How well each zero-cost proxy ranks trained NASNet children: every trial of a finished search
// (its cells, and the validation accuracy it reached) is rebuilt untrained with the run's own
// settings and scored by each proxy on 64 of the run's training images, as `--warmup` scores
// them; then each proxy's Spearman rho and Kendall tau with the trials' accuracies, and the mean
// rank of the best three. The run is any search, e.g. 30 random children of 3 epochs:
//
//   node bin/nascent.mjs search cifar10 --data-dir ../shared/data/cifar10-subset --strategy random \
//       --episodes 30 --epochs 3 --train-limit 2000 --channels 4,8,8,16,16 --seed 1 --out RUN
//   npm run bench:proxies:children -- RUN [--proxies a,b,...] [--data-dir DIR]
//
// The last line is `best_rho <proxy> <rho>`.
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { prepareBackend } from '../src/backend/index.js';
import { recordedConfig } from '../src/config/read.js';
import { combinedScores, PROXY_NAMES, ProxyScorer, type ProxyScores, spearman } from '../src/proxies/index.js';
import { loadSearchImages } from '../src/run/parts.js';
import { PROXY_BATCH, proxyBatchOf, proxyNetworkOf } from '../src/run/warm-up.js';
import type { TrialRecord } from '../src/store/records.js';
import { kendallTau } from '../src/util/kendall.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const runDir = process.argv[2] && !process.argv[2].startsWith('--') ? resolve(process.argv[2]) : undefined;
if (!runDir) throw new Error('usage: npm run bench:proxies:children -- RUN_DIR [--proxies a,b] [--data-dir DIR]');
const proxies = arg('proxies', PROXY_NAMES.filter((p) => p !== 'grasp').join(',')).split(',');

const config = recordedConfig(JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')), join(runDir, 'config.json'));
if (config.problem.space !== 'nasnet') throw new Error(`${runDir} is a ${config.problem.space} search: this bench scores trained NASNet children`);
const trials = readFileSync(join(runDir, 'trials.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as TrialRecord)
  .filter((t) => t.accuracy !== null && !t.cached);
if (trials.length < 2) throw new Error(`${runDir} has ${trials.length} trained trials: too few to rank`);

const backend = await prepareBackend('wasm');
const dataDir = arg('data-dir', '');
const splits = await loadSearchImages(config, dataDir ? { dir: resolve(dataDir) } : {});
const images = { set: splits.train, numClasses: splits.classes.length };
const network = proxyNetworkOf(config, images);
const scorer = new ProxyScorer(proxies.join('+'), proxyBatchOf(images.set, images.numClasses, PROXY_BATCH, config.seed));
console.error(`${trials.length} children of ${runDir}; ${proxies.join(', ')} on ${PROXY_BATCH} training images; ${backend.detail}`);

const scores: ProxyScores[] = [];
const seconds: number[] = [];
for (const [i, t] of trials.entries()) {
  const started = performance.now();
  scores.push((await scorer.score(network(t.cells))).scores);
  seconds.push((performance.now() - started) / 1000);
  if ((i + 1) % 10 === 0) console.error(`${i + 1}/${trials.length} children scored`);
}
tf.dispose([scorer.batch.images, scorer.batch.labels]);

const accuracy = trials.map((t) => t.accuracy!);
const column = (p: string) => scores.map((s) => s[p] ?? Number.NEGATIVE_INFINITY);
const rows = proxies
  .map((p) => ({ proxy: p, rho: spearman(column(p), accuracy), tau: kendallTau(column(p), accuracy), failures: scores.filter((s) => s[p] === null).length }))
  .sort((a, b) => (Number.isNaN(b.rho) ? -1 : b.rho) - (Number.isNaN(a.rho) ? -1 : a.rho));
const best3 = rows.slice(0, 3).map((r) => r.proxy);
const combined = spearman(
  combinedScores(scores, best3).map((x) => (Number.isFinite(x) ? x : -1e300)),
  accuracy,
);
const epochs = config.evaluator.kind === 'child' ? config.evaluator.epochs : '?';

console.log(`\n${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, node ${process.version}, ${backend.name}`);
console.log(
  `${trials.length} NASNet children of ${runDir}, ${epochs}-epoch validation accuracy ${Math.min(...accuracy).toFixed(3)}-${Math.max(...accuracy).toFixed(3)}\n`,
);
console.log('| proxy | Spearman rho | Kendall tau | failures |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.proxy} | ${r.rho.toFixed(3)} | ${r.tau.toFixed(3)} | ${r.failures} |`);
console.log(`| mean rank of ${best3.join('+')} (the best three here: chosen on these children) | ${combined.toFixed(3)} | | |`);
console.log(`\nscoring took ${(seconds.reduce((a, b) => a + b, 0) / seconds.length).toFixed(2)} s per child (all proxies)`);
console.log(`best_rho ${rows[0].proxy} ${rows[0].rho.toFixed(3)}`);
