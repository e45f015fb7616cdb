// What a person watching `nascent train` sees. On a terminal: a status line redrawn in place (epoch,
// batch bar, loss, images/s, ETA) above which finished epochs scroll. Off a terminal (a log file):
// one line per epoch, and a batch line at most every `quietSeconds`, since one epoch of the full
// training set can take many minutes on a CPU.
import type { FinalEpoch, FinalPhase } from '../evaluators/child/final-train.js';
import { bar, formatDuration, TerminalLines } from './progress.js';

export interface TrainProgressOptions {
  epochs: number;
  /** Images per epoch, for images/s. */
  images: number;
  batchSize: number;
  write?: (text: string) => void;
  isTTY?: boolean;
  now?: () => number;
  /** Off a terminal, the least time between two batch lines (default 60 s). */
  quietSeconds?: number;
}

export class TrainProgress {
  private readonly term: TerminalLines;
  private readonly tty: boolean;
  private readonly now: () => number;
  private readonly started: number;
  private epochStarted = 0;
  private lastDraw = -Infinity;

  constructor(private readonly o: TrainProgressOptions) {
    this.tty = o.isTTY ?? Boolean(process.stdout.isTTY);
    this.term = new TerminalLines(o.write ?? ((t) => process.stdout.write(t)), this.tty);
    this.now = o.now ?? (() => Date.now());
    this.started = this.now();
  }

  private line(text: string): void {
    this.term.line(text);
  }

  private status(text: string): void {
    this.term.status(text);
  }

  /** Seconds left, from the time per image so far. */
  private eta(doneImages: number): number {
    const elapsed = (this.now() - this.started) / 1000;
    return doneImages > 0 ? (elapsed / doneImages) * (this.o.epochs * this.o.images - doneImages) : NaN;
  }

  epochStart(): void {
    this.epochStarted = this.now();
  }

  batch(epoch: number, batch: number, batches: number, loss: number): void {
    const t = this.now();
    const done = batch + 1;
    const minGap = this.tty ? 100 : (this.o.quietSeconds ?? 60) * 1000;
    if (t - this.lastDraw < minGap && done < batches) return;
    if (!this.tty && done === batches) return; // the epoch line follows at once
    this.lastDraw = t;
    const images = Math.min(this.o.images, done * this.o.batchSize);
    const seconds = (t - this.epochStarted) / 1000;
    const rate = seconds > 0 ? `${Math.round(images / seconds)} img/s` : '';
    const eta = formatDuration(this.eta((epoch - 1) * this.o.images + images));
    const text = `epoch ${epoch}/${this.o.epochs} ${this.tty ? `${bar(done / batches)} ` : 'batch '}${done}/${batches} loss ${loss.toFixed(3)} | ${rate} | ETA ${eta}`;
    if (this.tty) this.status(text);
    else this.line(text);
  }

  epochEnd(e: FinalEpoch): void {
    const rate = e.seconds > 0 ? `, ${Math.round(this.o.images / e.seconds)} img/s` : '';
    this.line(`epoch ${e.epoch}/${this.o.epochs} loss ${e.loss.toFixed(4)} train_acc ${e.trainAccuracy.toFixed(4)} (${formatDuration(e.seconds)}${rate})`);
  }

  phase(p: FinalPhase, detail: string): void {
    this.line(p === 'recalibrate' ? `recalibrating BatchNorm statistics on ${detail}` : `testing on ${detail}`);
  }

  testBatch(done: number, total: number): void {
    if (!this.tty) return;
    const t = this.now();
    if (t - this.lastDraw < 100 && done < total) return;
    this.lastDraw = t;
    this.status(`testing ${bar(done / total)} ${done}/${total}`);
  }

  /** Leaves the terminal on a clean line (before other output, or at exit). */
  clear(): void {
    this.term.clear();
  }
}
