// Keeps a run's report up to date while its search goes on: each finished episode asks for a new
// report; requests that arrive while one is being written collapse into one more pass, so a slow
// report never queues up behind fast episodes, and a report that fails never stops the search.
import { writeRunReport } from './report.js';

export class LiveReport {
  private running?: Promise<void>;
  private pending = false;
  private warned = false;

  constructor(
    private readonly runDir: string,
    private readonly warn: (message: string) => void,
    private readonly write: (runDir: string) => Promise<unknown> = writeRunReport,
  ) {}

  /** Asks for a fresh report; returns at once. */
  request(): void {
    if (this.running) {
      this.pending = true;
      return;
    }
    this.running = this.pass();
  }

  /** Waits until the latest request has been written (or has failed). */
  async settle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async pass(): Promise<void> {
    try {
      do {
        this.pending = false;
        try {
          await this.write(this.runDir);
        } catch (err) {
          // Say it once: the same cause would repeat after every episode.
          if (!this.warned) this.warn(`report not updated: ${(err as Error).message} (the search goes on; run \`nascent report\` to retry)`);
          this.warned = true;
        }
      } while (this.pending);
    } finally {
      this.running = undefined;
    }
  }
}
