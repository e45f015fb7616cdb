// --warmup N --proxy NAME: before a search, N architectures drawn uniformly from its space are
// scored by a zero-cost proxy on one minibatch of real training images (no training), and the
// strategy starts from the best-scored (src/strategies/warm-start.ts). The pool is written to
// <run>/warmup.jsonl. A network the proxy cannot score (NaN, infinite) ranks last and is counted.
import * as tf from '@tensorflow/tfjs-core';
import type { SearchConfig } from '../config/schema.js';
import { loadDataset } from '../data/datasets.js';
import type { ImageSet } from '../data/types.js';
import { childProxyNetwork, nb201ProxyNetwork, ProxyFailure, proxyByName, type ProxyBatch } from '../proxies/index.js';
import type { CellPair } from '../spaces/nasnet/types.js';
import type { Nb201Cell } from '../spaces/nas-bench-201/space.js';
import type { SearchSpace } from '../spaces/types.js';
import type { Scored } from '../strategies/warm-start.js';
import { Rng } from '../util/random.js';

/** Proxies that read no images. */
const SHAPE_ONLY = new Set(['params', 'flops']);
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

/** The images a table search's proxy scores on: CIFAR-10's training images (the table's data set). */
export async function tableProxyImages(config: SearchConfig, log: (line: string) => void): Promise<WarmUpImages> {
  const dir = config.strategy.warmup.dataDir;
  const splits = await loadDataset('cifar10', { ...(dir ? { dataDir: dir } : {}), test: false, splitSeed: 0, log });
  return { set: splits.train, numClasses: 10 };
}

export async function warmUpPool(
  config: SearchConfig,
  space: SearchSpace,
  images: WarmUpImages | undefined,
  log: (line: string) => void,
): Promise<{ pool: (Scored & { arch: unknown })[]; failures: number; seconds: number }> {
  const { count, proxy: name } = config.strategy.warmup;
  const proxy = proxyByName(name);
  if (!images && !SHAPE_ONLY.has(name)) throw new Error(`--proxy ${name} scores networks on images; the search has none to give it`);
  // Its own random stream: the strategy's proposals stay those of the same seed without --warmup.
  const rng = new Rng(config.seed * 2654435761 + 27);
  const batch = images
    ? proxyBatchOf(images.set, images.numClasses, PROXY_BATCH, config.seed)
    : { images: tf.zeros([1, 32, 32, 3]) as tf.Tensor4D, labels: tf.zeros([1], 'int32') as tf.Tensor1D, numClasses: 10 };
  const started = performance.now();
  const pool: (Scored & { arch: unknown })[] = [];
  let failures = 0;
  try {
    for (let i = 0; i < count; i++) {
      const actions = space.decisions.map((d) => rng.int(d.choices));
      const arch = space.decode(actions);
      const net =
        config.problem.space === 'nas-bench-201'
          ? nb201ProxyNetwork(arch as Nb201Cell, { seed: config.seed })
          : childProxyNetwork(arch as CellPair, {
              channels: config.evaluator.kind === 'child' ? config.evaluator.channels : [4, 16, 16, 256, 256],
              numClasses: images?.numClasses ?? 10,
              inputShape: images ? [images.set.height, images.set.width, images.set.channels] : [32, 32, 3],
              hierarchical: config.problem.hierarchical,
              seed: config.seed,
            });
      let score: number;
      try {
        score = await proxy.score(net, batch);
      } catch (err) {
        if (!(err instanceof ProxyFailure)) throw err;
        failures++;
        score = Number.NEGATIVE_INFINITY;
      }
      pool.push({ actions, score, arch: space.toJSON(arch) });
      if ((i + 1) % 100 === 0 || i + 1 === count) log(`warm-up: ${i + 1}/${count} architectures scored by ${name}`);
    }
  } finally {
    tf.dispose([batch.images, batch.labels]);
  }
  return { pool, failures, seconds: (performance.now() - started) / 1000 };
}
