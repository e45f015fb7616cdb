// The first `count` CIFAR-10 test images as PNG files, as a user would drop them on the example page.
import { join } from 'node:path';
import sharp from 'sharp';
import type { ImageSet } from '../../src/data/types.js';

export async function writeTestPngs(set: ImageSet, count: number, dir: string): Promise<string[]> {
  const pixels = set.height * set.width * set.channels;
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const file = join(dir, `test-${i}.png`);
    await sharp(Buffer.from(set.images.subarray(i * pixels, (i + 1) * pixels)), { raw: { width: set.width, height: set.height, channels: set.channels as 3 } })
      .png()
      .toFile(file);
    files.push(file);
  }
  return files;
}
