// Child training throughput against the PyTorch peer, measured in the same run on the same machine:
// the reference child (cells-example.json) trained for --steps steps of batch --batch on nascent's
// default backend, then ../shared/reference/torch_child.py with the same cells, channels and batch.
//
//   npm run bench:child [-- --steps 5 --batch 128 --backend auto --peer PATH/torch_child.py]
//                       [--peer-device cpu|cuda] [--python PYTHON3] [--schedules 16,32,32,64,64/4,16,16,256,256]
//                       [--skip-peer] [--skip-episode]
//
// --peer-device cuda runs the peer on the GPU (bench/gpu-check.sh does, where torch sees one);
// --schedules picks the channel schedules, '/' between them (a software WebGPU adapter is slow).
// --skip-peer and --skip-episode leave out the PyTorch rows and the episode (for comparing
// builds of our side quickly; the ratio is then unavailable).
// The last line is the default backend's ratio at channels 16,32,32,64,64: `ratio_to_pytorch X`.
// One backend per run (a tfjs process holds one); run again with --backend to measure another.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { describeBackend, prepareBackend, type BackendChoice } from '../src/backend/index.js';
import { buildChild, countParams } from '../src/evaluators/child/build.js';
import { trainStep } from '../src/evaluators/child/train.js';
import { ChildManager } from '../src/evaluators/child/manager.js';
import { Rng } from '../src/util/random.js';
import type { ImageSet } from '../src/data/types.js';
import { validateCells } from '../src/spaces/nasnet/validate.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
// 10 steps, the peer's own default: 5 left run-to-run spread of ±15% on this machine.
const steps = Number(arg('steps', '10'));
const batch = Number(arg('batch', '128'));
const peer = resolve(arg('peer', join(ROOT, '..', 'shared', 'reference', 'torch_child.py')));
const cellsPath = resolve(arg('cells', join(dirname(peer), 'cells-example.json')));
const schedules = arg('schedules', '16,32,32,64,64/4,16,16,256,256').split('/');
const peerDevice = arg('peer-device', 'cpu');
const skipPeer = process.argv.includes('--skip-peer');
const skipEpisode = process.argv.includes('--skip-episode');

const backend = await prepareBackend(arg('backend', 'auto') as BackendChoice);
const cells = validateCells(
  JSON.parse(readFileSync(existsSync(cellsPath) ? cellsPath : join(ROOT, 'test/evaluators/child/fixtures/cells-example.json'), 'utf8')),
);
const microBatch = backend.name === 'wasm' ? 64 : 0;

// Every read is asynchronous: webgpu cannot read synchronously under Node.
async function measureTfjs(channels: number[]): Promise<{ imgs: number; params: number }> {
  const model = buildChild(cells, { channels, seed: 1 });
  const optimizer = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
  const xs = tf.randomUniform([batch, 32, 32, 3]) as tf.Tensor4D;
  const ys = tf.tidy(() => tf.cast(tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32') as tf.Tensor1D, 10), 'float32')) as tf.Tensor2D;
  const step = async () => {
    const r = trainStep(model, optimizer, { xs, ys: ys as tf.Tensor2D }, microBatch);
    await r.loss.data();
    tf.dispose([r.loss, r.correct]);
  };
  await step(); // warm-up: kernels (and shaders) compiled, weights and Adam slots allocated
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await step();
  const seconds = (performance.now() - t0) / 1000;
  const params = countParams(model);
  tf.dispose([xs, ys]);
  optimizer.dispose();
  model.dispose();
  return { imgs: (steps * batch) / seconds, params };
}

function measureTorch(channels: string): { imgs?: number; peakMiB?: number; note?: string } {
  if (!existsSync(peer)) return { note: `peer script not found at ${peer} (pass --peer PATH)` };
  const py = arg('python', existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
  const code = `import resource,runpy,sys; sys.argv=${JSON.stringify([peer, cellsPath, '--channels', channels, '--steps', String(steps), '--batch-size', String(batch), '--device', peerDevice])}; runpy.run_path(sys.argv[0], run_name='__main__'); print('peak_rss_kib', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)`;
  const r = spawnSync(py, ['-c', code], { encoding: 'utf8', timeout: 600_000 });
  if (/No module named 'torch'/.test(r.stderr ?? '')) return { note: 'PyTorch is not installed: apt-get install -y python3-torch' };
  const imgs = /train img\/s ([\d.]+)/.exec(r.stdout ?? '')?.[1];
  const peak = /peak_rss_kib (\d+)/.exec(r.stdout ?? '')?.[1];
  if (!imgs) return { note: `peer failed: ${(r.stderr || r.stdout || '').trim().split('\n').pop()}` };
  return { imgs: Number(imgs), peakMiB: peak ? Number(peak) / 1024 : undefined };
}

for (const line of describeBackend(backend).slice(1)) console.log(line);
console.log(`backend ${backend.name}: ${backend.detail}; ${steps} steps of batch ${batch}${microBatch ? ` (micro-batches of ${microBatch})` : ''}`);
console.log('channels           backend   img/s   ratio  peak RSS MiB   params');
let headline: number | undefined;
for (const ch of schedules) {
  const t = await measureTfjs(ch.split(',').map(Number));
  const rssMiB = process.resourceUsage().maxRSS / 1024;
  const p = skipPeer ? { imgs: undefined, peakMiB: undefined, note: 'skipped (--skip-peer)' } : measureTorch(ch);
  const ratio = p.imgs ? t.imgs / p.imgs : undefined;
  if (ch === schedules[0]) headline = ratio;
  const row = (name: string, imgs: number | undefined, r: string, mem: number | undefined, params: string) =>
    console.log(
      `${ch.padEnd(18)} ${name.padEnd(8)} ${imgs === undefined ? '   -  ' : imgs.toFixed(1).padStart(6)}  ${r.padStart(5)}  ${mem === undefined ? '     -' : mem.toFixed(0).padStart(12)}   ${params}`,
    );
  row(backend.name, t.imgs, ratio === undefined ? '-' : ratio.toFixed(2), rssMiB, String(t.params));
  row(peerDevice === 'cpu' ? 'pytorch' : `pytorch-${peerDevice}`, p.imgs, p.imgs ? '1.00' : '-', p.peakMiB, p.note ?? '');
}
console.log('(peak RSS of this process is cumulative over the rows; the peer runs in its own process)');

// A whole low-fidelity episode through the ChildManager a search uses: batching from uint8 images,
// build, one epoch, BN recalibration, validation, dispose. Time outside the training steps shows here.
function randomSet(count: number, rng: Rng): ImageSet {
  const images = new Uint8Array(count * 32 * 32 * 3).map(() => rng.nextUint32() & 0xff);
  const labels = new Uint8Array(count).map(() => rng.int(10));
  return { images, labels, count, height: 32, width: 32, channels: 3 };
}
if (!skipEpisode) {
  const rng = new Rng(1);
  const trainN = Number(arg('episode-train', '2000'));
  const valN = Number(arg('episode-val', '1000'));
  const channels = schedules[0].split(',').map(Number);
  const manager = new ChildManager({
    data: { train: randomSet(trainN, rng), val: randomSet(valN, rng) },
    channels,
    epochs: 1,
    batchSize: batch,
    seed: 1,
    microBatch,
  });
  let stepMs = 0;
  let last = performance.now();
  const result = await manager.train(cells, {
    onEpochStart: () => (last = performance.now()),
    onBatch: () => {
      const now = performance.now();
      stepMs += now - last;
      last = now;
    },
  });
  const steps = stepMs / 1000;
  console.log(
    `episode at ${schedules[0]} (${trainN} train + ${valN} val images, 1 epoch): ${result.seconds.toFixed(1)} s in all, ` +
      `${steps.toFixed(1)} s in training batches (${(trainN / steps).toFixed(1)} img/s incl. batching), ` +
      `${(result.seconds - steps).toFixed(1)} s elsewhere (build, BN recalibration, validation, dispose)`,
  );
}
console.log(headline === undefined ? 'ratio_to_pytorch unavailable' : `ratio_to_pytorch ${headline.toFixed(2)}`);
process.exit(0);
