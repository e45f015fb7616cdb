// `nascent dashboard` as a user starts it: the printed URL serves the runs, a wrong flag is a usage
// error, and Ctrl-C stops it cleanly.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { makeRuns } from './runs.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'nascent.mjs');

it('serves the runs of the given directory on the URL it prints, and stops on Ctrl-C', async () => {
  const { root } = makeRuns(false);
  const child = spawn(process.execPath, [BIN, 'dashboard', root, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    for (let i = 0; i < 600 && !/open (http:\S+)/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
    const url = /open (http:\S+)/.exec(out)?.[1];
    expect(url, out).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(out).toContain('5 runs under');
    expect(out).toContain('read-only');
    const runs = (await (await fetch(`${url}api/runs`)).json()) as { runs: Array<{ id: string }> };
    expect(runs.runs.map((r) => r.id)).toContain('finished');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  } finally {
    child.kill('SIGKILL');
  }
});

it('refuses a port that is not a number', async () => {
  const child = spawn(process.execPath, [BIN, 'dashboard', '--port', 'eighty'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c) => (err += c));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  expect(code).toBe(2);
  expect(err).toContain('--port: expected an integer');
});
