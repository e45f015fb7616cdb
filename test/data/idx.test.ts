// The IDX parser and the MNIST / Fashion-MNIST loader: every malformed file is an error naming it;
// downloads come from a loopback server (checksums, resume, a damaged cache); splits are disjoint,
// seeded and leave the test files apart; the real Fashion-MNIST of Debian's package where installed.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/data/datasets.js';
import { ChecksumError } from '../../src/data/download.js';
import { IdxFormatError, parseIdx, readIdxGz } from '../../src/data/idx.js';
import { ensureIdxDataset, FASHION_MNIST, idxImageSet, IdxChecksumError, loadIdxDataset, loadIdxFinal, type IdxDatasetSpec } from '../../src/data/mnist.js';
import { Rng } from '../../src/util/random.js';
import { md5, sendFile, sendPrefix, serve, tempDir, type Served } from './helpers.js';

/** An IDX file of unsigned bytes with these dimensions and values. */
function idx(dims: number[], values: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, values]);
}

/** `n` 28x28 images whose first two pixels hold the image's id and whose label is id % 10. */
function mnistLike(n: number, first: number): { images: Buffer; labels: Buffer } {
  const rng = new Rng(first + 1);
  const pixels = new Uint8Array(n * 784);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < 784; p++) pixels[i * 784 + p] = rng.nextUint32() & 0xff;
    const id = first + i;
    pixels[i * 784] = id & 0xff;
    pixels[i * 784 + 1] = id >> 8;
    labels[i] = id % 10;
  }
  return { images: idx([n, 28, 28], pixels), labels: idx([n], labels) };
}

describe('parseIdx', () => {
  it('reads dimensions and values', () => {
    const a = parseIdx(idx([2, 3], Uint8Array.from([1, 2, 3, 4, 5, 6])), 'x');
    expect(a.dims).toEqual([2, 3]);
    expect([...a.data]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('names the file and what is wrong', () => {
    const good = idx([2, 2], Uint8Array.from([1, 2, 3, 4]));
    const bad = (bytes: Buffer) => () => parseIdx(bytes, 'f.idx');
    expect(bad(Buffer.from([0, 0]))).toThrow(/f\.idx is not a valid IDX file: 2 bytes, shorter than the 4-byte magic number/);
    expect(bad(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]))).toThrow(/magic number starts 1f 8b, expected 00 00/);
    const float = Buffer.from(good);
    float[2] = 0x0d;
    expect(bad(float)).toThrow(/value type 0d, expected 08/);
    expect(bad(good.subarray(0, 9))).toThrow(/truncated in its header/);
    expect(bad(good.subarray(0, good.length - 1))).toThrow(/truncated: 2 x 2 needs 4 bytes of values, the file holds 3/);
    expect(bad(Buffer.concat([good, Buffer.from([9])]))).toThrow(/1 stray bytes after the 2 x 2 values/);
    expect(bad(idx([0, 2], new Uint8Array(0)))).toThrow(/a zero dimension/);
    expect(bad(good)).not.toThrow();
    expect(bad(float)).toThrow(IdxFormatError);
  });

  it('refuses a damaged gzip file by name', () => {
    const dir = tempDir();
    try {
      const gz = gzipSync(idx([4], Uint8Array.from([1, 2, 3, 4])));
      writeFileSync(join(dir.path, 'cut.gz'), gz.subarray(0, gz.length - 6));
      writeFileSync(join(dir.path, 'plain.gz'), idx([4], Uint8Array.from([1, 2, 3, 4])));
      expect(() => readIdxGz(join(dir.path, 'cut.gz'))).toThrow(/cut\.gz is a damaged or truncated gzip file/);
      expect(() => readIdxGz(join(dir.path, 'plain.gz'))).toThrow(/plain\.gz is not a gzip file/);
    } finally {
      dir.cleanup();
    }
  });

  it('checks images against labels', () => {
    const { images, labels } = mnistLike(3, 0);
    expect(idxImageSet(images, labels, { images: 'i', labels: 'l' }, 10)).toMatchObject({ count: 3, height: 28, width: 28, channels: 1 });
    expect(() => idxImageSet(images, idx([2], Uint8Array.from([0, 1])), { images: 'i', labels: 'l' }, 10)).toThrow(/l holds 2 labels but i holds 3 images/);
    expect(() => idxImageSet(images, idx([3], Uint8Array.from([0, 1, 10])), { images: 'i', labels: 'l' }, 10)).toThrow(/l: label 2 is 10, expected 0\.\.9/);
    expect(() => idxImageSet(labels, labels, { images: 'i', labels: 'l' }, 10)).toThrow(/i holds a 3 array, expected images x rows x columns/);
  });
});

describe('the MNIST-format loader', () => {
  let dir: { path: string; cleanup: () => void };
  let server: Served | undefined;
  const TRAIN = 50;
  const TEST = 20;
  let files: Map<string, Buffer>;
  let spec: IdxDatasetSpec;

  beforeEach(() => {
    dir = tempDir();
    const train = mnistLike(TRAIN, 0);
    const test = mnistLike(TEST, 1000);
    files = new Map([
      ['train-images-idx3-ubyte.gz', gzipSync(train.images)],
      ['train-labels-idx1-ubyte.gz', gzipSync(train.labels)],
      ['t10k-images-idx3-ubyte.gz', gzipSync(test.images)],
      ['t10k-labels-idx1-ubyte.gz', gzipSync(test.labels)],
    ]);
    const raw = new Map([
      ['train-images-idx3-ubyte.gz', train.images],
      ['train-labels-idx1-ubyte.gz', train.labels],
      ['t10k-images-idx3-ubyte.gz', test.images],
      ['t10k-labels-idx1-ubyte.gz', test.labels],
    ]);
    const f = (name: string) => ({ name, md5: md5(files.get(name)!), rawMd5: md5(raw.get(name)!) });
    spec = {
      ...FASHION_MNIST,
      trainImages: f('train-images-idx3-ubyte.gz'),
      trainLabels: f('train-labels-idx1-ubyte.gz'),
      testImages: f('t10k-images-idx3-ubyte.gz'),
      testLabels: f('t10k-labels-idx1-ubyte.gz'),
      systemDirs: [join(dir.path, 'no-package')],
    };
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    dir.cleanup();
  });

  const ids = (s: { images: Uint8Array; count: number }) => Array.from({ length: s.count }, (_, i) => s.images[i * 784] | (s.images[i * 784 + 1] << 8));

  it('downloads the four files, resuming a dropped one, and splits them disjointly with the test set apart', async () => {
    const dropped = new Set<string>();
    server = await serve((req, res) => {
      const name = req.url!.split('/').pop()!;
      const body = files.get(name);
      if (!body) return void res.writeHead(404).end();
      // The first request for the big file dies halfway: the next one resumes with a Range.
      if (name.startsWith('train-images') && !dropped.has(name)) {
        dropped.add(name);
        return sendPrefix(res, body, Math.floor(body.length / 2), 'drop');
      }
      sendFile(req, res, body);
    });
    const base = server.url.replace(/[^/]+$/, 'mnist/');
    const cache = join(dir.path, 'cache');
    const logs: string[] = [];
    const s = await loadIdxDataset(spec, { dataDir: cache, url: base, allowHttp: true, backoffMs: 1, log: (m) => logs.push(m), splitSeed: 3 });
    expect(server.requests.map((r) => r.url)).toContain('/mnist/train-images-idx3-ubyte.gz');
    expect(server.requests.some((r) => r.range !== undefined)).toBe(true);
    expect(s.train.count + s.val.count).toBe(TRAIN);
    expect(s.val.count).toBe(10);
    expect(s.test.count).toBe(TEST);
    const train = ids(s.train);
    const val = ids(s.val);
    expect(new Set([...train, ...val]).size).toBe(TRAIN);
    expect(ids(s.test).every((id) => id >= 1000)).toBe(true);
    expect(s.train.labels[0]).toBe(train[0] % 10);
    // Seeded: the same split again (from the cache, no request), another seed another split.
    const requests = server.requests.length;
    const again = await loadIdxDataset(spec, { dataDir: cache, splitSeed: 3, trainLimit: 7, valLimit: 4 });
    expect(server.requests.length).toBe(requests);
    expect(ids(again.train)).toEqual(train.slice(0, 7));
    expect(ids(again.val)).toEqual(val.slice(0, 4));
    expect(ids((await loadIdxDataset(spec, { dataDir: cache, splitSeed: 4 })).train)).not.toEqual(train);
    const final = await loadIdxFinal(spec, { dataDir: cache, limit: 30, seed: 1 });
    expect(final.train.count).toBe(30);
    expect(final.test.count).toBe(TEST);
  });

  it('refuses a download that fails its checksum and replaces a damaged cached file', async () => {
    const corrupt = Buffer.from(files.get('t10k-labels-idx1-ubyte.gz')!);
    corrupt[corrupt.length - 5] ^= 0xff;
    let serveCorrupt = true;
    server = await serve((req, res) => {
      const name = req.url!.split('/').pop()!;
      sendFile(req, res, name.startsWith('t10k-labels') && serveCorrupt ? corrupt : files.get(name)!);
    });
    const base = server.url.replace(/[^/]+$/, '');
    const cache = join(dir.path, 'cache');
    await expect(loadIdxDataset(spec, { dataDir: cache, url: base, allowHttp: true, backoffMs: 1 })).rejects.toThrow(ChecksumError);
    expect(existsSync(join(cache, 't10k-labels-idx1-ubyte.gz'))).toBe(false);
    // A cached file damaged later is deleted, named and fetched again.
    serveCorrupt = false;
    await loadIdxDataset(spec, { dataDir: cache, url: base, allowHttp: true });
    writeFileSync(join(cache, 'train-labels-idx1-ubyte.gz'), gzipSync(Buffer.from('not idx')));
    const logs: string[] = [];
    const s = await loadIdxDataset(spec, { dataDir: cache, url: base, allowHttp: true, log: (m) => logs.push(m) });
    expect(s.train.count + s.val.count).toBe(TRAIN);
    expect(logs.join('\n')).toMatch(
      /train-labels-idx1-ubyte\.gz fails its checksum: md5 [0-9a-f]{32}, expected [0-9a-f]{32}.*deleting it and downloading it again/,
    );
  });

  it("uses a distribution package's files, accepting a recompressed copy by its decompressed md5, and refuses a different one", async () => {
    const pkg = join(dir.path, 'package');
    mkdirSync(pkg);
    // Recompressed at another level: other .gz bytes, the same IDX file inside.
    for (const [name, gz] of files) writeFileSync(join(pkg, name), gzipSync(gunzipSync(gz), { level: 1 }));
    expect(md5(readFileSync(join(pkg, 'train-images-idx3-ubyte.gz')))).not.toBe(spec.trainImages.md5);
    const logs: string[] = [];
    const { location } = await ensureIdxDataset({ ...spec, systemDirs: [pkg] }, { log: (m) => logs.push(m), env: { HOME: dir.path } });
    expect(location).toEqual({ dir: pkg, system: true });
    expect(logs[0]).toMatch(/installed by a distribution package/);
    writeFileSync(join(pkg, 't10k-images-idx3-ubyte.gz'), gzipSync(mnistLike(TEST, 5000).images));
    await expect(ensureIdxDataset({ ...spec, systemDirs: [pkg] }, { env: { HOME: dir.path } })).rejects.toThrow(IdxChecksumError);
    await expect(ensureIdxDataset({ ...spec, systemDirs: [pkg] }, { env: { HOME: dir.path } })).rejects.toThrow(
      /t10k-images-idx3-ubyte\.gz fails its checksum.*it decompresses to [0-9a-f]{32}/,
    );
  });
});

// Debian's dataset-fashion-mnist (.ci/run installs it). Where it is absent the test skips, saying
// why, and fails under CI=true.
const DEBIAN = FASHION_MNIST.systemDirs[0];
const haveDebian = existsSync(join(DEBIAN, FASHION_MNIST.trainImages.name));
if (!haveDebian) {
  if (process.env.CI) it("has Debian's dataset-fashion-mnist installed", () => void expect.fail(`${DEBIAN} is missing; CI installs dataset-fashion-mnist`));
  else console.warn(`skipping the real Fashion-MNIST test: ${DEBIAN} is not there (apt-get install dataset-fashion-mnist)`);
}

describe.skipIf(!haveDebian)("the real Fashion-MNIST of Debian's package", () => {
  it('is verified against the published checksums and splits 48,000 / 12,000 with the 10,000 test images apart', async () => {
    const s = await loadDataset('fashion-mnist', { env: { HOME: '/nonexistent' } });
    expect(s.source).toBe(DEBIAN);
    expect(s.record).toMatchObject({ dataDir: DEBIAN, systemPackage: true });
    expect([s.train.count, s.val.count, s.test?.count]).toEqual([48_000, 12_000, 10_000]);
    expect(s.shape).toEqual({ height: 28, width: 28, channels: 1 });
    expect(s.classes[9]).toBe('Ankle boot');
    // Fashion-MNIST's test set has exactly 1,000 images of each class.
    const perClass = new Array(10).fill(0);
    for (const l of s.test!.labels) perClass[l]++;
    expect(perClass).toEqual(new Array(10).fill(1000));
    // Nothing of the validation side is in the training side: compare image hashes.
    const key = (set: typeof s.train, i: number) => Buffer.from(set.images.subarray(i * 784, (i + 1) * 784)).toString('base64');
    const train = new Set(Array.from({ length: s.train.count }, (_, i) => key(s.train, i)));
    let shared = 0;
    for (let i = 0; i < s.val.count; i++) if (train.has(key(s.val, i))) shared++;
    // Fashion-MNIST holds a few exact duplicate images; a disjoint split of records can share at most those.
    expect(shared).toBeLessThan(20);
  });
});
