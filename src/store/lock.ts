// One writer per run directory. The lock file holds the owner's pid; a lock whose process is gone
// (a crash, SIGKILL, a reboot) is stale and taken over instead of blocking the user forever.
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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/** The pid of the live process holding `dir`'s lock; undefined when none does (or it died). */
export function liveLockOwner(dir: string): number | undefined {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(join(dir, LOCK_FILE), 'utf8').trim(), 10);
  } catch {
    return undefined;
  }
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
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
      writeSync(fd, `${process.pid}\n`);
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
            if (readFileSync(path, 'utf8').trim() === String(process.pid)) rmSync(path, { force: true });
          } catch {
            // already gone
          }
        },
      };
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
      const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw new RunLockedError(dir, pid);
      stalePid = Number.isInteger(pid) ? pid : -1;
      rmSync(path, { force: true });
    }
  }
  throw new Error(`could not take the lock ${path}`);
}
