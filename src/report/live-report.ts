// Keeps a run's report up to date while its search goes on: each finished episode asks for a new
// report; requests that arrive while one is being written collapse into one more pass, so a slow
// report never queues up behind fast episodes, and a report that fails never stops the search.
//
// A pass costs seconds of CPU (plots, cell diagrams, PNGs: `nascent report` of a small run took
// 3.2 s as a process of its own). With every core training children (--parallel) that time is taken
// from them; with passes capped, bench:parallel's workers went from 96.5-97.9% busy to 99.5-99.9%.
// So reports take at most `share` of the time
// (default 5%): after a pass of d seconds the next waits until d / share has passed since this one
// began. settle() writes a waiting request at once, so the last report is never held back.
import { writeRunReport } from './report.js';

export interface LiveReportOptions {
  /** The largest share of the time spent writing reports (0 < share <= 1). */
  share?: number;
  now?: () => number;
}

export class LiveReport {
  private running?: Promise<void>;
  private pending = false;
  private warned = false;
  private timer?: NodeJS.Timeout;
  /** When the next pass may begin (ms, this.now's clock). */
  private notBefore = 0;
  private readonly share: number;
  private readonly now: () => number;

  constructor(
    private readonly runDir: string,
    private readonly warn: (message: string) => void,
    private readonly write: (runDir: string) => Promise<unknown> = writeRunReport,
    options: LiveReportOptions = {},
  ) {
    this.share = options.share ?? 0.05;
    if (!(this.share > 0 && this.share <= 1)) throw new RangeError(`share must be in (0, 1], got ${this.share}`);
    this.now = options.now ?? (() => performance.now());
  }

  /** Asks for a fresh report; returns at once. */
  request(): void {
    if (this.running || this.timer) {
      this.pending = true;
      return;
    }
    const wait = this.notBefore - this.now();
    if (wait > 0) {
      this.pending = true;
      this.timer = setTimeout(() => this.start(), wait);
      this.timer.unref();
      return;
    }
    this.running = this.pass();
  }

  private start(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running === undefined && this.pending) this.running = this.pass();
  }

  /** Writes a waiting request now and waits until the latest request has been written (or has failed). */
  async settle(): Promise<void> {
    if (this.timer) this.start();
    while (this.running) await this.running;
  }

  private async pass(): Promise<void> {
    try {
      do {
        this.pending = false;
        const began = this.now();
        try {
          await this.write(this.runDir);
        } catch (err) {
          // Say it once: the same cause would repeat after every episode.
          if (!this.warned) this.warn(`report not updated: ${(err as Error).message} (the search goes on; run \`nascent report\` to retry)`);
          this.warned = true;
        }
        this.notBefore = began + (this.now() - began) / this.share;
        // A request during the pass waits for its turn like any other.
        if (this.pending && this.notBefore > this.now()) {
          this.timer = setTimeout(() => this.start(), this.notBefore - this.now());
          this.timer.unref();
          return;
        }
      } while (this.pending);
    } finally {
      this.running = undefined;
    }
  }
}
