// The download path as a user meets it: a mirror given on the command line, served over plain http
// from this process on 127.0.0.1 (no internet), refused unless --allow-http is given.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArchive, md5, sendFile, serve, type Served } from '../data/helpers.js';
import { writeLearnableCifar } from '../helpers/learnable-cifar.js';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin', 'nascent.mjs');

// Asynchronous: the server answering the child lives in this process's event loop.
function nascent(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => res({ code, out, err }));
  });
}

let work: string;
let archive: Buffer;
let server: Served;
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'nascent-cli-download-'));
  writeLearnableCifar(join(work, 'src'), 20);
  archive = await buildArchive(join(work, 'src'), join(work, 'mirror.tar.gz'));
  // The mirror is overloaded once (503), then serves the archive.
  server = await serve((req, res, attempt) => {
    if (attempt === 0) {
      res.writeHead(503, { 'retry-after': '0' }).end();
      return;
    }
    sendFile(req, res, archive);
  });
});
afterAll(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('nascent search with --data-url', () => {
  it('refuses a plain-http mirror without --allow-http, before any request', async () => {
    const r = await nascent(['search', 'cifar10', '--data-url', server.url, '--data-dir', join(work, 'refused'), '--episodes', '1']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`--data-url ${server.url} is plain http; pass --allow-http to use it`);
    expect(server.requests).toHaveLength(0);
    const bad = await nascent(['search', 'cifar10', '--data-url', 'ftp://example.org/x.tgz', '--data-md5', 'abc']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--data-url: only https \(or http with --allow-http\) URLs, got ftp:/);
  });

  it('downloads through a 503, checks the md5, extracts, and searches on it', async () => {
    const cache = join(work, 'cache');
    const r = await nascent([
      'search',
      'cifar10',
      '--data-url',
      server.url,
      '--allow-http',
      '--data-md5',
      md5(archive),
      '--data-dir',
      cache,
      '--episodes',
      '1',
      '--epochs',
      '1',
      '--batch-size',
      '16',
      '--train-limit',
      '32',
      '--val-limit',
      '16',
      '--blocks',
      '1',
      '--channels',
      '1,2,2,2,2',
      '--backend',
      'cpu',
      '--seed',
      '1',
      '--out',
      join(work, 'run'),
    ]);
    expect(r.code).toBe(0);
    // Progress goes to stderr, away from the run's output.
    expect(r.err).toMatch(/downloading CIFAR-10: 100% \(0\.3\/0\.3 MB\)\n$/);
    expect(r.out).toContain(`downloading CIFAR-10 from ${server.url}`);
    expect(r.out).toMatch(/finished 1 episodes/);
    expect(server.requests.length).toBe(2);
    expect(readdirSync(cache)).toEqual(['cifar-10-batches-bin']);
    expect(existsSync(join(work, 'run', 'best-cells.json'))).toBe(true);
  });
});
