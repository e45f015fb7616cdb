// A tiny, easily learnable image set in the official CIFAR-10 binary layout, for end-to-end tests
// that must see a child beat chance within seconds: each class is its own colour, plus noise.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/util/random.js';

const RECORD = 3073;
const COLOURS = [
  [230, 25, 75],
  [60, 180, 75],
  [255, 225, 25],
  [0, 130, 200],
  [245, 130, 48],
  [145, 30, 180],
  [70, 240, 240],
  [240, 50, 230],
  [128, 128, 0],
  [0, 0, 128],
];

/** Writes ROOT/cifar-10-batches-bin with `perBatch` records in each of the six batches. */
export function writeLearnableCifar(root: string, perBatch: number, seed = 1): string {
  const dir = join(root, 'cifar-10-batches-bin');
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(seed);
  const names = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`).concat('test_batch.bin');
  for (const name of names) {
    const buf = Buffer.alloc(perBatch * RECORD);
    for (let r = 0; r < perBatch; r++) {
      const label = rng.int(10);
      const off = r * RECORD;
      buf[off] = label;
      for (let c = 0; c < 3; c++)
        for (let p = 0; p < 1024; p++) buf[off + 1 + c * 1024 + p] = Math.max(0, Math.min(255, COLOURS[label][c] + Math.round((rng.next() - 0.5) * 80)));
    }
    writeFileSync(join(dir, name), buf);
  }
  writeFileSync(join(dir, 'batches.meta.txt'), 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n');
  return dir;
}
