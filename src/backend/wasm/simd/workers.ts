// Runs the SIMD microkernels on more than one core. With the threaded wasm build the heap is a
// shared WebAssembly.Memory, so worker threads can instantiate the same kernel module over it and
// each compute a disjoint part of one kernel call (e.g. half of a filter gradient's output
// channels) while the calling thread computes the first part. XNNPACK's own thread pool is idle
// meanwhile (tfjs runs one kernel at a time), so this uses the cores it leaves unused during
// nascent's kernels.
//
// Hand-off goes through one shared Int32 slot per worker: the caller posts a part (state POSTED)
// and wakes the worker, which claims it (RUNNING), runs it and marks it DONE. A caller that has
// finished its own part claims any part still POSTED and runs it itself, so a worker that another
// process keeps off the cores (or that has not started yet) delays nothing and never blocks.

import { Worker } from 'node:worker_threads';

const IDLE = 0;
const POSTED = 1;
const RUNNING = 2;
const DONE = 3;
const FAILED = 4;
const TAKEN_BACK = 5;

/** Ints per worker slot: state, kernel index, then the arguments. */
const SLOT_INTS = 32;
const MAX_ARGS = SLOT_INTS - 2;

// Plain CommonJS, evaluated in each worker. Waits on its slot; claims, runs and reports each part.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, names, slots, index } = workerData;
const exports_ = new WebAssembly.Instance(module, { env: { memory } }).exports;
const kernels = names.map((n) => exports_[n]);
const slot = new Int32Array(slots, index * ${SLOT_INTS} * 4, ${SLOT_INTS});
for (;;) {
  const state = Atomics.load(slot, 0);
  if (state !== ${POSTED}) { Atomics.wait(slot, 0, state); continue; }
  if (Atomics.compareExchange(slot, 0, ${POSTED}, ${RUNNING}) !== ${POSTED}) continue;
  let outcome = ${DONE};
  try {
    const n = slot[1] >>> 16;
    const args = Array.from(slot.subarray(2, 2 + n));
    kernels[slot[1] & 0xffff](...args);
  } catch {
    outcome = ${FAILED};
  }
  Atomics.store(slot, 0, outcome);
  Atomics.notify(slot, 0);
}
`;

export type KernelCall = (...args: number[]) => void;

export class KernelWorkers {
  private readonly slots: Int32Array;
  private readonly workers: Worker[] = [];
  private readonly index = new Map<string, number>();
  /** Calls split into more than one part so far (for tests and profiling). */
  splitCalls = 0;

  /**
   * Starts `workerCount` workers over `memory` (which must be shared) running `module`, whose
   * exports `kernelNames` the workers may be asked to run.
   */
  constructor(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    kernelNames: readonly string[],
    readonly workerCount: number,
  ) {
    kernelNames.forEach((n, i) => this.index.set(n, i));
    const shared = new SharedArrayBuffer(workerCount * SLOT_INTS * 4);
    this.slots = new Int32Array(shared);
    for (let i = 0; i < workerCount; i++) {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module, memory, names: [...kernelNames], slots: shared, index: i },
      });
      worker.unref(); // blocked in Atomics.wait between calls; must not keep the process alive
      this.workers.push(worker);
    }
  }

  /** Threads a call can use: the workers plus the caller. */
  get threads(): number {
    return this.workerCount + 1;
  }

  /**
   * Runs kernel `name` once per argument list, concurrently; the parts must write disjoint memory.
   * `local` is the same kernel bound on this thread. Returns when every part has finished.
   */
  run(name: string, local: KernelCall, parts: readonly number[][]): void {
    const kernel = this.index.get(name);
    if (kernel === undefined) throw new Error(`SIMD workers: no kernel '${name}'`);
    if (parts.length > this.threads) throw new Error(`SIMD workers: ${parts.length} parts for ${this.threads} threads`);
    if (parts.length > 1) this.splitCalls++;
    const posted: number[] = [];
    for (let p = 1; p < parts.length; p++) {
      const args = parts[p]!;
      if (args.length > MAX_ARGS) throw new Error(`SIMD workers: ${args.length} arguments (at most ${MAX_ARGS})`);
      const w = p - 1;
      const slot = this.slot(w);
      slot[1] = kernel | (args.length << 16);
      slot.set(args, 2);
      Atomics.store(slot, 0, POSTED);
      Atomics.notify(slot, 0);
      posted.push(w);
    }
    let failed: number[] | undefined;
    try {
      local(...parts[0]!);
    } finally {
      for (const w of posted) {
        const slot = this.slot(w);
        if (Atomics.compareExchange(slot, 0, POSTED, TAKEN_BACK) === POSTED) {
          // The worker has not started on it: run it here.
          Atomics.store(slot, 0, IDLE);
          local(...parts[w + 1]!);
          continue;
        }
        let state = Atomics.load(slot, 0);
        while (state === RUNNING) {
          Atomics.wait(slot, 0, RUNNING);
          state = Atomics.load(slot, 0);
        }
        if (state === FAILED) failed = parts[w + 1];
        Atomics.store(slot, 0, IDLE);
      }
    }
    // A worker cannot pass its exception back; the same part run here raises it (e.g. a trap).
    if (failed) {
      local(...failed);
      throw new Error(`SIMD worker: kernel '${name}' failed on a worker thread`);
    }
  }

  private slot(w: number): Int32Array {
    return this.slots.subarray(w * SLOT_INTS, (w + 1) * SLOT_INTS);
  }
}
