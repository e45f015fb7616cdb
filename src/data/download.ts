// A resumable, verified download of one file. The archive is ~170 MB, so a dropped connection
// resumes from the bytes already on disk (HTTP Range) instead of starting over, a stalled body
// times out instead of hanging a search forever, and nothing unverified ever takes the final name.

import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat, truncate } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request, type Dispatcher } from 'undici';

/**
 * Called as bytes arrive: `bytes` is how much of the file is on disk, resumed bytes included (it
 * drops back to 0 when a server that ignores Range forces a restart); `total` is the whole file's
 * size when the server told it.
 */
export type DownloadProgress = (bytes: number, total: number | undefined) => void;

export interface DownloadOptions {
  url: string;
  /** Final path; the partial file lives at `${dest}.part` until it is complete and verified. */
  dest: string;
  /** Expected md5 (hex). When given, a mismatch removes the partial file and throws ChecksumError. */
  md5?: string;
  /** Expected sha256 (hex), checked the same way. */
  sha256?: string;
  /** Plain http is refused unless this is set (the tests' loopback server needs it). */
  allowHttp?: boolean;
  /** Further attempts after a failure that made no progress (default 4). */
  retries?: number;
  /** Wait before the first retry, doubling each time (default 1000 ms). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Longest silence allowed while reading the body (default 30 s). */
  readTimeoutMs?: number;
  /** Longest wait for the response headers (default 30 s). */
  headersTimeoutMs?: number;
  onProgress?: DownloadProgress;
  log?: (msg: string) => void;
  signal?: AbortSignal;
}

/** How a download goes (not what it fetches): what loaders pass through from their own options. */
export type TransferOptions = Pick<DownloadOptions, 'allowHttp' | 'retries' | 'backoffMs' | 'readTimeoutMs' | 'onProgress' | 'log' | 'signal'>;

/** The transfer settings among a loader's options. */
export function transferOptions(o: TransferOptions): TransferOptions {
  return {
    allowHttp: o.allowHttp,
    retries: o.retries,
    backoffMs: o.backoffMs,
    readTimeoutMs: o.readTimeoutMs,
    onProgress: o.onProgress,
    log: o.log,
    signal: o.signal,
  };
}

export class DownloadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DownloadError';
  }
}

export class ChecksumError extends DownloadError {
  constructor(message: string) {
    super(message);
    this.name = 'ChecksumError';
  }
}

/** A failure worth another attempt (network trouble, a 5xx, a short body). */
class TransientError extends Error {}

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_INFO',
]);

function isTransient(err: unknown): boolean {
  if (err instanceof TransientError) return true;
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code && (RETRYABLE_CODES.has(code) || code.startsWith('HPE_'))) return true;
  }
  return false;
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  return code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
}

export function checkDownloadUrl(url: string, allowHttp = false): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DownloadError(`not a valid URL: "${url}"`);
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol === 'http:') {
    if (allowHttp) return parsed;
    throw new DownloadError(`refusing to download over plain http (${url}): use an https URL, or pass allowHttp: true`);
  }
  throw new DownloadError(`unsupported URL scheme "${parsed.protocol}" in ${url}: only https (or http with allowHttp) is supported`);
}

export async function md5File(path: string): Promise<string> {
  return hashFile(path, 'md5');
}

export async function hashFile(path: string, algorithm: 'md5' | 'sha256'): Promise<string> {
  const hash = createHash(algorithm);
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

function header(res: Dispatcher.ResponseData, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function parseContentLength(res: Dispatcher.ResponseData): number | undefined {
  const v = header(res, 'content-length');
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  return Number(v);
}

/** `bytes START-END/TOTAL` (TOTAL may be `*`); undefined when malformed. */
function parseContentRange(v: string | undefined): { start: number; end: number; total: number | undefined } | undefined {
  const m = v && /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(v);
  if (!m) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? undefined : Number(m[3]) };
}

/** Seconds from a Retry-After header (delay-seconds form only), in ms. */
function retryAfterMs(res: Dispatcher.ResponseData): number | undefined {
  const v = header(res, 'retry-after');
  return v && /^\d+$/.test(v.trim()) ? Number(v) * 1000 : undefined;
}

class HttpStatusError extends TransientError {
  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
  }
}

async function discard(res: Dispatcher.ResponseData): Promise<void> {
  try {
    await res.body.dump();
  } catch {
    // The body of a response we are throwing away does not matter.
  }
}

/** GET following redirects by hand, so that each hop is held to the same scheme rule. */
async function get(
  url: URL,
  headers: Record<string, string>,
  opts: DownloadOptions,
  dispatcher: Dispatcher,
): Promise<{ res: Dispatcher.ResponseData; url: URL }> {
  let current = url;
  for (let hop = 0; ; hop++) {
    const res = await request(current, { method: 'GET', headers, dispatcher, signal: opts.signal });
    const location = header(res, 'location');
    if (!REDIRECT_STATUS.has(res.statusCode) || !location) return { res, url: current };
    await discard(res);
    if (hop >= MAX_REDIRECTS) throw new DownloadError(`too many redirects (more than ${MAX_REDIRECTS}) from ${url}`);
    const next = new URL(location, current);
    checkDownloadUrl(next.href, opts.allowHttp);
    opts.log?.(`redirected to ${next.href}`);
    current = next;
  }
}

interface AttemptState {
  total: number | undefined;
}

/** One request: appends to (or restarts) the partial file; resolves once it holds the whole body. */
async function attempt(url: URL, part: string, opts: DownloadOptions, dispatcher: Dispatcher, state: AttemptState): Promise<void> {
  const have = await sizeOf(part);
  const headers: Record<string, string> = { 'accept-encoding': 'identity', 'user-agent': 'nascent' };
  if (have > 0) headers.range = `bytes=${have}-`;
  const { res } = await get(url, headers, opts, dispatcher);

  let startAt: number;
  let total: number | undefined;
  if (res.statusCode === 206 && have > 0) {
    const range = parseContentRange(header(res, 'content-range'));
    if (!range || range.start !== have) {
      await discard(res);
      await truncate(part, 0);
      throw new TransientError(`server answered the resume from byte ${have} with Content-Range "${header(res, 'content-range')}"; restarting from zero`);
    }
    startAt = have;
    total = range.total;
  } else if (res.statusCode === 200) {
    if (have > 0) opts.log?.(`server ignored the resume request (200, not 206); downloading again from zero`);
    startAt = 0;
    total = parseContentLength(res);
  } else if (res.statusCode === 416 && have > 0) {
    // Either the partial file is already whole (a previous attempt failed after its last byte) or
    // it is longer than the remote file, which no resume can fix.
    const unsatisfied = /^\s*bytes\s+\*\/(\d+)\s*$/i.exec(header(res, 'content-range') ?? '');
    await discard(res);
    const remoteSize = unsatisfied ? Number(unsatisfied[1]) : state.total;
    if (remoteSize === have) {
      state.total = have;
      opts.onProgress?.(have, have);
      return;
    }
    await truncate(part, 0);
    throw new TransientError(`server refused the resume from byte ${have} (416); restarting from zero`);
  } else {
    await discard(res);
    const what = `HTTP ${res.statusCode} from ${url.href}`;
    if (RETRYABLE_STATUS.has(res.statusCode)) throw new HttpStatusError(what, retryAfterMs(res));
    throw new DownloadError(`download failed: ${what}`);
  }

  if (total !== undefined && state.total !== undefined && total !== state.total) {
    opts.log?.(`remote file size changed from ${state.total} to ${total} bytes`);
  }
  state.total = total;
  const bodyLength = parseContentLength(res);
  let bytes = startAt;
  opts.onProgress?.(bytes, total);
  await pipeline(
    res.body,
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        bytes += chunk.length;
        opts.onProgress?.(bytes, total);
        yield chunk;
      }
    },
    createWriteStream(part, { flags: startAt > 0 ? 'a' : 'w' }),
  );

  const onDisk = await sizeOf(part);
  if (bodyLength !== undefined && onDisk - startAt !== bodyLength) {
    throw new TransientError(`body ended after ${onDisk - startAt} of ${bodyLength} bytes (Content-Length)`);
  }
  if (total !== undefined && onDisk !== total) {
    if (onDisk > total) await truncate(part, 0);
    throw new TransientError(`file has ${onDisk} bytes after the body ended, expected ${total}`);
  }
}

/**
 * Downloads `url` to `dest`, resuming `${dest}.part` when present. Retries transient failures with
 * exponential backoff; an attempt that grows the partial file past its previous best resets the
 * count, so a flaky but progressing connection finishes while a dead one fails after `retries`.
 */
export async function downloadFile(opts: DownloadOptions): Promise<void> {
  const url = checkDownloadUrl(opts.url, opts.allowHttp);
  const retries = opts.retries ?? 4;
  const backoffMs = opts.backoffMs ?? 1000;
  const maxBackoffMs = opts.maxBackoffMs ?? 30_000;
  if (!Number.isInteger(retries) || retries < 0) throw new RangeError(`retries must be a non-negative integer, got ${retries}`);
  if (!(backoffMs >= 0)) throw new RangeError(`backoffMs must be >= 0, got ${backoffMs}`);
  const part = `${opts.dest}.part`;
  const dispatcher = new Agent({
    bodyTimeout: opts.readTimeoutMs ?? 30_000,
    headersTimeout: opts.headersTimeoutMs ?? 30_000,
    connect: { timeout: opts.headersTimeoutMs ?? 30_000 },
  });
  const state: AttemptState = { total: undefined };
  try {
    let best = await sizeOf(part);
    if (best > 0) opts.log?.(`resuming ${url.href} from byte ${best}`);
    for (let failures = 0; ; ) {
      try {
        await attempt(url, part, opts, dispatcher, state);
        break;
      } catch (err) {
        if (opts.signal?.aborted || !isTransient(err)) {
          throw err instanceof DownloadError ? err : new DownloadError(`download of ${url.href} failed: ${describe(err)}`, { cause: err });
        }
        const now = await sizeOf(part);
        if (now > best) {
          best = now;
          failures = 0;
        }
        failures++;
        if (failures > retries) {
          throw new DownloadError(
            `download of ${url.href} failed after ${failures} attempts without progress: ${describe(err)}` +
              (now > 0 ? ` (${now} bytes kept in ${part}; a later run resumes from there)` : ''),
            { cause: err },
          );
        }
        const wait = Math.min(maxBackoffMs, Math.max(backoffMs * 2 ** (failures - 1), err instanceof HttpStatusError ? (err.retryAfterMs ?? 0) : 0));
        opts.log?.(`download attempt failed: ${describe(err)}; retrying in ${wait} ms (${failures}/${retries})`);
        await sleep(wait, undefined, { signal: opts.signal });
      }
    }
  } finally {
    await dispatcher.destroy();
  }

  for (const algorithm of ['md5', 'sha256'] as const) {
    const expected = opts[algorithm]?.toLowerCase();
    if (expected === undefined) continue;
    const actual = await hashFile(part, algorithm);
    if (actual !== expected) {
      await rm(part, { force: true });
      throw new ChecksumError(
        `checksum mismatch for ${url.href}: expected ${algorithm} ${expected}, got ${actual}; the downloaded file was deleted (run again to download it anew)`,
      );
    }
  }
  await rename(part, opts.dest);
}
