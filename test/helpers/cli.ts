// The `nascent` executable as a user runs it, for the CLI tests: exit code, stdout and stderr.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');
export const BIN = join(ROOT, 'bin', 'nascent.mjs');

export function runNascent(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 240_000) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: timeoutMs });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
