import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChecksumError, DownloadError, downloadFile } from '../../src/data/download.js';
import { makeBatch, md5, sendFile, sendPrefix, serve, tempDir, type Served } from './helpers.js';

// ~300 KB of noise: several socket chunks, so "half-way" is a real mid-body cut.
const BODY = makeBatch(100);
const FAST = { allowHttp: true, backoffMs: 5, retries: 3 };

let dir: { path: string; cleanup: () => void };
let server: Served | undefined;
let dest: string;

beforeEach(() => {
  dir = tempDir();
  dest = join(dir.path, 'file.bin');
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  dir.cleanup();
});

describe('downloadFile', () => {
  it('downloads, reports monotone progress up to the total, verifies md5 and leaves no .part', async () => {
    server = await serve((req, res) => sendFile(req, res, BODY));
    const seen: { bytes: number; total: number | undefined }[] = [];
    await downloadFile({ ...FAST, url: server.url, dest, md5: md5(BODY), onProgress: (bytes, total) => seen.push({ bytes, total }) });
    expect(readFileSync(dest).equals(BODY)).toBe(true);
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(seen.at(-1)).toEqual({ bytes: BODY.length, total: BODY.length });
    for (let i = 1; i < seen.length; i++) expect(seen[i].bytes).toBeGreaterThanOrEqual(seen[i - 1].bytes);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0].range).toBeUndefined();
  });

  it('resumes a connection dropped half-way with a Range request', async () => {
    const half = Math.floor(BODY.length / 2);
    server = await serve((req, res, n) => (n === 0 ? sendPrefix(res, BODY, half, 'drop') : sendFile(req, res, BODY)));
    const logs: string[] = [];
    await downloadFile({ ...FAST, url: server.url, dest, md5: md5(BODY), log: (m) => logs.push(m) });
    expect(readFileSync(dest).equals(BODY)).toBe(true);
    expect(server.requests).toHaveLength(2);
    const range = /^bytes=(\d+)-$/.exec(server.requests[1].range ?? '');
    expect(range).not.toBeNull();
    // It resumed from what the first attempt had stored, not from zero.
    expect(Number(range![1])).toBeGreaterThan(0);
    expect(Number(range![1])).toBeLessThanOrEqual(half);
  });

  it('resumes a partial file left by an earlier run', async () => {
    writeFileSync(`${dest}.part`, BODY.subarray(0, 1000));
    server = await serve((req, res) => sendFile(req, res, BODY));
    await downloadFile({ ...FAST, url: server.url, dest, md5: md5(BODY) });
    expect(server.requests.map((r) => r.range)).toEqual(['bytes=1000-']);
    expect(readFileSync(dest).equals(BODY)).toBe(true);
  });

  it('finishes without a body when the partial file is already whole (416)', async () => {
    writeFileSync(`${dest}.part`, BODY);
    server = await serve((req, res) => sendFile(req, res, BODY));
    await downloadFile({ ...FAST, url: server.url, dest, md5: md5(BODY) });
    expect(server.requests).toHaveLength(1);
    expect(readFileSync(dest).equals(BODY)).toBe(true);
  });

  it('starts over from zero when the server ignores Range and answers 200', async () => {
    const half = Math.floor(BODY.length / 2);
    server = await serve((_req, res, n) => {
      if (n === 0) return sendPrefix(res, BODY, half, 'drop');
      res.writeHead(200, { 'content-length': BODY.length });
      res.end(BODY);
    });
    const logs: string[] = [];
    await downloadFile({ ...FAST, url: server.url, dest, md5: md5(BODY), log: (m) => logs.push(m) });
    expect(server.requests[1].range).toMatch(/^bytes=\d+-$/);
    expect(readFileSync(dest).equals(BODY)).toBe(true);
    expect(logs.join('\n')).toMatch(/ignored the resume request/);
  });

  it('retries 503 with backoff, then succeeds', async () => {
    server = await serve((req, res, n) => {
      if (n < 2) {
        res.writeHead(503);
        res.end('busy');
        return;
      }
      sendFile(req, res, BODY);
    });
    const logs: string[] = [];
    await downloadFile({ ...FAST, url: server.url, dest, md5: md5(BODY), log: (m) => logs.push(m) });
    expect(server.requests).toHaveLength(3);
    expect(readFileSync(dest).equals(BODY)).toBe(true);
    expect(logs.filter((m) => /HTTP 503/.test(m))).toHaveLength(2);
  });

  it('gives up after the configured retries with a clear error', async () => {
    server = await serve((_req, res) => {
      res.writeHead(503);
      res.end();
    });
    await expect(downloadFile({ ...FAST, retries: 2, url: server.url, dest })).rejects.toThrow(/failed after 3 attempts without progress: HTTP 503/);
    expect(server.requests).toHaveLength(3);
    expect(existsSync(dest)).toBe(false);
  });

  it('does not retry a 404', async () => {
    server = await serve((_req, res) => {
      res.writeHead(404);
      res.end();
    });
    await expect(downloadFile({ ...FAST, url: server.url, dest })).rejects.toThrow(/HTTP 404/);
    expect(server.requests).toHaveLength(1);
  });

  it('times out a stalled body, then resumes and succeeds', async () => {
    const half = Math.floor(BODY.length / 2);
    server = await serve((req, res, n) => (n === 0 ? sendPrefix(res, BODY, half, 'stall') : sendFile(req, res, BODY)));
    const logs: string[] = [];
    const t0 = Date.now();
    await downloadFile({ ...FAST, readTimeoutMs: 150, url: server.url, dest, md5: md5(BODY), log: (m) => logs.push(m) });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(readFileSync(dest).equals(BODY)).toBe(true);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1].range).toMatch(/^bytes=\d+-$/);
    expect(logs.join('\n')).toMatch(/timeout/i);
  });

  it('retries a body shorter than its Content-Length, then fails clearly', async () => {
    // Promises more than it sends and ignores Range, so no attempt ever makes net progress.
    server = await serve((_req, res) => sendPrefix(res, BODY, 5000, 'drop'));
    const err = await downloadFile({ ...FAST, retries: 2, url: server.url, dest, md5: md5(BODY) }).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toMatch(/failed after 3 attempts without progress/);
    expect(server.requests).toHaveLength(3);
    expect(existsSync(dest)).toBe(false);
  });

  it('removes the file and throws ChecksumError on an md5 mismatch', async () => {
    server = await serve((req, res) => sendFile(req, res, BODY));
    const err = await downloadFile({ ...FAST, url: server.url, dest, md5: '0'.repeat(32) }).catch((e) => e);
    expect(err).toBeInstanceOf(ChecksumError);
    expect(err.message).toMatch(/expected md5 0{32}, got [0-9a-f]{32}/);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('refuses plain http unless allowHttp is passed, before any request', async () => {
    server = await serve((req, res) => sendFile(req, res, BODY));
    await expect(downloadFile({ url: server.url, dest })).rejects.toThrow(/refusing to download over plain http/);
    await expect(downloadFile({ url: 'ftp://example.invalid/x', dest })).rejects.toThrow(/unsupported URL scheme/);
    expect(server.requests).toHaveLength(0);
  });

  it('follows a redirect but holds the new location to the same scheme rule', async () => {
    server = await serve((req, res) => {
      if (req.url === '/moved') {
        res.writeHead(302, { location: '/cifar-10-binary.tar.gz' });
        res.end();
        return;
      }
      sendFile(req, res, BODY);
    });
    const moved = server.url.replace(/\/[^/]*$/, '/moved');
    await downloadFile({ ...FAST, url: moved, dest, md5: md5(BODY) });
    expect(readFileSync(dest).equals(BODY)).toBe(true);
    expect(server.requests.map((r) => r.url)).toEqual(['/moved', '/cifar-10-binary.tar.gz']);
  });
});
