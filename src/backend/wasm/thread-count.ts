// How many threads the wasm backend is asked for: NASCENT_WASM_THREADS, else one per core. Read by
// the backend when it starts and by `nascent doctor`, which reports it without starting wasm.
import os from 'node:os';

export function requestedWasmThreads(env: NodeJS.ProcessEnv = process.env): { threads: number; fromEnv: boolean } {
  const fromEnv = env.NASCENT_WASM_THREADS;
  const threads = fromEnv ? Number(fromEnv) : os.availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`NASCENT_WASM_THREADS must be a positive integer, got '${fromEnv}'`);
  return { threads, fromEnv: Boolean(fromEnv) };
}
