// Fixtures for the data tests: tiny batches in the official record layout, archives built with
// the tar package (well-formed or hand-crafted hostile ones), and a loopback HTTP server.

import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar';
import { Rng } from '../../src/util/random.js';

export const RECORD = 3073;

export function tempDir(prefix = 'nascent-data-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export function md5(buf: Buffer): string {
  return createHash('md5').update(buf).digest('hex');
}

/**
 * A batch of `records` records. Labels run (first + r) % 10; the first two pixel bytes of the red
 * plane hold the record's global id (first + r) so tests can tell images apart after shuffling;
 * the rest are seeded noise (incompressible, so archives stay above any decompression-ratio guard).
 */
export function makeBatch(records: number, first = 0, seed = 7): Buffer {
  const rng = new Rng(seed + first);
  const buf = Buffer.alloc(records * RECORD);
  for (let r = 0; r < records; r++) {
    const off = r * RECORD;
    const id = first + r;
    buf[off] = id % 10;
    for (let p = 1; p < RECORD; p++) buf[off + p] = rng.nextUint32() & 0xff;
    buf[off + 1] = id & 0xff;
    buf[off + 2] = (id >> 8) & 0xff;
  }
  return buf;
}

export const TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);

/** Writes ROOT/cifar-10-batches-bin in the official layout; returns the batches by file name. */
export function writeBatches(root: string, perBatch: number): Map<string, Buffer> {
  const dir = join(root, 'cifar-10-batches-bin');
  mkdirSync(dir, { recursive: true });
  const files = new Map<string, Buffer>();
  TRAIN_FILES.forEach((f, b) => files.set(f, makeBatch(perBatch, b * perBatch)));
  files.set('test_batch.bin', makeBatch(perBatch, 60_000));
  files.set('batches.meta.txt', Buffer.from('airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n'));
  files.set('readme.html', Buffer.from('<html>tiny</html>\n'));
  for (const [name, buf] of files) writeFileSync(join(dir, name), buf);
  return files;
}

/** A tar.gz of ROOT/cifar-10-batches-bin, made with the tar package as the real one would be. */
export async function buildArchive(root: string, out: string): Promise<Buffer> {
  await tar.c({ gzip: true, file: out, cwd: root, portable: true }, ['cifar-10-batches-bin']);
  return readFileSync(out);
}

export interface RawEntry {
  path: string;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link';
  body?: Buffer;
  /** Declared size when it should differ from the body (to fake an absurd member). */
  size?: number;
  linkpath?: string;
}

/** A tar.gz written header by header, so it can hold entries `tar.c` would never produce. */
export function rawArchive(entries: RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = e.body ?? Buffer.alloc(0);
    const h = new tar.Header({
      path: e.path,
      type: e.type ?? 'File',
      size: e.size ?? body.length,
      mode: e.type === 'Directory' ? 0o755 : 0o644,
      mtime: new Date(0),
      linkpath: e.linkpath,
      uid: 0,
      gid: 0,
    });
    const block = Buffer.alloc(512);
    h.encode(block);
    blocks.push(block, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

export interface Served {
  url: string;
  requests: { url: string; range: string | undefined }[];
  close: () => Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, attempt: number) => void;

/** A loopback server on an ephemeral port; `close` also ends stalled connections. */
export async function serve(handler: Handler): Promise<Served> {
  const requests: Served['requests'] = [];
  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', range: req.headers.range });
    handler(req, res, requests.length - 1);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/cifar-10-binary.tar.gz`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Serves `body` as a well-behaved server would, honouring a `bytes=N-` Range. */
export function sendFile(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (m) {
    const start = Number(m[1]);
    if (start >= body.length) {
      res.writeHead(416, { 'content-range': `bytes */${body.length}` });
      res.end();
      return;
    }
    res.writeHead(206, {
      'content-length': body.length - start,
      'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
    });
    res.end(body.subarray(start));
    return;
  }
  res.writeHead(200, { 'content-length': body.length });
  res.end(body);
}

/** Sends headers promising the whole body, then only its first `cut` bytes, then `after`. */
export function sendPrefix(res: ServerResponse, body: Buffer, cut: number, after: 'drop' | 'stall'): void {
  res.writeHead(200, { 'content-length': body.length });
  res.write(body.subarray(0, cut), () => {
    // Give the bytes time to reach the client's .part file before the connection dies (20 ms was
    // too little on a loaded machine: the drop came before any byte was on disk, so no Range followed).
    if (after === 'drop') setTimeout(() => res.socket?.destroy(), 200);
  });
}
