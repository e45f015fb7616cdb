// What a parallel search buys on this machine, with the real CLI on real CIFAR-10 images: the same
// search (fixed seed, random proposals, so every run trains the same children) with
//   - one worker, one thread                     (the baseline the issue measures against)
//   - one worker using every core                (what `nascent search` does by default)
//   - --parallel 2: two trainer processes, one thread each, no server
//   - --parallel 2 --redis: two `nascent worker --threads 1` processes on a redis-server
// and, at two workers, synchronous Hyperband against ASHA (child-epochs, wall time, best accuracy).
// Per run: children per hour over the span the children were being trained, and each worker's busy
// share between its first child's start and its last child's end (the rest is time the queue left
// it waiting: a result travelling back, the next child travelling out).
//
//   npm run bench:parallel [-- --data-dir ../shared/data/cifar10-subset --episodes 12 --hb-episodes 16
//       --train-limit 1000 --val-limit 400 --channels 4,8,8,16,16 --epochs 2 --seed 3 --only a,b,...]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, availableParallelism } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'nascent.mjs');
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const dataDir = resolve(arg('data-dir', join(ROOT, '..', 'shared', 'data', 'cifar10-subset')));
const episodes = arg('episodes', '12');
const hbEpisodes = arg('hb-episodes', '16');
const only = process.argv.includes('--only') ? arg('only', '').split(',') : undefined;
const outDir = resolve(arg('out', join(ROOT, '.tmp', 'bench-parallel')));
if (!existsSync(join(dataDir, 'cifar-10-batches-bin')))
  throw new Error(`${dataDir} has no cifar-10-batches-bin (see ../shared/data/cifar10-subset/README.md, or pass --data-dir)`);

const common = [
  'search',
  'cifar10',
  '--data-dir',
  dataDir,
  '--train-limit',
  arg('train-limit', '1000'),
  '--val-limit',
  arg('val-limit', '400'),
  '--channels',
  arg('channels', '4,8,8,16,16'),
  '--batch-size',
  '32',
  '--strategy',
  'random',
  '--seed',
  arg('seed', '3'),
  '--backend',
  'wasm',
];

interface Trial {
  key: string;
  accuracy: number | null;
  seconds: number;
  time: string;
  worker?: string;
  cached?: boolean;
  epochsTrained?: number;
}
interface Figures {
  name: string;
  children: number;
  childEpochs: number;
  spanS: number;
  perHour: number;
  busy: Record<string, number>;
  best: number;
  keys: string[];
}

function figuresOf(name: string, dir: string): Figures {
  const trials: Trial[] = readFileSync(join(dir, 'trials.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const trained = trials.filter((t) => !t.cached);
  // A child's training ends about when its trial is recorded and began `seconds` before that.
  const spans = trained.map((t) => ({
    worker: t.worker ?? 'in-process',
    end: Date.parse(t.time) / 1000,
    start: Date.parse(t.time) / 1000 - t.seconds,
    s: t.seconds,
  }));
  const start = Math.min(...spans.map((s) => s.start));
  const end = Math.max(...spans.map((s) => s.end));
  const busy: Record<string, number> = {};
  for (const w of new Set(spans.map((s) => s.worker))) {
    const mine = spans.filter((s) => s.worker === w);
    const from = Math.min(...mine.map((s) => s.start));
    const to = Math.max(...mine.map((s) => s.end));
    busy[w] = mine.reduce((a, s) => a + s.s, 0) / (to - from);
  }
  return {
    name,
    children: trained.length,
    childEpochs: trained.reduce((a, t) => a + (t.epochsTrained ?? 0), 0),
    spanS: end - start,
    perHour: (trained.length / (end - start)) * 3600,
    busy,
    best: Math.max(...trials.map((t) => t.accuracy ?? 0)),
    keys: trials.map((t) => t.key).sort(),
  };
}

function search(name: string, flags: string[], env: NodeJS.ProcessEnv = {}): Figures {
  const out = join(outDir, name);
  rmSync(out, { recursive: true, force: true });
  const started = Date.now();
  const r = spawnSync(process.execPath, [BIN, ...common, ...flags, '--out', out], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${name}: nascent search exited ${r.status}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  const f = figuresOf(name, out);
  console.error(`${name}: ${f.children} children in ${f.spanS.toFixed(0)} s (process ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  return f;
}

const freePort = () =>
  new Promise<number>((done) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });

async function overRedis(name: string, flags: string[]): Promise<Figures | undefined> {
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    console.error(`${name}: skipped (no redis-server: apt-get install redis-server)`);
    return undefined;
  }
  const port = await freePort();
  const dir = join(outDir, `redis-${port}`);
  mkdirSync(dir, { recursive: true });
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const procs: ChildProcess[] = [server];
  try {
    await new Promise((r) => setTimeout(r, 500));
    const ready: Promise<void>[] = [];
    for (const n of [1, 2]) {
      const w = spawn(process.execPath, [BIN, 'worker', '--redis', url, '--threads', '1', '--backend', 'wasm', '--name', `worker-${n}`], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      procs.push(w);
      ready.push(
        new Promise((done) => {
          let out = '';
          w.stdout!.on('data', (d) => {
            out += String(d);
            if (out.includes('waiting for jobs')) done();
          });
        }),
      );
    }
    await Promise.all(ready);
    return search(name, [...flags, '--redis', url]);
  } finally {
    for (const p of procs.reverse()) p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

const want = (name: string) => only === undefined || only.includes(name);
const runs: Figures[] = [];
const full = ['--episodes', episodes, '--epochs', arg('epochs', '2')];
if (want('one-thread')) runs.push(search('one-thread', full, { NASCENT_WASM_THREADS: '1' }));
if (want('all-cores')) runs.push(search('all-cores', full, { NASCENT_WASM_THREADS: String(availableParallelism()) }));
if (want('local-2')) runs.push(search('local-2', [...full, '--parallel', '2'], { NASCENT_WASM_THREADS: '1' }));
if (want('redis-2')) {
  const r = await overRedis('redis-2', [...full, '--parallel', '2']);
  if (r) runs.push(r);
}
const hb = ['--episodes', hbEpisodes, '--fidelity', 'hyperband', '--max-epochs', '4', '--factor', '2', '--parallel', '2'];
if (want('hyperband-2')) runs.push(search('hyperband-2', [...hb, '--synchronous'], { NASCENT_WASM_THREADS: '1' }));
if (want('asha-2')) runs.push(search('asha-2', hb, { NASCENT_WASM_THREADS: '1' }));

const base = runs.find((r) => r.name === 'one-thread');
console.log(`\n${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, node ${process.version}, wasm backend`);
console.log('\n| run | children | child-epochs | span (s) | children/hour | vs one thread | busy share per worker | best val acc |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of runs) {
  const busy = Object.entries(r.busy)
    .map(([w, b]) => `${w} ${(100 * b).toFixed(1)}%`)
    .join(', ');
  const ratio = base && !r.name.includes('hyperband') && !r.name.includes('asha') ? `${(r.perHour / base.perHour).toFixed(2)}x` : '';
  console.log(`| ${r.name} | ${r.children} | ${r.childEpochs} | ${r.spanS.toFixed(0)} | ${r.perHour.toFixed(0)} | ${ratio} | ${busy} | ${r.best.toFixed(4)} |`);
}
const same = runs.filter((r) => !r.name.includes('hyperband') && !r.name.includes('asha'));
if (same.length > 1)
  console.log(`\nsame architectures in every fixed-budget run: ${same.every((r) => JSON.stringify(r.keys) === JSON.stringify(same[0].keys)) ? 'yes' : 'NO'}`);
