// The Dataset seam: names, images of a user's own, and the real CIFAR-10 subset through it.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { arrayDataset, imageSetFromArrays, isDatasetName, loadDataset, resolveDataset, UnknownDatasetError } from '../../src/data/datasets.js';
import { haveShared, SHARED } from '../helpers/shared.js';

describe('resolveDataset', () => {
  it('knows cifar10, fashion-mnist, mnist and folder:DIR, and lists them for any other name', () => {
    expect(resolveDataset('cifar10').name).toBe('cifar10');
    expect(resolveDataset('fashion-mnist').name).toBe('fashion-mnist');
    expect(resolveDataset('mnist').name).toBe('mnist');
    expect(resolveDataset('folder:some/dir').name).toBe(`folder:${join(process.cwd(), 'some/dir')}`);
    for (const bad of ['imagenet', 'folder:', 'CIFAR10', '']) {
      expect(isDatasetName(bad)).toBe(false);
      expect(() => resolveDataset(bad)).toThrow(UnknownDatasetError);
    }
    expect(() => resolveDataset('imagenet')).toThrow('unknown data set "imagenet": known are cifar10, fashion-mnist, mnist, folder:DIR');
  });

  it('refuses a single --data-md5 for the four MNIST files and mirrors for a folder', async () => {
    await expect(resolveDataset('mnist').load({ md5: '0'.repeat(32) })).rejects.toThrow(/applies only to cifar10/);
    await expect(resolveDataset('folder:/tmp').load({ url: 'https://example.org/x' })).rejects.toThrow(
      /read from disk; --data-url and --data-md5 do not apply/,
    );
  });
});

describe('images of your own', () => {
  const arrays = (n: number, offset = 0) => ({
    images: Array.from({ length: n * 4 * 4 * 1 }, (_, i) => (Math.floor(i / 16) + offset) % 256),
    labels: Array.from({ length: n }, (_, i) => i % 3),
    height: 4,
    width: 4,
    channels: 1,
  });

  it('split into disjoint seeded train and validation sets; the test set only for loadFinal', async () => {
    const ds = arrayDataset({ train: arrays(50), test: arrays(10, 100), classes: ['a', 'b', 'c'] });
    const s = await ds.load({ splitSeed: 1 });
    expect([s.train.count, s.val.count, s.test?.count]).toEqual([40, 10, 10]);
    expect(s.shape).toEqual({ height: 4, width: 4, channels: 1 });
    expect(s.classes).toEqual(['a', 'b', 'c']);
    const ids = (set: { images: Uint8Array; count: number }) => Array.from({ length: set.count }, (_, i) => set.images[i * 16]);
    expect(new Set([...ids(s.train), ...ids(s.val)]).size).toBe(50);
    expect(ids((await ds.load({ splitSeed: 1 })).val)).toEqual(ids(s.val));
    expect(ids((await ds.load({ splitSeed: 2 })).val)).not.toEqual(ids(s.val));
    expect((await ds.load({ test: false })).test).toBeUndefined();
    const final = await ds.loadFinal({ limit: 20 });
    expect([final.train.count, final.test.count]).toEqual([20, 10]);
    await expect(arrayDataset({ train: arrays(10) }).loadFinal()).rejects.toThrow(/no test images were given/);
    // A validation set of your own is used as it is.
    const own = await arrayDataset({ train: arrays(20), val: arrays(5, 200) }).load();
    expect([own.train.count, own.val.count]).toEqual([20, 5]);
    expect(own.classes).toEqual(['0', '1', '2']);
    // valFraction sets the split's sides, and is refused where there is no split to set.
    const half = await ds.load({ valFraction: 0.5 });
    expect([half.train.count, half.val.count]).toEqual([25, 25]);
    await expect(arrayDataset({ train: arrays(20), val: arrays(5, 200) }).load({ valFraction: 0.5 })).rejects.toThrow(
      /validation images were given, so there is no split for a valFraction of 0.5 to set/,
    );
  });

  it('checks the arrays', () => {
    expect(() => imageSetFromArrays({ ...arrays(2), images: [1, 2, 3] })).toThrow(/images hold 3 values, expected 2 labels x 4x4x1 = 32/);
    expect(() => imageSetFromArrays({ ...arrays(2), labels: [0, 1.5] })).toThrow(/labels\[1\] is 1.5/);
    expect(() => imageSetFromArrays({ ...arrays(2), channels: 0 })).toThrow(/channels must be a positive integer/);
    expect(imageSetFromArrays({ ...arrays(1), images: new Array(16).fill(300) }).images[0]).toBe(255);
    expect(() => arrayDataset({ train: arrays(4), classes: ['only', 'two'] })).toThrow(/label 2 has no class name/);
  });
});

const SUBSET = join(SHARED, 'data/cifar10-subset');
describe.runIf(haveShared(SUBSET, 'the CIFAR-10 subset'))('the real CIFAR-10 subset through the seam', () => {
  it('gives disjoint train and validation sets of 32x32x3 images, the test batch apart', async () => {
    const s = await loadDataset('cifar10', { dataDir: SUBSET });
    expect([s.train.count, s.val.count, s.test?.count]).toEqual([3728, 932, 846]);
    const half = await loadDataset('cifar10', { dataDir: SUBSET, valFraction: 0.5, trainLimit: 2000, test: false });
    expect([half.train.count, half.val.count]).toEqual([2000, 2330]);
    expect(s.shape).toEqual({ height: 32, width: 32, channels: 3 });
    expect(s.classes[0]).toBe('airplane');
    expect(s.record).toMatchObject({ synthetic: false });
    const key = (set: typeof s.train, i: number) => Buffer.from(set.images.subarray(i * 3072, (i + 1) * 3072)).toString('base64');
    const train = new Set(Array.from({ length: s.train.count }, (_, i) => key(s.train, i)));
    expect(Array.from({ length: s.val.count }, (_, i) => key(s.val, i)).filter((k) => train.has(k))).toEqual([]);
    const final = await resolveDataset('cifar10').loadFinal({ dataDir: SUBSET, limit: 1000 });
    expect([final.train.count, final.test.count]).toEqual([1000, 846]);
  });
});
