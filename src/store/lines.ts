// Cutting an append-only JSON-lines file back to its first N whole lines, as a resume does with
// the lines written after the checkpoint it goes on from (and a line a crash left torn).
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync } from 'node:fs';

/** Keeps the first `n` whole lines of `path` (fsync'd); returns how many whole lines it kept (≤ n). */
export function truncateLines(path: string, n: number): number {
  if (!existsSync(path)) return 0;
  const text = readFileSync(path);
  let end = 0;
  let kept = 0;
  while (kept < n) {
    const nl = text.indexOf(0x0a, end);
    if (nl < 0) break;
    end = nl + 1;
    kept++;
  }
  if (end !== text.length) truncateDurable(path, end);
  return kept;
}

/** Cuts `path` to its first `bytes` bytes and fsyncs it, so the cut survives a crash. */
export function truncateDurable(path: string, bytes: number): void {
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
