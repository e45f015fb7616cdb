// --warmup N --proxy NAME: before a search, N architectures drawn uniformly from its space are
// scored by a zero-cost proxy on one minibatch of real training images (no training), and the
// strategy starts from the best-scored (src/strategies/warm-start.ts). The pool is written to
// <run>/warmup.jsonl. A network the proxy cannot score (NaN, infinite) ranks last and is counted.
// Several proxies (`--proxy synflow+jacob_cov`) rank the pool by their mean rank.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { SearchConfig } from '../config/schema.js';
import { loadDataset } from '../data/datasets.js';
import type { ImageSet } from '../data/types.js';
import {
  childProxyNetwork,
  combinedScores,
  nb201ProxyNetwork,
  parseProxySpec,
  type ProxyBatch,
  type ProxyNetwork,
  ProxyScorer,
  type ProxyScores,
} from '../proxies/index.js';
import type { CellPair } from '../spaces/nasnet/types.js';
import type { Nb201Cell } from '../spaces/nas-bench-201/space.js';
import type { SearchSpace } from '../spaces/types.js';
import type { Scored } from '../strategies/warm-start.js';
import { Rng } from '../util/random.js';

/** Proxies that read no images (synflow feeds an all-ones image of the input's shape). */
const SHAPE_ONLY = new Set(['params', 'flops', 'synflow']);
/** The minibatch the proxies score on (Abdelfattah et al. 2021 use 64). */
export const PROXY_BATCH = 64;

/** `n` images of `set` drawn by `seed`, scaled to [0, 1] as the children see them. */
export function proxyBatchOf(set: ImageSet, numClasses: number, n: number, seed: number): ProxyBatch {
  const rng = new Rng(seed);
  const pixels = set.height * set.width * set.channels;
  const count = Math.min(n, set.count);
  const xs = new Float32Array(count * pixels);
  const labels = new Int32Array(count);
  const taken = new Set<number>();
  for (let i = 0; i < count; i++) {
    let j = rng.int(set.count);
    while (taken.has(j)) j = rng.int(set.count);
    taken.add(j);
    for (let p = 0; p < pixels; p++) xs[i * pixels + p] = set.images[j * pixels + p] / 255;
    labels[i] = set.labels[j];
  }
  return { images: tf.tensor4d(xs, [count, set.height, set.width, set.channels]), labels: tf.tensor1d(labels, 'int32'), numClasses };
}

export interface WarmUpImages {
  set: ImageSet;
  numClasses: number;
}

/** Whether a proxy spec reads images (params, flops and synflow need only its shape). */
export const proxiesNeedImages = (spec: string): boolean => parseProxySpec(spec).some((n) => !SHAPE_ONLY.has(n));

/** A table search's proxy images when its proxies read images; a search on images has its own. */
export async function tableImagesIfNeeded(config: SearchConfig, log: (line: string) => void): Promise<WarmUpImages | undefined> {
  const specs = [...(config.strategy.warmup.count > 0 ? [config.strategy.warmup.proxy] : []), screenProxyOf(config)];
  return config.problem.space === 'nas-bench-201' && specs.some(proxiesNeedImages) ? tableProxyImages(config, log) : undefined;
}

/** The proxies that score each architecture before it is trained: the rung's, or else the warm-up's. */
export const screenProxyOf = (config: SearchConfig): string =>
  config.scheduler.proxyRung ? (config.scheduler.rungProxy ?? config.strategy.warmup.proxy) : config.strategy.warmup.proxy;

/** The proxies' scores of a run's warm-up pool (<run>/warmup.jsonl), for a resumed proxy rung to compare with. */
export function readWarmUpScores(dir: string): ProxyScores[] {
  const file = join(dir, 'warmup.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        const scores = (JSON.parse(l) as { scores?: ProxyScores }).scores;
        return scores ? [scores] : [];
      } catch {
        return []; // a torn last line: that score is lost, the rest compare as before
      }
    });
}

/** The images a table search's proxy scores on: CIFAR-10's training images (the table's data set). */
export async function tableProxyImages(config: SearchConfig, log: (line: string) => void): Promise<WarmUpImages> {
  const dir = config.strategy.warmup.dataDir;
  const splits = await loadDataset('cifar10', { ...(dir ? { dataDir: dir } : {}), test: false, splitSeed: 0, log });
  return { set: splits.train, numClasses: 10 };
}

/** How a search's architectures become networks a proxy scores: the benchmark's network, or the child. */
export function proxyNetworkOf(config: SearchConfig, images: WarmUpImages | undefined): (arch: unknown) => ProxyNetwork {
  const problem = config.problem;
  if (problem.space === 'nas-bench-201') return (arch) => nb201ProxyNetwork(arch as Nb201Cell, { seed: config.seed });
  return (arch) =>
    childProxyNetwork(arch as CellPair, {
      channels: config.evaluator.kind === 'child' ? config.evaluator.channels : [4, 16, 16, 256, 256],
      numClasses: images?.numClasses ?? 10,
      inputShape: images ? [images.set.height, images.set.width, images.set.channels] : [32, 32, 3],
      hierarchical: problem.hierarchical,
      seed: config.seed,
    });
}

/** The scorer of a proxy spec (default: the warm-up's), on a minibatch of `images` (none needed by params, flops and synflow); the caller disposes its batch. */
export function proxyScorerOf(config: SearchConfig, images: WarmUpImages | undefined, spec = config.strategy.warmup.proxy): ProxyScorer {
  if (!images && proxiesNeedImages(spec)) throw new Error(`--proxy ${spec} scores networks on images; the search has none to give it`);
  const batch = images
    ? proxyBatchOf(images.set, images.numClasses, PROXY_BATCH, config.seed)
    : { images: tf.zeros([1, 32, 32, 3]) as tf.Tensor4D, labels: tf.zeros([1], 'int32') as tf.Tensor1D, numClasses: 10 };
  return new ProxyScorer(spec, batch);
}

export interface WarmUpPool {
  /** Each architecture drawn, its proxies' scores and its combined score (Scored.score). */
  pool: (Scored & { arch: unknown; scores: ProxyScores })[];
  /** Architectures some proxy could not score. */
  failures: number;
  seconds: number;
}

export async function warmUpPool(config: SearchConfig, space: SearchSpace, images: WarmUpImages | undefined, log: (line: string) => void): Promise<WarmUpPool> {
  const { count, proxy: spec } = config.strategy.warmup;
  const scorer = proxyScorerOf(config, images);
  const network = proxyNetworkOf(config, images);
  // Its own random stream: the strategy's proposals stay those of the same seed without --warmup.
  const rng = new Rng(config.seed * 2654435761 + 27);
  const started = performance.now();
  const drawn: { actions: number[]; arch: unknown; scores: ProxyScores }[] = [];
  let failures = 0;
  try {
    for (let i = 0; i < count; i++) {
      const actions = space.decisions.map((d) => rng.int(d.choices));
      const arch = space.decode(actions);
      const scored = await scorer.score(network(arch));
      if (scored.failures.length > 0) failures++;
      drawn.push({ actions, scores: scored.scores, arch: space.toJSON(arch) });
      if ((i + 1) % 100 === 0 || i + 1 === count) log(`warm-up: ${i + 1}/${count} architectures scored by ${spec}`);
    }
  } finally {
    tf.dispose([scorer.batch.images, scorer.batch.labels]);
  }
  const combined = combinedScores(
    drawn.map((d) => d.scores),
    scorer.names,
  );
  return { pool: drawn.map((d, i) => ({ ...d, score: combined[i] })), failures, seconds: (performance.now() - started) / 1000 };
}
