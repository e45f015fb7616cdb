// The dashboard's side of policy-worker.ts: one worker thread, started on the first request, asked
// for a run's controller probabilities. Run from src (tsx), the worker gets tsx's loader too.
import { Worker } from 'node:worker_threads';
import type { PolicyRows } from '../report/controller-view.js';
import type { SearchSpace } from '../spaces/types.js';

let worker: Worker | undefined;
let next = 0;
const waiting = new Map<number, { resolve: (rows: PolicyRows | undefined) => void; reject: (err: Error) => void }>();

function start(): Worker {
  // From src (tsx), the worker registers tsx's loader before importing the TypeScript entry, as
  // bin/nascent.mjs does (a worker's execArgv cannot carry --import).
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSource ? './policy-worker.ts' : './policy-worker.js', import.meta.url).href;
  const w = fromSource
    ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`, {
        eval: true,
      })
    : new Worker(new URL(entry));
  w.on('message', (m: { id: number; rows?: PolicyRows; error?: string }) => {
    const p = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error !== undefined) p?.reject(new Error(m.error));
    else p?.resolve(m.rows);
  });
  w.on('error', (err: Error) => {
    for (const p of waiting.values()) p.reject(err);
    waiting.clear();
    worker = undefined;
  });
  // The worker does not keep the dashboard alive on its own.
  w.unref();
  return w;
}

/** The controller's probabilities for the run in `dir`, worked out in the worker thread. */
export function policyRows(dir: string, space: SearchSpace): Promise<PolicyRows | undefined> {
  worker ??= start();
  const id = next++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    worker!.postMessage({ id, dir, space: { id: space.id, ...space.settings } });
  });
}

/** Stops the worker (the dashboard closing). */
export async function stopPolicyWorker(): Promise<void> {
  const w = worker;
  worker = undefined;
  await w?.terminate();
}
