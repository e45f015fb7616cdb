// loadCifar10Train: the whole training side (data_batch_1..5) as one set, for the final training.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCifar10Train, readCifar10Batch } from '../../src/data/cifar10.js';
import { writeLearnableCifar } from '../helpers/learnable-cifar.js';

const root = mkdtempSync(join(tmpdir(), 'nascent-train-data-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dir = writeLearnableCifar(root, 20);
const IMAGE = 32 * 32 * 3;

/** Each image of the five training batches as a string, in file order. */
function trainingImages(): string[] {
  return [1, 2, 3, 4, 5].flatMap((b) => {
    const set = readCifar10Batch(join(dir, `data_batch_${b}.bin`));
    return Array.from({ length: set.count }, (_, i) => `${set.labels[i]}:${set.images.subarray(i * IMAGE, (i + 1) * IMAGE).join()}`);
  });
}
const imagesOf = (set: ReturnType<typeof loadCifar10Train>) =>
  Array.from({ length: set.count }, (_, i) => `${set.labels[i]}:${set.images.subarray(i * IMAGE, (i + 1) * IMAGE).join()}`);

describe('loadCifar10Train', () => {
  it('holds every training image, in file order, and no test image', () => {
    const set = loadCifar10Train(dir);
    expect(set).toMatchObject({ count: 100, height: 32, width: 32, channels: 3 });
    expect(imagesOf(set)).toEqual(trainingImages());
    const test = readCifar10Batch(join(dir, 'test_batch.bin'));
    const testImages = new Set(Array.from({ length: test.count }, (_, i) => test.images.subarray(i * IMAGE, (i + 1) * IMAGE).join()));
    expect(imagesOf(set).some((s) => testImages.has(s.slice(s.indexOf(':') + 1)))).toBe(false);
  });

  it('takes a fixed random subset for --train-limit, another for another seed', () => {
    const all = new Set(trainingImages());
    const a = imagesOf(loadCifar10Train(dir, { limit: 30 }));
    expect(a).toHaveLength(30);
    expect(new Set(a).size).toBe(30);
    expect(a.every((s) => all.has(s))).toBe(true);
    expect(imagesOf(loadCifar10Train(dir, { limit: 30 }))).toEqual(a);
    expect(a).not.toEqual(trainingImages().slice(0, 30)); // spread over all five batches, not the first file
    expect(imagesOf(loadCifar10Train(dir, { limit: 30, seed: 1 }))).not.toEqual(a);
    expect(loadCifar10Train(dir, { limit: 500 }).count).toBe(100);
  });

  it('names what is wrong', () => {
    expect(() => loadCifar10Train(dir, { limit: 0 })).toThrow(/limit must be a positive integer, got 0/);
    expect(() => loadCifar10Train(join(root, 'nowhere'))).toThrow(/data_batch_1\.bin does not exist/);
  });
});
