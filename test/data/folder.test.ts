// folder:DIR as torchvision's ImageFolder reads it: images the test writes itself (PNG, JPEG,
// WebP) decoded with sharp, resized, split stratified and cached; every odd file named.
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharpImport from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveDataset } from '../../src/data/datasets.js';
import { decodeImageFolder, FolderDatasetError, loadImageFolder, scanImageFolder, stratifiedSplit } from '../../src/data/folder.js';
import { tempDir } from './helpers.js';

const sharp = sharpImport as unknown as (input?: unknown, options?: unknown) => import('sharp').Sharp;

/** A solid image of `rgb`, `w` x `h`, with a marker pixel value in the red channel of the top-left corner. */
async function writeImage(path: string, rgb: [number, number, number], format: 'png' | 'jpeg' | 'webp', w = 40, h = 30, grey = false): Promise<void> {
  const channels = grey ? 1 : 3;
  const px = Buffer.alloc(w * h * channels);
  for (let i = 0; i < w * h; i++) for (let c = 0; c < channels; c++) px[i * channels + c] = rgb[c];
  let img = sharp(px, { raw: { width: w, height: h, channels } });
  // sharp writes sRGB unless told otherwise, even from one-channel pixels.
  if (grey) img = img.toColourspace('b-w');
  img = format === 'png' ? img.png() : format === 'jpeg' ? img.jpeg({ quality: 95 }) : img.webp({ lossless: true });
  writeFileSync(path, await img.toBuffer());
}

const COLOURS: Record<string, [number, number, number]> = { cat: [200, 30, 30], dog: [30, 200, 30], owl: [30, 30, 200] };

/** DIR/<class>/ with `perClass` images each, alternating PNG, JPEG and WebP (extensions .png, .jpeg, .JPG, .webp). */
async function writeFolder(root: string, perClass = 5, grey = false): Promise<string> {
  for (const [cls, rgb] of Object.entries(COLOURS)) {
    mkdirSync(join(root, cls), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      // WebP has no grey mode: a grey folder is PNG and JPEG.
      const format = grey ? (['png', 'jpeg'] as const)[i % 2] : (['png', 'jpeg', 'webp'] as const)[i % 3];
      await writeImage(
        join(root, cls, `${cls}-${i}.${format === 'jpeg' ? (i % 2 ? 'JPG' : 'jpeg') : format}`),
        grey ? [rgb[0], 0, 0] : rgb,
        format,
        40 + i,
        30,
        grey,
      );
    }
  }
  return root;
}

let dir: { path: string; cleanup: () => void };
beforeEach(() => {
  dir = tempDir('nascent-folder-');
});
afterEach(() => dir.cleanup());

describe('folder:DIR', () => {
  it('decodes PNG, JPEG and WebP to the image size, one class per subdirectory, and caches the result', async () => {
    const root = await writeFolder(join(dir.path, 'pets'));
    const cacheDir = join(dir.path, 'cache');
    const logs: string[] = [];
    const first = await decodeImageFolder(root, { imageSize: 8, cacheDir, log: (m) => logs.push(m) });
    expect(first.fromCache).toBe(false);
    expect(first.classes).toEqual(['cat', 'dog', 'owl']);
    expect(first.all).toMatchObject({ count: 15, height: 8, width: 8, channels: 3 });
    // Every pixel of a solid image keeps its colour (JPEG within a few levels).
    for (let i = 0; i < 15; i++) {
      const rgb = COLOURS[first.classes[first.all.labels[i]]];
      for (let p = 0; p < 64; p++) for (let c = 0; c < 3; c++) expect(Math.abs(first.all.images[(i * 64 + p) * 3 + c] - rgb[c])).toBeLessThanOrEqual(4);
    }
    const again = await decodeImageFolder(root, { imageSize: 8, cacheDir, log: (m) => logs.push(m) });
    expect(again.fromCache).toBe(true);
    expect(Buffer.from(again.all.images).equals(Buffer.from(first.all.images))).toBe(true);
    expect(logs.at(-1)).toMatch(/from the cache/);
    // Another size, or a changed file, is decoded anew.
    expect((await decodeImageFolder(root, { imageSize: 12, cacheDir })).fromCache).toBe(false);
    utimesSync(join(root, 'dog', 'dog-0.png'), new Date(), new Date(Date.now() + 5000));
    expect((await decodeImageFolder(root, { imageSize: 8, cacheDir })).fromCache).toBe(false);
  });

  it('gives one channel when every image is grey', async () => {
    const root = await writeFolder(join(dir.path, 'grey'), 3, true);
    const d = await decodeImageFolder(root, { imageSize: 6, cacheDir: join(dir.path, 'cache') });
    expect(d.all.channels).toBe(1);
    expect(d.all.images.length).toBe(9 * 36);
  });

  it('splits every class in proportion, disjointly, seeded, with the test set apart', async () => {
    const root = await writeFolder(join(dir.path, 'pets'), 10);
    const s = await loadImageFolder(root, { imageSize: 4, cacheDir: join(dir.path, 'cache'), splitSeed: 2 });
    const count = (set: { labels: Uint8Array }) => [0, 1, 2].map((c) => set.labels.filter((l) => l === c).length);
    expect(count(s.test)).toEqual([2, 2, 2]);
    expect(count(s.val)).toEqual([2, 2, 2]);
    expect(count(s.train)).toEqual([6, 6, 6]);
    // Disjoint: tag each decoded image by its index in the whole set and look for repeats.
    const all = (await decodeImageFolder(root, { imageSize: 4, cacheDir: join(dir.path, 'cache') })).all;
    const tagged = { ...all, images: new Uint8Array(all.images) };
    for (let i = 0; i < all.count; i++) tagged.images[i * 48] = i;
    const parts = stratifiedSplit(tagged, 3, { splitSeed: 2 });
    const ids = [parts.train, parts.val, parts.test].flatMap((p) => Array.from({ length: p.count }, (_, i) => p.images[i * 48]));
    expect(new Set(ids).size).toBe(30);
    expect(stratifiedSplit(tagged, 3, { splitSeed: 2 }).train.images).toEqual(parts.train.images);
    expect(stratifiedSplit(tagged, 3, { splitSeed: 3 }).train.images).not.toEqual(parts.train.images);
    // Through the seam: shape and classes, and the final split (train + validation, test apart).
    const ds = resolveDataset(`folder:${root}`);
    expect(ds.name).toBe(`folder:${root}`);
    const loaded = await ds.load({ imageSize: 4, cacheDir: join(dir.path, 'cache'), trainLimit: 5 });
    expect(loaded.shape).toEqual({ height: 4, width: 4, channels: 3 });
    expect(loaded.classes).toEqual(['cat', 'dog', 'owl']);
    expect(loaded.train.count).toBe(5);
    const final = await ds.loadFinal({ imageSize: 4, cacheDir: join(dir.path, 'cache') });
    expect([final.train.count, final.test.count]).toEqual([24, 6]);
  });

  it('names every file that is not an image, cannot be decoded, or sits outside a class', async () => {
    const root = await writeFolder(join(dir.path, 'pets'), 3);
    writeFileSync(join(root, 'README.txt'), 'pets\n');
    writeFileSync(join(root, 'cat', 'notes.txt'), 'x');
    writeFileSync(join(root, 'dog', 'empty.png'), '');
    mkdirSync(join(root, 'owl', 'nested'));
    let err: FolderDatasetError | undefined;
    try {
      scanImageFolder(root);
    } catch (e) {
      err = e as FolderDatasetError;
    }
    expect(err).toBeInstanceOf(FolderDatasetError);
    expect(err!.problems).toEqual([
      expect.stringMatching(/^README\.txt: not a class directory/),
      'cat/notes.txt: not an image file (expected .png, .jpg, .jpeg, .webp)',
      'dog/empty.png: empty file',
      'owl/nested/: a directory inside a class (classes are one level deep)',
    ]);
    expect(err!.message).toMatch(/does not have the layout DIR\/<class>\/<image>:\n {2}README\.txt/);

    const broken = await writeFolder(join(dir.path, 'broken'), 3);
    writeFileSync(join(broken, 'cat', 'cut.png'), Buffer.from('\x89PNG\r\n\x1a\n garbage'));
    writeFileSync(join(broken, 'owl', 'fake.jpg'), 'this is text');
    await expect(decodeImageFolder(broken, { cacheDir: join(dir.path, 'cache') })).rejects.toThrow(
      /2 of 11 files are not readable images:\n {2}cat\/cut\.png: cannot be decoded: .*\n {2}owl\/fake\.jpg: cannot be decoded/,
    );

    const small = join(dir.path, 'small');
    mkdirSync(join(small, 'a'), { recursive: true });
    await writeImage(join(small, 'a', 'x.png'), [1, 2, 3], 'png');
    expect(() => scanImageFolder(small)).toThrow(/a\/: 1 image; each class needs at least 3[\s\S]*1 class directory; at least 2 are needed/);
    expect(() => scanImageFolder(join(dir.path, 'absent'))).toThrow(/cannot read .*absent/);
  });
});
