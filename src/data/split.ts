// Disjoint, seeded splits of one image set: the same seed always gives the same split, no image
// is in two sides, and a limit takes a prefix of its side (so a smaller validation set is still
// disjoint from any training set). Used by every data set except CIFAR-10, which decodes its
// records straight into their sides (cifar10.ts) with the same permutation and checks from here.
import { Rng } from '../util/random.js';
import type { ImageSet } from './types.js';

export function checkLimit(name: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new RangeError(`${name} must be a positive integer, got ${v}`);
}

/** 0..n-1 in the seeded order of Rng(seed).shuffle. */
export function shuffledOrder(n: number, seed: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  new Rng(seed).shuffle(order);
  return order;
}

/** The images of `set` at `indices`, in that order, as a new set. */
export function subset(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const pixels = set.height * set.width * set.channels;
  const images = new Uint8Array(indices.length * pixels);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    images.set(set.images.subarray(j * pixels, (j + 1) * pixels), i * pixels);
    labels[i] = set.labels[j];
  }
  return { images, labels, count: indices.length, height: set.height, width: set.width, channels: set.channels };
}

/** Both sets one after the other (same image shape required). */
export function concatSets(a: ImageSet, b: ImageSet): ImageSet {
  if (a.height !== b.height || a.width !== b.width || a.channels !== b.channels) {
    throw new Error(`cannot join ${a.height}x${a.width}x${a.channels} images with ${b.height}x${b.width}x${b.channels} ones`);
  }
  const images = new Uint8Array(a.images.length + b.images.length);
  images.set(a.images);
  images.set(b.images, a.images.length);
  const labels = new Uint8Array(a.count + b.count);
  labels.set(a.labels);
  labels.set(b.labels, a.count);
  return { images, labels, count: a.count + b.count, height: a.height, width: a.width, channels: a.channels };
}

export interface SplitOptions {
  /** Share held out for validation (default 0.2). */
  valFraction?: number;
  /** Seed of the permutation (default 0). */
  splitSeed?: number;
  trainLimit?: number;
  valLimit?: number;
}

/** The split's settings with their defaults, each checked (CIFAR-10's loader takes the same). */
export function checkSplitOptions(opts: SplitOptions): { valFraction: number; seed: number } {
  const valFraction = opts.valFraction ?? 0.2;
  if (!(valFraction > 0 && valFraction < 1)) throw new RangeError(`valFraction must be in (0, 1), got ${valFraction}`);
  checkLimit('trainLimit', opts.trainLimit);
  checkLimit('valLimit', opts.valLimit);
  const seed = opts.splitSeed ?? 0;
  if (!Number.isInteger(seed)) throw new RangeError(`splitSeed must be an integer, got ${seed}`);
  return { valFraction, seed };
}

/**
 * `set` split by a seeded permutation: the first (1 - valFraction) of it is training, the rest
 * validation; limits take prefixes of each side.
 */
export function splitTrainVal(set: ImageSet, opts: SplitOptions = {}): { train: ImageSet; val: ImageSet } {
  const { valFraction, seed } = checkSplitOptions(opts);
  const valSide = Math.round(set.count * valFraction);
  const trainSide = set.count - valSide;
  if (valSide < 1 || trainSide < 1) throw new Error(`${set.count} images cannot be split with valFraction ${valFraction}`);
  const order = shuffledOrder(set.count, seed);
  const train = order.subarray(0, Math.min(trainSide, opts.trainLimit ?? trainSide));
  const val = order.subarray(trainSide, trainSide + Math.min(valSide, opts.valLimit ?? valSide));
  return { train: subset(set, train), val: subset(set, val) };
}

/** A seeded random subset of `limit` images (all of them, in order, without a limit). */
export function limitSet(set: ImageSet, limit: number | undefined, seed = 0): ImageSet {
  checkLimit('limit', limit);
  if (limit === undefined || limit >= set.count) return set;
  return subset(set, shuffledOrder(set.count, seed).subarray(0, limit));
}
