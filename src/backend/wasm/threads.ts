// Multi-threaded XNNPACK for the wasm backend in Node.
//
// tfjs-backend-wasm 4.22 ships a threaded SIMD build but never uses it in Node: its
// WASM_HAS_MULTITHREAD_SUPPORT flag is hard-wired to false there (tfjs issue #3830), its loader
// hands the pthread workers a Blob URL that Node's worker_threads cannot open, and the C++ side caps
// the pool at (logical cores / 2), i.e. 1 thread on a 2-core machine. The emscripten glue itself
// supports worker_threads, so we load that build ourselves: the worker script goes to a temp file,
// the core count is reported doubled while the module starts, and the 'wasm' backend factory is
// replaced by one that wraps the threaded module in the package's own BackendWasm.

import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

type WasmPackage = typeof import('@tensorflow/tfjs-backend-wasm');

const require = createRequire(import.meta.url);

const THREADED_JS = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';
const THREADED_WORKER = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  HEAPU8: Uint8Array;
  wasmMemory: WebAssembly.Memory;
  tfjs?: unknown;
  PThread?: { terminateAllThreads(): void; runningWorkers?: Array<{ unref?(): void }> };
}

let workerFile: string | undefined;

function writeWorkerScript(): string {
  if (workerFile) return workerFile;
  const { wasmWorkerContents } = require(THREADED_WORKER) as { wasmWorkerContents: string };
  const file = path.join(os.tmpdir(), `nascent-tfjs-wasm-worker-${process.pid}.cjs`);
  // The package keeps the worker in a template literal; its "\n" escapes became real newlines
  // inside string literals and must be escaped again (as the package does for its Blob).
  fs.writeFileSync(file, wasmWorkerContents.replace(/\n/g, '\\n'));
  process.once('exit', () => fs.rmSync(file, { force: true }));
  workerFile = file;
  return file;
}

/** Starts the threaded SIMD build with a pool of `threads` XNNPACK threads. */
async function startThreadedModule(threads: number): Promise<EmscriptenModule> {
  const jsPath = require.resolve(THREADED_JS);
  const factory = require(jsPath) as (config: object) => Promise<EmscriptenModule>;
  const worker = writeWorkerScript();
  const nodeOs = require('node:os') as { cpus: () => os.CpuInfo[] };
  const realCpus = nodeOs.cpus;
  // The C++ pool size is min(requested, logical cores / 2); report enough cores for `threads`.
  nodeOs.cpus = () => {
    const cpus = realCpus();
    return Array.from({ length: Math.max(cpus.length, 2 * threads) }, (_, i) => cpus[i % cpus.length]!);
  };
  let mod: EmscriptenModule;
  try {
    mod = await factory({
      locateFile: (file: string) => (file.endsWith('.worker.js') ? worker : path.join(path.dirname(jsPath), file)),
      mainScriptUrlOrBlob: jsPath,
    });
  } finally {
    nodeOs.cpus = realCpus;
  }
  // BackendWasm reads HEAPU8 directly; keep it pointing at the current buffer if memory grows.
  const memory = mod.wasmMemory;
  let view = mod.HEAPU8;
  Object.defineProperty(mod, 'HEAPU8', {
    configurable: true,
    get: () => {
      if (view.byteLength !== memory.buffer.byteLength) view = new Uint8Array(memory.buffer);
      return view;
    },
    set: (v: Uint8Array) => {
      view = v;
    },
  });
  mod.tfjs = {
    init: mod.cwrap('init', null, []),
    initWithThreadsCount: mod.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: mod.cwrap('get_threads_count', 'number', []),
    registerTensor: mod.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: mod.cwrap('dispose_data', null, ['number']),
    dispose: mod.cwrap('dispose', null, []),
  };
  return mod;
}

function threadedBuildUsable(): string | undefined {
  if (typeof SharedArrayBuffer === 'undefined') return 'SharedArrayBuffer is unavailable';
  try {
    require.resolve(THREADED_JS);
  } catch {
    return 'the threaded SIMD build is missing from @tensorflow/tfjs-backend-wasm';
  }
  return undefined;
}

function backendInitialized(name: string): boolean {
  const registry = (tf.engine() as unknown as { registry: Record<string, unknown> }).registry;
  return name in registry;
}

export interface WasmThreadsResult {
  threads: number;
  /** Why the single-threaded build is used, when it is. */
  reason?: string;
}

/**
 * Makes the 'wasm' backend start the threaded SIMD build with `threads` XNNPACK threads (default:
 * all cores). Must run before the wasm backend is initialised (before setBackend('wasm')); later,
 * or with threads <= 1, it changes nothing. If the threaded module fails to start, the backend
 * falls back to the package's own single-threaded loader.
 */
export function useThreadedWasm(wasm: WasmPackage, threads = os.availableParallelism()): WasmThreadsResult {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`wasm threads must be a positive integer, got ${threads}`);
  if (threads === 1) return { threads: 1, reason: '1 thread requested' };
  if (backendInitialized('wasm')) return { threads: 1, reason: 'the wasm backend was already initialised' };
  const unusable = threadedBuildUsable();
  if (unusable) return { threads: 1, reason: unusable };
  const factories = (tf.engine() as unknown as { registryFactory: Record<string, { factory: () => unknown; priority: number }> }).registryFactory;
  const previous = factories.wasm;
  if (!previous) throw new Error("the 'wasm' backend is not registered: import '@tensorflow/tfjs-backend-wasm' first");
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      try {
        wasm.setThreadsCount(threads);
        const mod = await startThreadedModule(threads);
        const backend = new wasm.BackendWasm(mod as unknown as ConstructorParameters<WasmPackage['BackendWasm']>[0]);
        // The constructor started XNNPACK's pool threads, which wait for work forever; emscripten
        // ref()s each running pthread's worker, which would keep a program that uses nascent as a
        // library from ever exiting (the CLI exits explicitly). They need not keep it alive.
        for (const w of mod.PThread?.runningWorkers ?? []) w.unref?.();
        return backend;
      } catch (err) {
        wasm.setThreadsCount(1);
        process.emitWarning(`threaded wasm build failed to start (${(err as Error).message}); using one thread`);
        return (await previous.factory()) as tf.KernelBackend;
      }
    },
    previous.priority,
  );
  return { threads };
}
