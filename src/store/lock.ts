// One writer per run directory. The lock file holds the owner's pid and, on Linux, the start time of
// that process; a lock whose process is gone (a crash, SIGKILL, a reboot) is stale and taken over
// instead of blocking the user forever. Gone includes a zombie (a search killed with its parent
// stays one for a moment, and kill(pid, 0) succeeds on it) and a pid reused by another process
// (its start time differs; in containers pids are reused at once).
import { openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join, resolve } from 'node:path';

const LOCK_FILE = 'run.lock';

export class RunLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      pid === process.pid
        ? `run ${dir} is already open for writing in this process`
        : `run ${dir} is in use by process ${pid} (another search is writing it); stop that one first`,
    );
    this.name = 'RunLockedError';
  }
}

/** A process as /proc shows it: its state letter and start time (clock ticks after boot); undefined without /proc. */
function procStat(pid: number): { state: string; start: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], start: fields[19] };
}

/** What a lock file says: the owner's pid, and its start time where it was recorded. */
interface LockOwner {
  pid: number;
  start?: string;
}

function readOwner(path: string): LockOwner | undefined {
  const [pid, start] = readFileSync(path, 'utf8').trim().split(/\s+/);
  const n = Number.parseInt(pid, 10);
  return Number.isInteger(n) && n > 0 ? { pid: n, ...(start ? { start } : {}) } : undefined;
}

function alive(owner: LockOwner): boolean {
  const stat = procStat(owner.pid);
  if (stat) return stat.state !== 'Z' && stat.state !== 'X' && (owner.start === undefined || owner.start === stat.start);
  // No /proc entry: on Linux the process is gone; elsewhere ask the kernel.
  if (process.platform === 'linux') return false;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/** The pid of the live process holding `dir`'s lock; undefined when none does (or it died). */
export function liveLockOwner(dir: string): number | undefined {
  let owner: LockOwner | undefined;
  try {
    owner = readOwner(join(dir, LOCK_FILE));
  } catch {
    return undefined;
  }
  return owner && alive(owner) ? owner.pid : undefined;
}

export interface RunLock {
  release(): void;
  /** Set when an earlier owner died holding the lock. */
  stalePid?: number;
}

// Locks this process holds. A lock file naming our own pid is ours only if it is in here; otherwise
// an earlier process had the same pid (pids are reused, in containers often at once) and died.
const held = new Set<string>();

export function acquireRunLock(dir: string): RunLock {
  const path = resolve(dir, LOCK_FILE);
  if (held.has(path)) throw new RunLockedError(dir, process.pid);
  let stalePid: number | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      const start = procStat(process.pid)?.start;
      writeSync(fd, `${process.pid}${start ? ` ${start}` : ''}\n`);
      closeSync(fd);
      held.add(path);
      let released = false;
      return {
        stalePid,
        release() {
          if (released) return;
          released = true;
          held.delete(path);
          try {
            if (readOwner(path)?.pid === process.pid) rmSync(path, { force: true });
          } catch {
            // already gone
          }
        },
      };
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
      const owner = readOwner(path);
      if (owner && owner.pid !== process.pid && alive(owner)) throw new RunLockedError(dir, owner.pid);
      stalePid = owner?.pid ?? -1;
      rmSync(path, { force: true });
    }
  }
  throw new Error(`could not take the lock ${path}`);
}
