import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureCifar10, isSyntheticCifar10, loadCifar10, loadCifar10Test, readCifar10Batch, resolveCifar10Dir } from '../../src/data/cifar10.js';
import { ChecksumError } from '../../src/data/download.js';
import { UnsafeArchiveError } from '../../src/data/extract.js';
import type { ImageSet } from '../../src/data/types.js';
import { buildArchive, makeBatch, md5, rawArchive, RECORD, sendFile, sendPrefix, serve, tempDir, TRAIN_FILES, writeBatches, type Served } from './helpers.js';

let dir: { path: string; cleanup: () => void };
let server: Served | undefined;

beforeEach(() => {
  dir = tempDir();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  dir.cleanup();
});

/** The id makeBatch hid in the first two red pixels (NHWC offsets 0 and 3). */
const idOf = (set: ImageSet, i: number) => set.images[i * 3072] | (set.images[i * 3072 + 3] << 8);
const ids = (set: ImageSet) => Array.from({ length: set.count }, (_, i) => idOf(set, i));

/** Every decoded image must equal its planar source record, pixel by pixel. */
function expectDecodes(set: ImageSet, rawById: Map<number, Buffer>): void {
  for (let i = 0; i < set.count; i++) {
    const raw = rawById.get(idOf(set, i))!;
    expect(set.labels[i]).toBe(raw[0]);
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++)
        for (let c = 0; c < 3; c++) {
          const got = set.images[i * 3072 + (y * 32 + x) * 3 + c];
          const want = raw[1 + c * 1024 + y * 32 + x];
          if (got !== want) throw new Error(`image ${i} pixel (${y},${x},${c}): ${got} != ${want}`);
        }
  }
}

function recordsById(batches: Iterable<Buffer>): Map<number, Buffer> {
  const m = new Map<number, Buffer>();
  for (const b of batches)
    for (let off = 0; off < b.length; off += RECORD) {
      const rec = b.subarray(off, off + RECORD);
      m.set(rec[1] | (rec[2] << 8), rec);
    }
  return m;
}

async function officialLike(perBatch: number) {
  const src = join(dir.path, 'src');
  const files = writeBatches(src, perBatch);
  const archive = await buildArchive(src, join(dir.path, 'built.tar.gz'));
  return { files, archive };
}

const FAST = { allowHttp: true, backoffMs: 5, retries: 3 };

describe('ensureCifar10', () => {
  it('downloads, verifies, extracts and parses; a second call reuses the cache', async () => {
    const { files, archive } = await officialLike(10);
    server = await serve((req, res) => sendFile(req, res, archive));
    const cache = join(dir.path, 'cache');
    let last = { bytes: 0, total: undefined as number | undefined };
    const got = await ensureCifar10({ ...FAST, dataDir: cache, url: server.url, md5: md5(archive), onProgress: (bytes, total) => (last = { bytes, total }) });
    expect(got).toBe(join(cache, 'cifar-10-batches-bin'));
    expect(last).toEqual({ bytes: archive.length, total: archive.length });
    expect(readdirSync(cache)).toEqual(['cifar-10-batches-bin']);
    expect(readdirSync(got).sort()).toEqual([...files.keys()].sort());

    const { train, val } = loadCifar10(got);
    expect([train.count, val.count]).toEqual([40, 10]);
    expect([train.height, train.width, train.channels]).toEqual([32, 32, 3]);
    expectDecodes(train, recordsById(TRAIN_FILES.map((f) => files.get(f)!)));
    expectDecodes(val, recordsById(TRAIN_FILES.map((f) => files.get(f)!)));
    const test = loadCifar10Test(got);
    expect(test.count).toBe(10);
    expectDecodes(test, recordsById([files.get('test_batch.bin')!]));

    expect(await ensureCifar10({ ...FAST, dataDir: cache, url: server.url, md5: md5(archive) })).toBe(got);
    expect(server.requests).toHaveLength(1);
  });

  it('resumes the archive after a dropped connection and extracts it intact', async () => {
    const { files, archive } = await officialLike(10);
    const half = Math.floor(archive.length / 2);
    server = await serve((req, res, n) => (n === 0 ? sendPrefix(res, archive, half, 'drop') : sendFile(req, res, archive)));
    const got = await ensureCifar10({ ...FAST, dataDir: join(dir.path, 'cache'), url: server.url, md5: md5(archive) });
    expect(server.requests[1].range).toMatch(/^bytes=[1-9]\d*-$/);
    for (const [name, buf] of files) expect(readFileSync(join(got, name)).equals(buf)).toBe(true);
  });

  it('on a wrong checksum leaves nothing a later run would accept, and a later run recovers', async () => {
    const { archive } = await officialLike(10);
    server = await serve((req, res) => sendFile(req, res, archive));
    const cache = join(dir.path, 'cache');
    const err = await ensureCifar10({ ...FAST, dataDir: cache, url: server.url, md5: 'f'.repeat(32) }).catch((e) => e);
    expect(err).toBeInstanceOf(ChecksumError);
    expect(err.message).toMatch(/checksum mismatch .* expected md5 f{32}, got [0-9a-f]{32}; the downloaded file was deleted/);
    expect(readdirSync(cache)).toEqual([]);
    expect(resolveCifar10Dir({ dataDir: cache }).batchesDir).toBeUndefined();

    await ensureCifar10({ ...FAST, dataDir: cache, url: server.url, md5: md5(archive) });
    expect(server.requests.map((r) => r.range)).toEqual([undefined, undefined]);
  });

  it('deletes a verified but hostile archive after refusing it', async () => {
    const evil = rawArchive([
      { path: 'cifar-10-batches-bin/data_batch_1.bin', body: makeBatch(2) },
      { path: 'cifar-10-batches-bin/../../evil', body: Buffer.from('pwned') },
    ]);
    server = await serve((req, res) => sendFile(req, res, evil));
    const cache = join(dir.path, 'deep', 'cache');
    const err = await ensureCifar10({ ...FAST, dataDir: cache, url: server.url, md5: md5(evil) }).catch((e) => e);
    expect(err).toBeInstanceOf(UnsafeArchiveError);
    expect(readdirSync(cache)).toEqual([]);
    expect(existsSync(join(dir.path, 'evil'))).toBe(false);
  });

  it('refuses plain http without allowHttp, before any request', async () => {
    server = await serve((_req, res) => res.end());
    await expect(ensureCifar10({ dataDir: join(dir.path, 'cache'), url: server.url })).rejects.toThrow(/refusing to download over plain http/);
    expect(server.requests).toHaveLength(0);
  });

  it('will not download over an incomplete batches directory', async () => {
    const cache = join(dir.path, 'cache');
    mkdirSync(join(cache, 'cifar-10-batches-bin'), { recursive: true });
    writeFileSync(join(cache, 'cifar-10-batches-bin', 'data_batch_1.bin'), makeBatch(1));
    server = await serve((_req, res) => res.end());
    await expect(ensureCifar10({ ...FAST, dataDir: cache, url: server.url })).rejects.toThrow(
      /cifar-10-batches-bin exists but lacks data_batch_2.bin, data_batch_3.bin, data_batch_4.bin, data_batch_5.bin/,
    );
    expect(server.requests).toHaveLength(0);
  });
});

describe('resolveCifar10Dir', () => {
  it('prefers --data-dir, then NASCENT_DATA, then ~/.cache/nascent/cifar-10', () => {
    const env = { HOME: '/home/someone', NASCENT_DATA: '/data/env' };
    expect(resolveCifar10Dir({ dataDir: '/data/flag', env }).cacheDir).toBe('/data/flag');
    expect(resolveCifar10Dir({ env }).cacheDir).toBe('/data/env');
    expect(resolveCifar10Dir({ env: { HOME: '/home/someone' } }).cacheDir).toBe('/home/someone/.cache/nascent/cifar-10');
    expect(resolveCifar10Dir({ dataDir: '~/c10', env }).cacheDir).toBe('/home/someone/c10');
    expect(resolveCifar10Dir({ env }).batchesDir).toBeUndefined();
  });

  it('uses a directory holding the batches as it is, or its cifar-10-batches-bin', () => {
    writeBatches(dir.path, 1);
    const inner = join(dir.path, 'cifar-10-batches-bin');
    expect(resolveCifar10Dir({ dataDir: dir.path, env: {} })).toEqual({ cacheDir: dir.path, batchesDir: inner });
    expect(resolveCifar10Dir({ dataDir: inner, env: {} })).toEqual({ cacheDir: inner, batchesDir: inner });
  });
});

describe('parsing', () => {
  it('names the file and its size when a batch is truncated', () => {
    writeBatches(dir.path, 3);
    const file = join(dir.path, 'cifar-10-batches-bin', 'data_batch_4.bin');
    writeFileSync(file, readFileSync(file).subarray(0, 3 * RECORD - 100));
    const dataDir = join(dir.path, 'cifar-10-batches-bin');
    expect(() => loadCifar10(dataDir)).toThrow(`CIFAR-10 batch ${file} has 9119 bytes, not a multiple of the 3073-byte record`);
    expect(() => readCifar10Batch(file)).toThrow(/data_batch_4.bin has 9119 bytes/);
  });

  it('names the file and record of an out-of-range label', () => {
    writeBatches(dir.path, 3);
    const file = join(dir.path, 'cifar-10-batches-bin', 'test_batch.bin');
    const buf = readFileSync(file);
    buf[2 * RECORD] = 10;
    writeFileSync(file, buf);
    expect(() => loadCifar10Test(join(dir.path, 'cifar-10-batches-bin'))).toThrow(`CIFAR-10 batch ${file}: record 2 has label 10, expected 0..9`);
  });

  it('reports a missing batch by name', () => {
    expect(() => loadCifar10(dir.path)).toThrow(`CIFAR-10 batch ${join(dir.path, 'data_batch_1.bin')} does not exist`);
  });
});

describe('loadCifar10 split', () => {
  let batches: string;
  beforeEach(() => {
    writeBatches(dir.path, 20);
    batches = join(dir.path, 'cifar-10-batches-bin');
  });

  it('is a disjoint 80/20 cover of the training records, with matching labels', () => {
    const { train, val } = loadCifar10(batches, { splitSeed: 3 });
    expect([train.count, val.count]).toEqual([80, 20]);
    const t = ids(train);
    const v = ids(val);
    expect(new Set([...t, ...v]).size).toBe(100);
    expect([...t, ...v].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    t.forEach((id, i) => expect(train.labels[i]).toBe(id % 10));
    v.forEach((id, i) => expect(val.labels[i]).toBe(id % 10));
  });

  it('is deterministic in the seed and differs across seeds', () => {
    const a = loadCifar10(batches, { splitSeed: 11 });
    const b = loadCifar10(batches, { splitSeed: 11 });
    const c = loadCifar10(batches, { splitSeed: 12 });
    expect(ids(a.val)).toEqual(ids(b.val));
    expect(Buffer.from(a.train.images).equals(Buffer.from(b.train.images))).toBe(true);
    expect(ids(c.val)).not.toEqual(ids(a.val));
  });

  it('takes limits as prefixes of each side, so a limited val never meets any train', () => {
    const full = loadCifar10(batches, { splitSeed: 5 });
    const small = loadCifar10(batches, { splitSeed: 5, trainLimit: 7, valLimit: 4 });
    expect(ids(small.train)).toEqual(ids(full.train).slice(0, 7));
    expect(ids(small.val)).toEqual(ids(full.val).slice(0, 4));
    expect(small.train.images.length).toBe(7 * 3072);
    const trainIds = new Set(ids(full.train));
    expect(ids(small.val).some((id) => trainIds.has(id))).toBe(false);
    // Limits past a side's size keep the whole side.
    expect(loadCifar10(batches, { splitSeed: 5, trainLimit: 1000 }).train.count).toBe(80);
  });

  it('honours valFraction and rejects bad options', () => {
    const { train, val } = loadCifar10(batches, { valFraction: 0.1 });
    expect([train.count, val.count]).toEqual([90, 10]);
    expect(() => loadCifar10(batches, { valFraction: 1 })).toThrow(/valFraction must be in \(0, 1\)/);
    expect(() => loadCifar10(batches, { trainLimit: 0 })).toThrow(/trainLimit must be a positive integer, got 0/);
    expect(() => loadCifar10(batches, { valLimit: 2.5 })).toThrow(/valLimit must be a positive integer/);
  });
});

describe('the shared synthetic generator', () => {
  it('produces a set this loader reads in the official layout', () => {
    const out = join(dir.path, 'synth');
    execFileSync(process.execPath, ['/work/shared/data/make-synthetic-cifar.mjs', out, '--per-batch', '200'], { stdio: 'pipe' });
    const { batchesDir } = resolveCifar10Dir({ dataDir: out, env: {} });
    expect(batchesDir).toBe(join(out, 'cifar-10-batches-bin'));
    expect(isSyntheticCifar10(batchesDir!)).toBe(true);
    const { train, val } = loadCifar10(batchesDir!, { splitSeed: 1 });
    expect([train.count, val.count]).toEqual([800, 200]);
    const classes = new Set(val.labels);
    expect(classes.size).toBe(10);
    expect(loadCifar10Test(batchesDir!).count).toBe(200);
  });
});
