// Files in ../shared (beside this clone and CI's, never beside a user's). A test that needs one
// skips, saying why, when it is absent, and fails instead under CI=true, where it must be there.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { it } from 'vitest';

export const SHARED = resolve(__dirname, '../../../shared');
export const NB201_TABLE = resolve(SHARED, 'benchmarks/nats-bench-201.csv');

/** True when `path` exists; otherwise registers the CI failure (or warns) and returns false. */
export function haveShared(path: string, what: string): boolean {
  if (existsSync(path)) return true;
  if (process.env.CI) {
    it(`has ${what} in ../shared`, () => {
      throw new Error(`${path} is missing, and CI must run the tests that read it`);
    });
  } else console.warn(`skipping the tests that read ${what}: ${path} is not there (it exists beside the project's clones, never beside a user's)`);
  return false;
}
