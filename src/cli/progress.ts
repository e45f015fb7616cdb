// What a person watching a search sees. On a terminal: one status line redrawn in place (episode,
// epoch, batch bar, loss, last and best accuracy, ETA) above which finished episodes scroll. When
// stdout is a file or a pipe: plain lines, one per epoch and one per episode, nothing redrawn.
import type { SearchEvent } from '../search/loop.js';
import type { WorkersEvent } from '../run/types.js';
import type { TrialRecord } from '../store/records.js';

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h${String(m % 60).padStart(2, '0')}m`;
}

export function bar(fraction: number, width = 20): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.round(f * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

/** Finished lines scrolling above one status line that a terminal redraws in place. */
export class TerminalLines {
  private statusShown = false;

  constructor(
    private readonly write: (text: string) => void,
    readonly tty: boolean,
  ) {}

  /** A finished line: it stays. */
  line(text: string): void {
    this.clear();
    this.write(text + '\n');
  }

  /** The status line, replacing the previous one (terminals only), cut to the terminal's width. */
  status(text: string): void {
    const cols = process.stdout.columns ?? 120;
    this.write('\r\x1b[2K' + (text.length > cols - 1 ? text.slice(0, cols - 1) : text));
    this.statusShown = true;
  }

  /** Leaves the terminal on a clean line (before other output, or at exit). */
  clear(): void {
    if (this.tty && this.statusShown) this.write('\r\x1b[2K');
    this.statusShown = false;
  }
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '  -  ' : x.toFixed(4));

export interface ProgressOptions {
  epochs: number;
  episodes: number;
  /** Episodes finished before this process started (resume). */
  done?: number;
  write?: (text: string) => void;
  isTTY?: boolean;
  now?: () => number;
}

export class SearchProgress {
  private readonly term: TerminalLines;
  private readonly tty: boolean;
  private readonly now: () => number;
  private readonly started: number;
  private readonly startDone: number;
  private episode = 0;
  private epoch = 0;
  private explored = false;
  private last: number | null = null;
  private best: number | null = null;
  private lastDraw = 0;
  /** Children in flight (parallel searches), by their number. */
  private readonly inflight = new Map<number, { worker?: string; epoch: number; budget?: number; valAccuracy?: number; heard: number }>();
  private workers: { name: string; beat: string }[] = [];

  constructor(private readonly o: ProgressOptions) {
    this.tty = o.isTTY ?? Boolean(process.stdout.isTTY);
    this.term = new TerminalLines(o.write ?? ((t) => process.stdout.write(t)), this.tty);
    this.now = o.now ?? (() => Date.now());
    this.started = this.now();
    this.startDone = o.done ?? 0;
  }

  /** Seconds left, from the mean time of the episodes this process has run, counting the current one's progress. */
  eta(fractionOfEpisode = 0): number {
    const ran = this.episode - 1 - this.startDone + fractionOfEpisode;
    if (ran <= 0) return NaN;
    const perEpisode = (this.now() - this.started) / 1000 / ran;
    return perEpisode * (this.o.episodes - (this.episode - 1) - fractionOfEpisode);
  }

  private line(text: string): void {
    this.term.line(text);
  }

  private status(text: string): void {
    this.term.status(text);
  }

  handle(e: SearchEvent | WorkersEvent): void {
    switch (e.type) {
      case 'episode-start':
        this.episode = e.episode;
        this.explored = e.explored;
        if (!this.tty) {
          this.line(`episode ${e.episode}/${e.episodes} start ${howStarted(e)} cells ${e.key}`);
        }
        break;
      case 'epoch-start':
        this.epoch = e.epoch;
        break;
      case 'batch': {
        if (!this.tty) break;
        const t = this.now();
        if (t - this.lastDraw < 100 && e.batch < e.batches) break;
        this.lastDraw = t;
        const frac = (e.epoch - 1 + e.batch / e.batches) / this.o.epochs;
        this.status(
          `episode ${e.episode}/${this.o.episodes} ${this.explored ? '(explore)' : '(policy) '} ` +
            `epoch ${e.epoch}/${this.o.epochs} ${bar(e.batch / e.batches)} ${e.batch}/${e.batches} ` +
            `loss ${e.loss.toFixed(3)} | last ${pct(this.last)} best ${pct(this.best)} | ETA ${formatDuration(this.eta(frac))}`,
        );
        break;
      }
      case 'epoch-end':
        if (!this.tty)
          this.line(`episode ${e.episode}/${this.o.episodes} epoch ${e.epoch}/${this.o.epochs} loss ${e.loss.toFixed(4)} val_acc ${e.valAccuracy.toFixed(4)}`);
        break;
      case 'child-start': {
        this.inflight.set(e.child, { epoch: 0, budget: e.budget, heard: this.now() });
        if (!this.tty) this.line(`child #${e.child} start ${howStarted(e)} cells ${e.key} (${e.inFlight} in flight)`);
        else this.drawInflight();
        break;
      }
      case 'child-worker': {
        const c = this.inflight.get(e.child);
        if (c) Object.assign(c, { worker: e.worker, epoch: 0, heard: this.now() });
        if (!this.tty) this.line(`child #${e.child} on ${e.worker}`);
        else this.drawInflight();
        break;
      }
      case 'child-epoch': {
        const c = this.inflight.get(e.child);
        if (c) Object.assign(c, { epoch: e.epoch, valAccuracy: e.valAccuracy, heard: this.now() });
        if (!this.tty)
          this.line(
            `child #${e.child}${c?.worker ? ` (${c.worker})` : ''} epoch ${e.epoch}/${c?.budget ?? this.o.epochs} loss ${e.loss.toFixed(4)} val_acc ${e.valAccuracy.toFixed(4)}`,
          );
        else this.drawInflight();
        break;
      }
      case 'workers':
        this.workers = e.workers;
        if (this.tty) this.drawInflight();
        break;
      case 'episode-end': {
        const t = e.trial;
        if (e.child !== undefined) {
          this.inflight.delete(e.child);
          this.episode = t.episode;
        }
        this.last = t.accuracy;
        this.best = e.best?.accuracy ?? this.best;
        if (t.rejected) {
          this.line(`episode ${t.episode}/${this.o.episodes} rejected untrained (${t.rejected}) cells ${t.key} | best ${pct(this.best)}`);
          break;
        }
        const outcome = (t.failed ? `FAILED (${t.failed})` : `acc ${pct(t.accuracy)}`) + scheduleNote(t);
        this.line(
          `episode ${t.episode}/${this.o.episodes}${e.child !== undefined ? ` (child #${e.child}${t.worker ? ` on ${t.worker}` : ''})` : ''} ${outcome} reward ${t.reward >= 0 ? '+' : ''}${t.reward.toFixed(4)} ` +
            `baseline ${t.baseline.toFixed(4)} params ${t.params} ${formatDuration(t.seconds)} | best ${pct(this.best)}` +
            (this.episode < this.o.episodes ? ` | ETA ${formatDuration(this.eta(1))}` : ''),
        );
        break;
      }
    }
  }

  /** The status line of a search with children in flight: each child's worker and epoch, the workers' last heartbeats (wall-clock times, from other machines). */
  private drawInflight(): void {
    const t = this.now();
    if (t - this.lastDraw < 200) return;
    this.lastDraw = t;
    const children = [...this.inflight.entries()].map(
      ([n, c]) =>
        `#${n}${c.worker ? ` ${c.worker}` : ' queued'} e${c.epoch}/${c.budget ?? this.o.epochs}${c.valAccuracy !== undefined ? ` ${c.valAccuracy.toFixed(2)}` : ''}`,
    );
    const beats = this.workers.length
      ? ` | ${this.workers.length} worker${this.workers.length === 1 ? '' : 's'}, beats ${this.workers.map((w) => formatDuration((Date.now() - Date.parse(w.beat)) / 1000)).join('/')} ago`
      : '';
    this.status(`${this.inflight.size} in flight: ${children.join(' · ')}${beats} | best ${pct(this.best)} | ETA ${formatDuration(this.eta(1))}`);
  }

  /** Leaves the terminal on a clean line (before other output, or at exit). */
  clear(): void {
    this.term.clear();
  }
}

/** How a child starts. A promotion continues an earlier child (or reuses a result): say that, not who drew it. */
function howStarted(e: { cached?: boolean; inheritedFrom?: number; budget?: number; explored: boolean }): string {
  if (e.cached) return 'cached';
  if (e.inheritedFrom !== undefined) return `continues episode ${e.inheritedFrom} to ${e.budget} epochs,`;
  return e.explored ? 'explored' : 'policy';
}

/**
 * How a multi-fidelity trial got its result ('' for a child trained once at full budget). A trial
 * without a budget (a NAS-Bench-201 table lookup, cached when its cell came up before) has only its notes.
 */
function scheduleNote(t: TrialRecord): string {
  const notes = [
    ...(t.cached ? [`cached from episode ${t.cachedFrom}`] : []),
    ...(t.inheritedFrom !== undefined ? [`continued episode ${t.inheritedFrom}`] : []),
    ...(t.pruned ? [`pruned after epoch ${t.pruned.epoch}`] : []),
  ];
  const multi = notes.length > 0 || (t.rung ?? 0) > 0 || (t.bracket ?? 0) > 0;
  const parts = [...(t.budget !== undefined ? [`${t.budget} epochs`] : []), ...notes];
  return multi && parts.length > 0 ? ` [${parts.join(', ')}]` : '';
}
