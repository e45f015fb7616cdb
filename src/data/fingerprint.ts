// A short name for the exact images a search trains and validates on: a worker on another machine
// compares it with its own copy before it trains a child, so a child is never scored on other data
// (another subset, another version of the set, a different split) under the search's name.
import { createHash } from 'node:crypto';
import type { DatasetSplits } from './datasets.js';

/** sha256 over the training and validation images and labels, first 16 hex digits. */
export function dataFingerprint(splits: Pick<DatasetSplits, 'train' | 'val'>): string {
  const h = createHash('sha256');
  for (const set of [splits.train, splits.val]) {
    h.update(`${set.count}x${set.height}x${set.width}x${set.channels};`);
    h.update(set.images);
    h.update(set.labels);
  }
  return h.digest('hex').slice(0, 16);
}
