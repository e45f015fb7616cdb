// The dashboard's registry of runs: runs found as they appear and gone when their directory is,
// named by ids that are never paths.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { isPathLike, RunRegistry } from '../../src/dashboard/registry.js';
import { tempDir, writeFakeRun } from '../report/fake-run.js';

it('finds runs as they appear and drops them when their directory goes', () => {
  const root = tempDir('nascent-registry-');
  writeFakeRun(join(root, 'a'), { episodes: 2 });
  mkdirSync(join(root, 'not-a-run'));
  const registry = new RunRegistry([root]);
  expect(registry.scan()).toBe(true);
  expect(registry.all().map((w) => w.id)).toEqual(['a']);
  writeFakeRun(join(root, 'b'), { episodes: 2 });
  expect(registry.scan()).toBe(true);
  expect(registry.scan()).toBe(false);
  rmSync(join(root, 'a'), { recursive: true });
  expect(registry.scan()).toBe(true);
  expect(registry.all().map((w) => w.id)).toEqual(['b']);
});

it('names the runs of several directories apart, and a directory that is itself a run', () => {
  const one = tempDir('nascent-registry-');
  const two = tempDir('nascent-registry-');
  writeFakeRun(join(one, 'same'), { episodes: 1 });
  writeFakeRun(join(two, 'same'), { episodes: 1 });
  const run = join(tempDir('nascent-registry-'), 'alone');
  writeFakeRun(run, { episodes: 1 });
  const registry = new RunRegistry([one, two, run]);
  registry.scan();
  expect(registry.all().map((w) => w.id)).toEqual(['0:same', '1:same', '2:alone']);
});

it('takes anything that looks like a path for one', () => {
  for (const id of ['..', '.', '../x', 'a/b', 'a\\b', '/etc', 'x\0y']) expect(isPathLike(id), id).toBe(true);
  for (const id of ['run-1', '0:same', '<img src=x onerror=alert(1)>', '..x', 'a..b']) expect(isPathLike(id), id).toBe(false);
});
