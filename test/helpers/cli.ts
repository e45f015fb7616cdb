// The `nascent` executable as a user runs it, for the CLI tests: exit code, stdout and stderr.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');
export const BIN = join(ROOT, 'bin', 'nascent.mjs');

export function runNascent(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 240_000) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: timeoutMs });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A `nascent` process in the background, for tests that interrupt it. */
export interface Running {
  child: ChildProcess;
  /** stdout and stderr so far, interleaved. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startNascent(args: string[], env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, signal) => res({ code, signal })));
  return { child, output: () => out, exited };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls every 2 ms, so a kill lands within a few ms of the change it waits for; false if the process ended first. */
export async function until(p: Running, done: () => boolean): Promise<boolean> {
  let finished = false;
  void p.exited.then(() => (finished = true));
  while (!done()) {
    if (finished) return false;
    await sleep(2);
  }
  return true;
}
