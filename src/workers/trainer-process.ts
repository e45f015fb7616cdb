// The parent's side of a trainer process (trainer.ts): starts it through the nascent executable
// (so it runs the build or the sources as the parent does), hands it one child at a time and turns
// its messages into a promise and hooks. A trainer that dies mid-child (killed, out of memory)
// rejects that child with TrainerDiedError; the caller decides whether to train it again elsewhere.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EvalJob } from '../run/job.js';
import type { ChildOutcome } from '../search/types.js';
import type { FromTrainer, ToTrainer } from './protocol.js';

const EXECUTABLE = fileURLToPath(new URL('../../bin/nascent.mjs', import.meta.url));

export class TrainerDiedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainerDiedError';
  }
}

/** The trainer cannot serve the job (other images, image shape or backend). */
export class JobRefusedError extends Error {
  constructor(readonly reason: string) {
    super(`this worker cannot train the job: ${reason}`);
    this.name = 'JobRefusedError';
  }
}

export interface TrainerOptions {
  backend: string;
  dataDir?: string;
  /** Threads for the wasm backend (NASCENT_WASM_THREADS); default: the parent's setting, else one per core. */
  threads?: number;
}

export interface ChildCallbacks {
  onEpoch?(epoch: number, valAccuracy: number, loss: number): void;
  /** Asked after each epoch when the job prunes; a reason stops the child there. */
  ask?(valAccuracies: number[]): string | undefined | Promise<string | undefined>;
}

interface Running {
  id: string;
  callbacks: ChildCallbacks;
  resolve(outcome: ChildOutcome): void;
  reject(err: Error): void;
}

export class TrainerProcess {
  readonly ready: Promise<{ backend: string; detail: string }>;
  private readonly child: ChildProcess;
  private running?: Running;
  private stderr = '';
  private exited = false;
  private closing = false;

  constructor(o: TrainerOptions) {
    const env = { ...process.env, ...(o.threads !== undefined ? { NASCENT_WASM_THREADS: String(o.threads) } : {}) };
    this.child = fork(EXECUTABLE, ['_trainer', o.backend, o.dataDir ?? ''], {
      env,
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child.stderr!.on('data', (d) => {
      this.stderr = (this.stderr + String(d)).slice(-4000);
    });
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (m: FromTrainer) => {
        if (m.type === 'ready') {
          this.child.off('message', onMessage);
          resolve({ backend: m.backend, detail: m.detail });
        }
      };
      this.child.on('message', onMessage);
      this.child.once('exit', (code, signal) =>
        reject(new TrainerDiedError(`the trainer process ended before it was ready (${signal ?? `exit ${code}`})${this.tail()}`)),
      );
    });
    this.ready.catch(() => {});
    this.child.on('message', (m: FromTrainer) => this.onMessage(m));
    this.child.once('exit', (code, signal) => {
      this.exited = true;
      const r = this.running;
      this.running = undefined;
      if (r) r.reject(new TrainerDiedError(`the trainer process (pid ${this.child.pid}) ended while training (${signal ?? `exit ${code}`})${this.tail()}`));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.exited && !this.closing;
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  private tail(): string {
    const last = this.stderr.trim().split('\n').slice(-3).join(' | ');
    return last ? `: ${last}` : '';
  }

  /** Trains `job` (one at a time); `id` names it in messages. */
  async train(id: string, job: EvalJob, callbacks: ChildCallbacks = {}): Promise<ChildOutcome> {
    await this.ready;
    if (this.running) throw new Error(`trainer ${this.pid} is already training ${this.running.id}`);
    if (!this.alive) throw new TrainerDiedError(`the trainer process (pid ${this.pid}) has ended`);
    return new Promise<ChildOutcome>((resolve, reject) => {
      this.running = { id, callbacks, resolve, reject };
      this.send({ type: 'job', id, job });
    });
  }

  private send(m: ToTrainer): void {
    if (this.child.connected) this.child.send(m);
  }

  private onMessage(m: FromTrainer): void {
    const r = this.running;
    if (m.type === 'ready' || !r || m.id !== r.id) return;
    switch (m.type) {
      case 'epoch':
        r.callbacks.onEpoch?.(m.epoch, m.valAccuracy, m.loss);
        return;
      case 'ask':
        void Promise.resolve(r.callbacks.ask ? r.callbacks.ask(m.valAccuracies) : undefined).then(
          (reason) => this.send({ type: 'verdict', id: m.id, epoch: m.epoch, ...(reason ? { reason } : {}) }),
          () => this.send({ type: 'verdict', id: m.id, epoch: m.epoch }),
        );
        return;
      case 'result':
        this.running = undefined;
        // Structured clone hands a Uint8Array back as one; a Buffer arrives as a Uint8Array too.
        r.resolve(m.outcome);
        return;
      case 'refused':
        this.running = undefined;
        r.reject(new JobRefusedError(m.reason));
        return;
      case 'error':
        this.running = undefined;
        r.reject(new Error(m.message));
        return;
    }
  }

  /** Stops the process (a child in training is dropped: its promise rejects). */
  kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.closing = true;
    if (this.exited) return Promise.resolve();
    return new Promise((done) => {
      this.child.once('exit', () => done());
      this.child.kill(signal);
    });
  }
}
