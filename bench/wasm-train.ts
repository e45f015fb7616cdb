// Training throughput of a NASNet-style child on the wasm backend (with nascent's gradient
// kernels) against the pure-JS cpu backend.
//
//   npx tsx bench/wasm-train.ts [--backends wasm,cpu] [--batches 32,128] [--cpu-batches 8]
//                               [--steps 3] [--micro 64] [--bn tfl,fused] [--threads N]
//                               [--channels 16,32,32,64,64] [--model child|mini] [--profile [--detail] [--wall]]
//
// --model child uses src/evaluators/child/build.ts on the reference cells (the project's real network);
// --model mini is a self-contained smaller net with the same op set (separable 3/5/7, 1x1 and
// strided 3x3 convs, BN, pools, add/concat). --profile prints the kernels that take the time
// (process CPU time, so other load on the machine does not inflate it; --wall: elapsed time, which
// shows what multi-threaded kernels gain).
//
// --bn fused builds the model with FusedBatchNormalization (src/evaluators/child/batch-norm.ts)
// wherever it would use tfl.layers.batchNormalization; the default runs wasm both ways. The cpu
// backend (~0.1 images/s on the reference child) runs one step of each --cpu-batches size.
//
// A wasm heap stops at 4 GiB, and tfjs keeps every forward intermediate and every gradient of a
// step alive until the step ends: the reference child needs ~2 GiB per 64 images, so on wasm a
// batch larger than --micro (default 64) is trained as micro-batches whose gradients are summed
// before one Adam update (BatchNorm then normalises each micro-batch). --micro 0 disables it.

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import * as fs from 'node:fs';
import { registerWasmTrainingKernels, useThreadedWasm } from '../src/backend/wasm/index.js';
import { fusedBatchNormalization } from '../src/evaluators/child/batch-norm.js';
import { cpuMs, KernelProfiler } from './wasm-profile.js';

tf.env().set('PROD', true);

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);
const list = (s: string) =>
  s
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

type ST = tfl.SymbolicTensor;

/** A small net with every op of the child: enough to compare backends quickly. */
function miniModel(c: number): tfl.LayersModel {
  const relu = (x: ST) => tfl.layers.reLU().apply(x) as ST;
  const bn = (x: ST) => tfl.layers.batchNormalization().apply(x) as ST;
  const conv = (x: ST, f: number, k: number, s: number) => {
    const input = s > 1 && k > 1 ? (tfl.layers.zeroPadding2d({ padding: k >> 1 }).apply(x) as ST) : x;
    return tfl.layers.conv2d({ filters: f, kernelSize: k, strides: s, padding: s > 1 ? 'valid' : 'same', useBias: false }).apply(input) as ST;
  };
  const rcb = (x: ST, f: number, k: number, s: number) => bn(conv(relu(x), f, k, s));
  const sep = (x: ST, k: number, f: number) =>
    bn(conv(tfl.layers.depthwiseConv2d({ kernelSize: k, padding: 'same', useBias: false }).apply(relu(x)) as ST, f, 1, 1));
  const avg = (x: ST) => tfl.layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same' }).apply(x) as ST;
  const max = (x: ST) => tfl.layers.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same' }).apply(x) as ST;
  const add = (a: ST, b: ST) => tfl.layers.add().apply([a, b]) as ST;
  const cat = (xs: ST[]) => tfl.layers.concatenate().apply(xs) as ST;
  const cell = (h0: ST, h1: ST, f: number): ST => {
    const a = rcb(h0, f, 1, 1);
    const b = rcb(h1, f, 1, 1);
    const o1 = add(sep(a, 3, f), b);
    const o2 = add(sep(b, 5, f), avg(b));
    const o3 = rcb(cat([max(a), sep(a, 3, f)]), f, 1, 1);
    const o4 = add(sep(b, 7, f), a);
    return rcb(cat([o1, o2, o3, o4]), f, 1, 1);
  };
  const image = tfl.input({ shape: [32, 32, 3] });
  const stem = bn(conv(image, c, 3, 1));
  const c0 = cell(stem, stem, c);
  const r = rcb(c0, 2 * c, 3, 2);
  const c1 = cell(r, r, 2 * c);
  const pooled = tfl.layers.globalAveragePooling2d({}).apply(c1) as ST;
  const out = tfl.layers.dense({ units: 10, activation: 'softmax' }).apply(pooled) as ST;
  return tfl.model({ inputs: image, outputs: out });
}

async function childModel(channels: number[]): Promise<tfl.LayersModel> {
  const { buildChild } = await import('../src/evaluators/child/build.js');
  const cells = JSON.parse(fs.readFileSync('/work/shared/reference/cells-example.json', 'utf8'));
  return buildChild(cells, { channels, seed: 1 });
}

/** Builds with FusedBatchNormalization standing in for tfl.layers.batchNormalization. */
async function withFusedBatchNorm<T>(build: () => Promise<T>): Promise<T> {
  const layers = tfl.layers as { batchNormalization: (args?: object) => tfl.layers.Layer };
  const plain = layers.batchNormalization;
  layers.batchNormalization = (args?: object) => fusedBatchNormalization(args);
  try {
    return await build();
  } finally {
    layers.batchNormalization = plain;
  }
}

interface Throughput {
  /** images per wall-clock second */
  wall: number;
  /** images per second of this process's CPU time: robust to other load on a shared machine */
  cpu: number;
}

/** One Adam step over `xs` as micro-batches of `micro` images with summed gradients. */
async function accumulatedStep(model: tfl.LayersModel, optimizer: tf.Optimizer, xs: tf.Tensor, ys: tf.Tensor, micro: number): Promise<number> {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const n = xs.shape[0]!;
  let total: tf.NamedTensorMap | undefined;
  let loss = 0;
  for (let start = 0; start < n; start += micro) {
    const size = Math.min(micro, n - start);
    const { value, grads } = tf.variableGrads(() => {
      const x = tf.slice(xs, start, size);
      const y = tf.slice(ys, start, size);
      const probs = model.apply(x, { training: true }) as tf.Tensor;
      const ce = tf.neg(tf.sum(tf.mul(y, tf.log(tf.clipByValue(probs, 1e-7, 1 - 1e-7))), -1));
      return tf.mul(tf.sum(ce), 1 / n) as tf.Scalar;
    }, vars);
    loss += (await value.data())[0]!;
    value.dispose();
    if (!total) {
      total = grads;
    } else {
      for (const name of Object.keys(grads)) {
        const sum = tf.add(total[name]!, grads[name]!);
        tf.dispose([total[name]!, grads[name]!]);
        total[name] = sum;
      }
    }
  }
  optimizer.applyGradients(total!);
  tf.dispose(Object.values(total!));
  return loss;
}

async function measure(backend: string, batch: number, steps: number, micro: number, fusedBn: boolean, profiler?: KernelProfiler): Promise<Throughput> {
  await tf.setBackend(backend);
  const kind = arg('model', 'child');
  const channels = list(arg('channels', '16,32,32,64,64')).map(Number);
  const make = async () => (kind === 'mini' ? miniModel(channels[0]!) : await childModel(channels));
  const model = fusedBn ? await withFusedBatchNorm(make) : await make();
  const optimizer = tf.train.adam(1e-3);
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const xs = tf.randomUniform([batch, 32, 32, 3], 0, 1, 'float32', 7);
  const ys = tf.tidy(() => tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 8), 10));
  const step = async () => {
    if (micro > 0 && batch > micro) await accumulatedStep(model, optimizer, xs, ys, micro);
    else await model.trainOnBatch(xs, ys);
  };
  // Warm-up (operator creation, heap growth); the cpu backend is too slow to spend a step on it.
  if (backend !== 'cpu') await step();
  if (profiler) {
    profiler.reset();
    profiler.enabled = true;
  }
  const t0 = performance.now();
  const c0 = cpuMs();
  for (let i = 0; i < steps; i++) await step();
  const seconds = (performance.now() - t0) / 1000;
  const cpuSeconds = (cpuMs() - c0) / 1000;
  if (profiler) profiler.enabled = false;
  tf.dispose([xs, ys]);
  optimizer.dispose();
  model.dispose();
  return { wall: (batch * steps) / seconds, cpu: (batch * steps) / cpuSeconds };
}

function heapBytes(): number {
  const w = tf.findBackend('wasm') as unknown as { wasm?: { HEAPU8: Uint8Array } } | undefined;
  return w?.wasm?.HEAPU8.byteLength ?? 0;
}

interface Variant {
  backend: string;
  fusedBn: boolean;
  batches: number[];
}

function printProfile(profiler: KernelProfiler, steps: number): void {
  const total = profiler.totalMs();
  console.log(`  kernel time ${(total / steps).toFixed(0)} ms/step; top kernels (ms/step, calls/step):`);
  for (const s of profiler.top(25)) {
    console.log(
      `  ${s.name.padEnd(36)} ${(s.ms / steps).toFixed(1).padStart(8)} ${(s.calls / steps).toFixed(0).padStart(6)}  ${((100 * s.ms) / total).toFixed(1)}%`,
    );
  }
  if (profiler.detail) {
    console.log('  by input shapes:');
    for (const s of profiler.topDetailed(40)) {
      console.log(`  ${s.name.slice(0, 90).padEnd(90)} ${(s.ms / steps).toFixed(1).padStart(8)} ${(s.calls / steps).toFixed(0).padStart(6)}`);
    }
  }
  profiler.reset();
}

async function main(): Promise<void> {
  const backends = list(arg('backends', 'wasm,cpu'));
  const batches = list(arg('batches', '32,128')).map(Number);
  // The cpu backend trains the reference child at ~0.1 images/s: one step of a small batch.
  const cpuBatches = list(arg('cpu-batches', '8')).map(Number);
  const steps = Number(arg('steps', '3'));
  const threads = Number(arg('threads', '1'));
  const micro = Number(arg('micro', '64'));
  const bn = list(arg('bn', flag('fused-bn') ? 'fused' : 'tfl,fused'));
  if (threads > 1) console.log('threads:', useThreadedWasm(wasm, threads));
  registerWasmTrainingKernels();
  const profiler = flag('profile') ? new KernelProfiler('wasm', flag('wall') ? 'wall' : 'cpu') : undefined;
  profiler?.install();
  if (profiler && flag('detail')) profiler.detail = true;
  const variants: Variant[] = backends.flatMap((backend) =>
    backend === 'wasm' ? bn.map((b) => ({ backend, fusedBn: b === 'fused', batches })) : [{ backend, fusedBn: false, batches: cpuBatches }],
  );
  for (const { backend, fusedBn, batches: sizes } of variants) {
    for (const batch of sizes) {
      const n = backend === 'cpu' ? 1 : steps;
      const m = backend === 'wasm' ? micro : 0;
      const label =
        `${backend} model=${arg('model', 'child')} bn=${fusedBn ? 'fused' : 'tfjs-layers'} batch=${batch}` +
        `${m > 0 && batch > m ? ` (micro-batches of ${m})` : ''} steps=${n}`;
      let ips: Throughput;
      try {
        ips = await measure(backend, batch, n, m, fusedBn, backend === 'wasm' ? profiler : undefined);
      } catch (err) {
        console.log(`${label}: failed: ${(err as Error).message}`);
        break; // a failed wasm step can leave the heap in an unknown state
      }
      const extra = backend === 'wasm' ? ` threads=${wasm.getThreadsCount()} heap=${(heapBytes() / 2 ** 30).toFixed(2)} GiB` : '';
      console.log(`${label}${extra}: ${ips.wall.toFixed(1)} images/s wall, ${ips.cpu.toFixed(1)} images/cpu-s`);
      if (profiler && backend === 'wasm') printProfile(profiler, n);
    }
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error('bench failed:', String((err as Error)?.stack ?? err).slice(0, 2000));
    process.exit(1);
  },
);
