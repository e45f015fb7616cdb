// `nascent search --parallel K` without a queue: K trainer processes on this machine, each training
// one child at a time, the embedded default that needs no server. The same trainer code runs behind
// `nascent worker` (worker.ts), so a child is trained the same way wherever it goes. Each trainer
// gets an equal share of the cores (wasm threads), unless NASCENT_WASM_THREADS says otherwise.
//
// A trainer that dies mid-child (killed, out of memory) is replaced and the child is trained again
// on the new one, so a lost process costs the child it held and nothing else.
import os from 'node:os';
import type { ChildHooks, ChildOutcome, EvalRequest, Evaluator } from '../search/types.js';
import { abortError, childJobOf, type ChildJobs } from './child-job.js';
import { TrainerDiedError, TrainerProcess } from './trainer-process.js';

export interface LocalPoolOptions extends ChildJobs {
  size: number;
  backend: string;
  dataDir?: string;
  /** Threads per trainer (default: the cores shared out, at least 1). */
  threads?: number;
  /** Tries per child when trainers die under it. */
  tries?: number;
  log?: (line: string) => void;
}

export class LocalPool implements Evaluator {
  private readonly trainers: (TrainerProcess | undefined)[];
  private readonly waiting: ((slot: number) => void)[] = [];
  private readonly idle: number[] = [];
  private closed = false;
  readonly threads?: number;

  constructor(private readonly o: LocalPoolOptions) {
    if (!Number.isInteger(o.size) || o.size < 1) throw new RangeError(`a pool needs a positive number of trainers, got ${o.size}`);
    this.threads = process.env.NASCENT_WASM_THREADS ? undefined : (o.threads ?? Math.max(1, Math.floor(os.availableParallelism() / o.size)));
    this.trainers = Array.from({ length: o.size }, (_, i) => {
      this.idle.push(i);
      return this.start();
    });
  }

  private start(): TrainerProcess {
    return new TrainerProcess({ backend: this.o.backend, dataDir: this.o.dataDir, threads: this.threads });
  }

  /** Resolves once every trainer has its backend up (the first one's, named); rejects with the first one's failure. */
  async ready(): Promise<{ backend: string; detail: string }> {
    const all = await Promise.all(this.trainers.map((t) => t!.ready));
    return all[0];
  }

  /** The trainers' process ids (tests kill one). */
  get pids(): number[] {
    return this.trainers.flatMap((t) => (t?.pid !== undefined ? [t.pid] : []));
  }

  private take(): Promise<number> {
    const slot = this.idle.shift();
    if (slot !== undefined) return Promise.resolve(slot);
    return new Promise((r) => this.waiting.push(r));
  }

  private give(slot: number): void {
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.idle.push(slot);
  }

  async train(arch: unknown, hooks: ChildHooks = {}, request: EvalRequest = {}): Promise<ChildOutcome> {
    const job = childJobOf(this.o, arch, request);
    const tries = this.o.tries ?? 3;
    for (let attempt = 1; ; attempt++) {
      const slot = await this.take();
      if (this.closed) throw abortError();
      let trainer = this.trainers[slot]!;
      if (!trainer.alive) trainer = this.trainers[slot] = this.start();
      const name = `local-${slot + 1}`;
      const onAbort = () => void trainer.kill('SIGKILL');
      hooks.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        hooks.onWorker?.(name);
        const outcome = await trainer.train(request.jobId ?? name, job, {
          onEpoch: (epoch, valAccuracy, loss) => hooks.onEpochEnd?.(epoch - 1, { valAccuracy, loss }),
          ask: (accs) => hooks.stopAfterEpoch?.(accs),
        });
        return { ...outcome, worker: name };
      } catch (err) {
        if (hooks.signal?.aborted || this.closed) throw abortError();
        if (!(err instanceof TrainerDiedError) || attempt >= tries) throw err;
        this.o.log?.(`${name}: ${err.message}; training the child again on a new trainer`);
        this.trainers[slot] = this.start();
      } finally {
        hooks.signal?.removeEventListener('abort', onAbort);
        this.give(slot);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w(-1);
    await Promise.all(this.trainers.map((t) => t?.kill()));
  }
}
