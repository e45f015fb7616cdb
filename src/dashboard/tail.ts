// A JSON-lines file read as it grows: each poll reads only the bytes appended since the last one, and
// only up to the last newline, so a line the writer has half written is left for the next poll
// (and reported as torn while it stays so). A file that shrinks was replaced: it is read again from
// the start. Lines that are not valid JSON, or that `check` refuses, are counted as problems with
// their line number instead of stopping the reading: the page shows what is there and what is not.
import { closeSync, openSync, readSync, statSync } from 'node:fs';

export interface TailProblem {
  line: number;
  message: string;
}

export class JsonLinesTail<T> {
  /** Bytes consumed: the end of the last whole line read. */
  private offset = 0;
  private lineNo = 0;
  readonly items: T[] = [];
  readonly problems: TailProblem[] = [];
  /** The file ends in a line without its newline (being written, or cut short by a crash). */
  torn = false;
  /** The file exists (it may not yet, before a search's first episode). */
  exists = false;
  /** Counts the times the file was replaced and read again: items before a change of it are stale. */
  generation = 0;

  constructor(
    readonly path: string,
    private readonly check: (value: unknown) => string | undefined = () => undefined,
  ) {}

  /** Reads what was appended; returns the new items (empty when nothing changed). */
  poll(): T[] {
    let size: number;
    try {
      size = statSync(this.path).size;
      this.exists = true;
    } catch {
      this.exists = false;
      return [];
    }
    if (size < this.offset) this.reset();
    if (size === this.offset) return [];
    const buffer = Buffer.alloc(size - this.offset);
    const fd = openSync(this.path, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, this.offset);
    } finally {
      closeSync(fd);
    }
    const end = buffer.lastIndexOf(0x0a);
    this.torn = end !== buffer.length - 1;
    if (end < 0) return [];
    this.offset += end + 1;
    const added: T[] = [];
    for (const line of buffer.toString('utf8', 0, end).split('\n')) {
      this.lineNo++;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (err) {
        this.problems.push({ line: this.lineNo, message: `not valid JSON (${(err as Error).message})` });
        continue;
      }
      const problem = this.check(value);
      if (problem !== undefined) this.problems.push({ line: this.lineNo, message: problem });
      else added.push(value as T);
    }
    this.items.push(...added);
    return added;
  }

  private reset(): void {
    this.offset = 0;
    this.lineNo = 0;
    this.items.length = 0;
    this.problems.length = 0;
    this.torn = false;
    this.generation++;
  }
}
