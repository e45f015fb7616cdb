// Times every proxy on a NASNet child on wasm: npx tsx bench/proxy-timings.ts [batch] [channels...]
// (not a test: vitest runs *.test.ts only).
import * as tf from '@tensorflow/tfjs-core';
import { prepareBackend } from '../src/backend/index.js';
import { PROXY_NAMES, proxyByName } from '../src/proxies/index.js';
import { childProxyNetwork } from '../src/proxies/networks.js';
import { sampleCells } from '../src/spaces/nasnet/sample.js';
import { Rng } from '../src/util/random.js';

const batchSize = Number(process.argv[2] ?? 64);
const channels = process.argv.length > 3 ? process.argv.slice(3).map(Number) : [4, 16, 16, 256, 256];
const backend = await prepareBackend('wasm');
console.log(backend.detail, `batch ${batchSize}, channels [${channels}]`);
const cells = sampleCells(new Rng(3));
const net = childProxyNetwork(cells, { channels, seed: 1 });
const rng = new Rng(5);
const images = tf.tensor4d(
  Float32Array.from({ length: batchSize * 32 * 32 * 3 }, () => rng.nextUint32() / 2 ** 32),
  [batchSize, 32, 32, 3],
);
const labels = tf.tensor1d(
  Int32Array.from({ length: batchSize }, (_, i) => i % 10),
  'int32',
);
const batch = { images, labels, numClasses: 10 };
// A first pass grows wasm's heap and warms every kernel; the second is timed.
for (const name of PROXY_NAMES) await proxyByName(name).score(net, batch);
for (const name of PROXY_NAMES) {
  const before = tf.memory().numTensors;
  const t0 = performance.now();
  let value: number | string;
  try {
    value = await proxyByName(name).score(net, batch);
  } catch (e) {
    value = String(e);
  }
  const ms = performance.now() - t0;
  console.log(`${name.padEnd(10)} ${String(value).padEnd(24)} ${(ms / 1000).toFixed(2)} s  leaked ${tf.memory().numTensors - before}`);
}
