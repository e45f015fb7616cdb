// The runs the dashboard serves: every run under the directories it was given (a directory that is
// itself a run, or its subdirectories holding config.json or trials.jsonl), found again on every scan
// so a search started after the dashboard shows up. A run is named by an id the registry gives it; a
// request can only reach a directory through that id, never by a path, so nothing outside the given
// directories can be asked for.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { RUN_FILES } from '../store/run-store.js';
import { RunWatcher } from './watch.js';

const looksLikeRun = (dir: string): boolean => existsSync(join(dir, RUN_FILES.config)) || existsSync(join(dir, RUN_FILES.trials));

export class RunRegistry {
  readonly roots: string[];
  private readonly watchers = new Map<string, RunWatcher>();

  constructor(roots: readonly string[]) {
    this.roots = roots.map((r) => resolve(r));
  }

  /** Problems with the roots themselves (missing, not a directory), for the command to report. */
  rootProblems(): string[] {
    return this.roots.flatMap((r) => (!existsSync(r) ? [`${r}: no such directory`] : !statSync(r).isDirectory() ? [`${r}: not a directory`] : []));
  }

  /** Looks for runs that appeared (or went: a deleted run directory leaves the list) since the last scan; returns whether any did. */
  scan(): boolean {
    let found = false;
    for (const [id, w] of this.watchers)
      if (!existsSync(w.dir)) {
        this.watchers.delete(id);
        found = true;
      }
    this.roots.forEach((root, i) => {
      let dirs: string[];
      try {
        dirs = looksLikeRun(root)
          ? [root]
          : readdirSync(root, { withFileTypes: true })
              .filter((e) => e.isDirectory() && looksLikeRun(join(root, e.name)))
              .map((e) => join(root, e.name));
      } catch {
        return;
      }
      for (const dir of dirs) {
        const id = this.roots.length > 1 ? `${i}:${basename(dir)}` : basename(dir);
        if (this.watchers.has(id)) continue;
        this.watchers.set(id, new RunWatcher(id, dir));
        found = true;
      }
    });
    return found;
  }

  /** The run named `id`, or undefined: ids are the registry's own, not paths. */
  get(id: string): RunWatcher | undefined {
    return this.watchers.get(id);
  }

  all(): RunWatcher[] {
    return [...this.watchers.values()];
  }
}

/** True when `id` tries to name a path (a `..` segment, a slash, a NUL): refused before any lookup. */
export const isPathLike = (id: string): boolean => id.split(/[\\/]/).some((part) => part === '..' || part === '.') || /[\\/\0]/.test(id);
