import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractCifar10Archive, UnsafeArchiveError } from '../../src/data/extract.js';
import { buildArchive, makeBatch, rawArchive, tempDir, TRAIN_FILES, writeBatches, type RawEntry } from './helpers.js';

let dir: { path: string; cleanup: () => void };
let cache: string;
let archive: string;

beforeEach(() => {
  dir = tempDir();
  // The cache sits one level down, so a traversal would land in dir.path where we can look for it.
  cache = join(dir.path, 'cache');
  archive = join(dir.path, 'archive.tar.gz');
  mkdirSync(cache);
});
afterEach(() => dir.cleanup());

const good = (name: string, records = 3): RawEntry => ({ path: `cifar-10-batches-bin/${name}`, body: makeBatch(records) });
const complete = (): RawEntry[] => [...TRAIN_FILES, 'test_batch.bin'].map((f) => good(f));

/** Nothing published, nothing staged, nothing written beside the cache. */
function expectUntouched(): void {
  expect(readdirSync(cache)).toEqual([]);
  expect(readdirSync(dir.path).sort()).toEqual(['archive.tar.gz', 'cache']);
}

describe('extractCifar10Archive', () => {
  it('extracts an archive made by tar.c into cache/cifar-10-batches-bin', async () => {
    const src = join(dir.path, 'src');
    const files = writeBatches(src, 4);
    await buildArchive(src, archive);
    const out = await extractCifar10Archive(archive, cache);
    expect(out).toBe(join(cache, 'cifar-10-batches-bin'));
    expect(readdirSync(out).sort()).toEqual([...files.keys()].sort());
    for (const [name, buf] of files) expect(readFileSync(join(out, name)).equals(buf)).toBe(true);
    // The staging directory is gone.
    expect(readdirSync(cache)).toEqual(['cifar-10-batches-bin']);
  });

  it('writes only the expected files, skipping anything else', async () => {
    writeFileSync(
      archive,
      rawArchive([...complete(), { path: 'cifar-10-batches-bin/extra.sh', body: Buffer.from('echo hi') }, { path: 'other.txt', body: Buffer.from('x') }]),
    );
    const logs: string[] = [];
    const out = await extractCifar10Archive(archive, cache, { log: (m) => logs.push(m) });
    expect(readdirSync(out).sort()).toEqual([...TRAIN_FILES, 'test_batch.bin'].sort());
    expect(existsSync(join(cache, 'other.txt'))).toBe(false);
    expect(logs.join('\n')).toMatch(/skipping unexpected archive entry "cifar-10-batches-bin\/extra.sh"/);
  });

  const hostile: [string, () => RawEntry, RegExp][] = [
    ['a ../ path', () => ({ path: 'cifar-10-batches-bin/../../evil', body: Buffer.from('pwned') }), /"cifar-10-batches-bin\/..\/..\/evil" climbs out/],
    ['an absolute path', () => ({ path: join(dir.path, 'evil'), body: Buffer.from('pwned') }), /has an absolute path/],
    [
      'a symlink pointing out',
      () => ({ path: 'cifar-10-batches-bin/data_batch_1.bin', type: 'SymbolicLink', linkpath: '../../evil' }),
      /symbolic link to "..\/..\/evil"; links are not allowed/,
    ],
    ['a hard link', () => ({ path: 'cifar-10-batches-bin/data_batch_1.bin', type: 'Link', linkpath: '/etc/passwd' }), /hard link to "\/etc\/passwd"/],
    [
      'an absurd size',
      () => ({ path: 'cifar-10-batches-bin/data_batch_1.bin', size: 40 * 2 ** 30, body: Buffer.alloc(512) }),
      /declares 42949672960 bytes, more than the \d+-byte limit/,
    ],
  ];
  for (const [what, entry, message] of hostile) {
    it(`refuses ${what} and writes nothing`, async () => {
      // A legitimate member comes first, so the refusal has a half-done staging dir to clean up.
      writeFileSync(archive, rawArchive([good('test_batch.bin'), entry(), ...complete().slice(0, 2)]));
      const err = await extractCifar10Archive(archive, cache).catch((e) => e);
      expect(err).toBeInstanceOf(UnsafeArchiveError);
      expect(err.message).toMatch(message);
      expect(existsSync(join(dir.path, 'evil'))).toBe(false);
      expectUntouched();
    });
  }

  it('refuses a member that appears twice', async () => {
    writeFileSync(archive, rawArchive([...complete(), good('data_batch_3.bin')]));
    await expect(extractCifar10Archive(archive, cache)).rejects.toThrow(/holds cifar-10-batches-bin\/data_batch_3.bin more than once/);
    expectUntouched();
  });

  it('fails on an archive that lacks a batch, publishing nothing', async () => {
    writeFileSync(archive, rawArchive(complete().filter((e) => !e.path.endsWith('data_batch_4.bin'))));
    await expect(extractCifar10Archive(archive, cache)).rejects.toThrow(/lacks cifar-10-batches-bin\/data_batch_4.bin/);
    expectUntouched();
  });

  it('fails on a member that is not a whole number of records', async () => {
    const entries = complete();
    entries[0] = { path: entries[0].path, body: makeBatch(3).subarray(0, 3 * 3073 - 10) };
    writeFileSync(archive, rawArchive(entries));
    await expect(extractCifar10Archive(archive, cache)).rejects.toThrow(/data_batch_1.bin in .* has 9209 bytes, not a multiple of the 3073-byte record/);
    expectUntouched();
  });

  it('fails on a truncated archive, publishing nothing', async () => {
    const whole = rawArchive(complete());
    writeFileSync(archive, whole.subarray(0, Math.floor(whole.length * 0.6)));
    await expect(extractCifar10Archive(archive, cache)).rejects.toThrow(/cannot read archive .*unexpected end of file/);
    expectUntouched();
  });

  it('refuses to overwrite an existing batches directory', async () => {
    writeFileSync(archive, rawArchive(complete()));
    mkdirSync(join(cache, 'cifar-10-batches-bin'));
    await expect(extractCifar10Archive(archive, cache)).rejects.toThrow(/already exists/);
  });
});
