// Access to the internals of the tfjs wasm backend that our kernels need: tensor memory offsets,
// output allocation, the WebAssembly.Memory, and the backend's own kernels (called directly, so
// intermediates stay TensorInfos that we dispose ourselves instead of engine-tracked tensors).

import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { simdKernelsFor, simdWorkersFor, type Kernels } from './simd/kernels.js';
import type { KernelWorkers } from './simd/workers.js';

export type { BackendWasm };
export type Info = tf.TensorInfo;
export type NamedAttrs = Record<string, unknown>;

interface EmscriptenHeap {
  HEAPU8: Uint8Array;
  wasmMemory?: WebAssembly.Memory;
  asm?: { memory?: WebAssembly.Memory; malloc?: (bytes: number) => number };
  _malloc(bytes: number): number;
  _free(ptr: number): void;
}

function heap(backend: BackendWasm): EmscriptenHeap {
  return backend.wasm as unknown as EmscriptenHeap;
}

/** Byte offset of a tensor's data in the wasm heap. */
export function offsetOf(backend: BackendWasm, t: Info): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset;
}

/** Size of XNNPACK's thread pool in this backend instance (1 unless the threaded build runs). */
export function xnnpackThreads(backend: BackendWasm): number {
  const tfjs = (backend.wasm as unknown as { tfjs?: { getThreadsCount?: () => number } }).tfjs;
  return tfjs?.getThreadsCount?.() ?? 1;
}

export function memoryOf(backend: BackendWasm): WebAssembly.Memory {
  const h = heap(backend);
  const memory = h.wasmMemory ?? h.asm?.memory;
  if (!memory) throw new Error('wasm training kernels: cannot find the WebAssembly.Memory of the wasm backend');
  return memory;
}

export function simd(backend: BackendWasm): Kernels {
  guardHeap(backend);
  return simdKernelsFor(memoryOf(backend));
}

/**
 * Worker threads for splitting a SIMD kernel call, one fewer than XNNPACK's threads; undefined
 * with one thread (or a heap that is not shared, which workers could not see).
 */
export function simdWorkers(backend: BackendWasm): KernelWorkers | undefined {
  const threads = xnnpackThreads(backend);
  const memory = memoryOf(backend);
  if (threads <= 1 || typeof SharedArrayBuffer === 'undefined' || !(memory.buffer instanceof SharedArrayBuffer)) return undefined;
  return simdWorkersFor(memory, threads - 1);
}

/** Thrown when the wasm heap (at most 4 GiB) cannot hold a new tensor. */
export class WasmHeapExhaustedError extends Error {
  constructor(bytes: number, heapBytes: number) {
    super(
      `wasm heap exhausted: could not allocate ${(bytes / 2 ** 20).toFixed(1)} MiB with ${(heapBytes / 2 ** 30).toFixed(2)} GiB ` +
        'in use (wasm memory stops at 4 GiB); train with a smaller batch or split it into micro-batches',
    );
    this.name = 'WasmHeapExhaustedError';
  }
}

const guarded = new WeakSet<object>();

/**
 * Makes a failed allocation throw. Emscripten's malloc returns 0 when the heap cannot grow, and
 * tfjs-backend-wasm would then write the tensor over address 0, corrupting the heap.
 */
export function guardHeap(backend: BackendWasm): void {
  const h = heap(backend);
  if (guarded.has(h)) return;
  guarded.add(h);
  // Module._malloc replaces itself with the raw export on first use: wrap the export itself.
  const malloc = h.asm?.malloc ?? h._malloc.bind(h);
  h._malloc = (bytes: number) => {
    const ptr = malloc(bytes);
    if (ptr === 0 && bytes > 0) throw new WasmHeapExhaustedError(bytes, memoryOf(backend).buffer.byteLength);
    return ptr;
  };
}

/** Runs `body` with `bytes` of scratch heap memory, freed afterwards. */
export function withScratch<T>(backend: BackendWasm, bytes: number, body: (ptr: number) => T): T {
  const h = heap(backend);
  const ptr = h._malloc(bytes) >>> 0;
  try {
    return body(ptr);
  } finally {
    h._free(ptr);
  }
}

/** Float32 view of a tensor's data (fresh: the heap may have grown since the last view). */
export function heapF32(backend: BackendWasm, t: Info): Float32Array {
  return new Float32Array(memoryOf(backend).buffer, offsetOf(backend, t), tf.util.sizeFromShape(t.shape));
}

/** Writes int32 values to the heap at `ptr` (fresh view: the heap may have grown). */
export function writeInt32(backend: BackendWasm, ptr: number, values: ArrayLike<number>): void {
  new Int32Array(memoryOf(backend).buffer, ptr, values.length).set(values);
}

export function dispose(backend: BackendWasm, ...infos: Array<Info | null | undefined>): void {
  for (const t of infos) if (t) backend.disposeData(t.dataId);
}

type KernelFn = (args: { inputs: Record<string, Info>; attrs?: NamedAttrs; backend: BackendWasm }) => Info | Info[];

const originals = new Map<string, tf.KernelConfig>();
const setUpFor = new Map<string, WeakSet<object>>();

/** Remembers a wasm kernel before we replace it, so the replacement can still delegate to it. */
export function rememberOriginal(kernelName: string): void {
  if (originals.has(kernelName)) return;
  const config = tf.getKernel(kernelName, 'wasm');
  if (config) originals.set(kernelName, config);
}

/**
 * The replaced wasm kernel, if any. Its setupFunc (which binds the C++ entry point) only runs for
 * kernels registered when the backend starts, so run it here once per backend instance.
 */
export function original(kernelName: string, backend: BackendWasm): KernelFn | undefined {
  const config = originals.get(kernelName);
  if (!config) return undefined;
  if (config.setupFunc) {
    let done = setUpFor.get(kernelName);
    if (!done) setUpFor.set(kernelName, (done = new WeakSet()));
    if (!done.has(backend)) {
      config.setupFunc(backend);
      done.add(backend);
    }
  }
  return config.kernelFunc as unknown as KernelFn;
}

/** Calls a kernel of the wasm backend (the original one if we replaced it). */
export function run(backend: BackendWasm, kernelName: string, inputs: Record<string, Info>, attrs: NamedAttrs = {}): Info {
  const fn = original(kernelName, backend) ?? (tf.getKernel(kernelName, 'wasm')?.kernelFunc as unknown as KernelFn | undefined);
  if (!fn) throw new Error(`wasm training kernels: kernel '${kernelName}' is not registered for the wasm backend`);
  const out = fn({ inputs, attrs, backend });
  return Array.isArray(out) ? out[0]! : out;
}

export function reshape(backend: BackendWasm, x: Info, shape: number[]): Info {
  return run(backend, tf.Reshape, { x }, { shape });
}

export function transpose(backend: BackendWasm, x: Info, perm: number[]): Info {
  return run(backend, tf.Transpose, { x }, { perm });
}

/** A float32 output of `shape` allocated on the wasm heap (uninitialised). */
export function alloc(backend: BackendWasm, shape: number[]): Info {
  guardHeap(backend);
  return backend.makeOutput(shape, 'float32');
}
