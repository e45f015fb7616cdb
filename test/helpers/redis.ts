// A real redis-server (Debian's package) for the tests that need one, on 127.0.0.1 at a free port,
// without persistence, stopped when the test is done. Tests skip without it, and fail under CI=true.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const haveRedis = (): boolean => {
  const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;
  if (!found && process.env.CI) throw new Error('redis-server is not installed (apt-get install redis-server; .ci/run does)');
  if (!found) console.error('skipping: redis-server is not installed (apt-get install redis-server)');
  return found;
};

const freePort = () =>
  new Promise<number>((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });

export interface RedisServer {
  url: string;
  stop(): Promise<void>;
  /** Stops the server (SIGTERM: it writes its append-only file) and starts it again on the same port and data. */
  restart(downMs?: number): Promise<void>;
}

/** `appendonly`: keep the data in an append-only file, so a restart loses nothing (as a fleet's Redis should). */
export async function startRedis(o: { appendonly?: boolean } = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'nascent-redis-'));
  let child = await launch(port, dir, o.appendonly === true);
  const stopChild = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      await stopChild();
      rmSync(dir, { recursive: true, force: true });
    },
    restart: async (downMs = 1000) => {
      await stopChild();
      await new Promise((r) => setTimeout(r, downMs));
      child = await launch(port, dir, o.appendonly === true);
    },
  };
}

async function launch(port: number, dir: string, appendonly: boolean): Promise<ChildProcess> {
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', appendonly ? 'yes' : 'no', '--appendfsync', 'always', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`redis-server did not start:\n${output}`)), 10_000);
    child.stdout!.on('data', (d) => {
      output += String(d);
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        ready();
      }
    });
    child.once('exit', (code) => fail(new Error(`redis-server exited ${code}:\n${output}`)));
  });
  return child;
}
