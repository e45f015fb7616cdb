// The Dataset seam: a name resolves to an object that finds or downloads its files, verifies and
// parses them, and splits them into disjoint, seeded train and validation sets with a test set held
// apart; it says its images' shape and its classes. It knows nothing of what trains on it.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureCifar10, isSyntheticCifar10, loadCifar10, loadCifar10Test, loadCifar10Train } from './cifar10.js';
import { TEST_BATCH_FILE } from './cifar10-format.js';
import type { DownloadProgress } from './download.js';
import { DEFAULT_IMAGE_SIZE, loadImageFolder, loadImageFolderFinal } from './folder.js';
import { FASHION_MNIST, MNIST, loadIdxDataset, loadIdxFinal, type IdxDatasetSpec } from './mnist.js';
import { concatSets, limitSet, splitTrainVal } from './split.js';
import type { ImageSet } from './types.js';

export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

export interface DatasetLoadOptions {
  /** Where the files are or go (each data set's cache by default). */
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  /** A mirror: CIFAR-10's archive URL, or MNIST's / Fashion-MNIST's base URL. */
  url?: string;
  /** CIFAR-10 only: the md5 of a mirror's own archive. */
  md5?: string;
  allowHttp?: boolean;
  retries?: number;
  backoffMs?: number;
  readTimeoutMs?: number;
  onProgress?: DownloadProgress;
  log?: (msg: string) => void;
  signal?: AbortSignal;
  /** Keep the first N images of the seeded training side. */
  trainLimit?: number;
  /** Keep the first N images of the seeded validation side. */
  valLimit?: number;
  /** Share of the training images held out for validation (default 0.2; folder: of all its images). */
  valFraction?: number;
  /** Seed of the train/validation(/test) split (default 0). */
  splitSeed?: number;
  /** Also load the test set (default true; a search never looks at it). */
  test?: boolean;
  /** folder: side of the square images are resized to (default 32). */
  imageSize?: number;
  /** folder: where decoded sets are cached. */
  cacheDir?: string;
  /** fashion-mnist, mnist: distribution package directories to look in (default Debian's). */
  systemDirs?: string[];
}

export interface DatasetSplits {
  train: ImageSet;
  val: ImageSet;
  /** Held apart; absent when loaded with test: false. */
  test?: ImageSet;
  classes: string[];
  shape: ImageShape;
  /** Where the images were read from. */
  source: string;
  /** What config.json / result.json record about the data. */
  record: Record<string, unknown>;
}

export interface FinalSplits {
  /** Every training image (train and validation sides together), or a seeded subset of `limit`. */
  train: ImageSet;
  test: ImageSet;
  classes: string[];
  shape: ImageShape;
  source: string;
  record: Record<string, unknown>;
}

export interface Dataset {
  /** As given on the command line and recorded in config.json (folder:DIR with DIR absolute). */
  readonly name: string;
  readonly description: string;
  /** Disjoint, seeded train and validation sets and the test set held apart. */
  load(opts?: DatasetLoadOptions): Promise<DatasetSplits>;
  /** For training found cells: all training images (or `limit` of them, chosen by `seed`) and the test set. */
  loadFinal(opts?: DatasetLoadOptions & { limit?: number; seed?: number }): Promise<FinalSplits>;
}

export const CIFAR10_CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

export const DATASET_NAMES = ['cifar10', 'fashion-mnist', 'mnist', 'folder:DIR'] as const;

export class UnknownDatasetError extends Error {
  constructor(name: string) {
    super(`unknown data set ${JSON.stringify(name)}: known are ${DATASET_NAMES.join(', ')}`);
    this.name = 'UnknownDatasetError';
  }
}

const shapeOf = (s: ImageSet): ImageShape => ({ height: s.height, width: s.width, channels: s.channels });

const cifar10: Dataset = {
  name: 'cifar10',
  description: 'CIFAR-10: 50,000 training and 10,000 test images, 32x32x3, 10 classes',
  async load(opts = {}) {
    const dir = await ensureCifar10(opts);
    const { train, val } = loadCifar10(dir, {
      trainLimit: opts.trainLimit,
      valLimit: opts.valLimit,
      valFraction: opts.valFraction,
      splitSeed: opts.splitSeed ?? 0,
    });
    const test = opts.test === false ? undefined : loadCifar10Test(dir);
    return { train, val, test, classes: CIFAR10_CLASS_NAMES, shape: shapeOf(train), source: dir, record: { dataDir: dir, synthetic: isSyntheticCifar10(dir) } };
  },
  async loadFinal(opts = {}) {
    const dir = await ensureCifar10(opts);
    if (!existsSync(join(dir, TEST_BATCH_FILE)))
      throw new Error(`${join(dir, TEST_BATCH_FILE)} is missing: nascent train reports accuracy on the CIFAR-10 test batch`);
    const train = loadCifar10Train(dir, { limit: opts.limit, seed: opts.seed });
    return {
      train,
      test: loadCifar10Test(dir),
      classes: CIFAR10_CLASS_NAMES,
      shape: shapeOf(train),
      source: dir,
      record: { dataDir: dir, synthetic: isSyntheticCifar10(dir) },
    };
  },
};

function idxDataset(spec: IdxDatasetSpec): Dataset {
  const idxOpts = (opts: DatasetLoadOptions) => {
    if (opts.md5 !== undefined)
      throw new Error(`${spec.name} is four files, each checked against its published md5; a single --data-md5 applies only to cifar10`);
    return opts;
  };
  const record = (dir: string, system: boolean) => ({ dataDir: dir, ...(system ? { systemPackage: true } : {}) });
  return {
    name: spec.name,
    description: `${spec.title}: 60,000 training and 10,000 test images, 28x28x1, 10 classes`,
    async load(opts = {}) {
      const { train, val, test, location } = await loadIdxDataset(spec, { ...idxOpts(opts), splitSeed: opts.splitSeed ?? 0 });
      return {
        train,
        val,
        test: opts.test === false ? undefined : test,
        classes: spec.classes,
        shape: shapeOf(train),
        source: location.dir,
        record: record(location.dir, location.system),
      };
    },
    async loadFinal(opts = {}) {
      const { train, test, location } = await loadIdxFinal(spec, { ...idxOpts(opts) });
      return { train, test, classes: spec.classes, shape: shapeOf(train), source: location.dir, record: record(location.dir, location.system) };
    },
  };
}

function folderDataset(dirArg: string): Dataset {
  const dir = resolve(dirArg);
  const name = `folder:${dir}`;
  const folderOpts = (opts: DatasetLoadOptions) => {
    if (opts.url !== undefined || opts.md5 !== undefined) throw new Error(`${name} is read from disk; --data-url and --data-md5 do not apply`);
    return { imageSize: opts.imageSize ?? DEFAULT_IMAGE_SIZE, cacheDir: opts.cacheDir, env: opts.env, log: opts.log };
  };
  return {
    name,
    description: `the images in ${dir}/<class>/`,
    async load(opts = {}) {
      const s = await loadImageFolder(dir, {
        ...folderOpts(opts),
        trainLimit: opts.trainLimit,
        valLimit: opts.valLimit,
        valFraction: opts.valFraction,
        splitSeed: opts.splitSeed ?? 0,
      });
      return {
        train: s.train,
        val: s.val,
        test: opts.test === false ? undefined : s.test,
        classes: s.classes,
        shape: shapeOf(s.train),
        source: dir,
        record: { dataDir: dir, imageSize: s.train.height, cacheFile: s.cacheFile },
      };
    },
    async loadFinal(opts = {}) {
      const s = await loadImageFolderFinal(dir, { ...folderOpts(opts), splitSeed: opts.splitSeed ?? 0, limit: opts.limit, seed: opts.seed });
      return {
        train: s.train,
        test: s.test,
        classes: s.classes,
        shape: shapeOf(s.train),
        source: dir,
        record: { dataDir: dir, imageSize: s.train.height, cacheFile: s.cacheFile },
      };
    },
  };
}

/** True for a name resolveDataset accepts. */
export function isDatasetName(name: string): boolean {
  return name === 'cifar10' || name === 'fashion-mnist' || name === 'mnist' || (name.startsWith('folder:') && name.length > 'folder:'.length);
}

/** The data set a name stands for: cifar10, fashion-mnist, mnist or folder:DIR. */
export function resolveDataset(name: string): Dataset {
  if (name === 'cifar10') return cifar10;
  if (name === 'fashion-mnist') return idxDataset(FASHION_MNIST);
  if (name === 'mnist') return idxDataset(MNIST);
  if (name.startsWith('folder:') && name.length > 'folder:'.length) return folderDataset(name.slice('folder:'.length));
  throw new UnknownDatasetError(name);
}

/** Loads a data set by name: `await loadDataset('fashion-mnist', { trainLimit: 10000 })`. */
export function loadDataset(name: string, opts?: DatasetLoadOptions): Promise<DatasetSplits> {
  return resolveDataset(name).load(opts);
}

export interface ArrayImages {
  /** Pixels 0..255 in NHWC order (N x height x width x channels), as bytes or any numbers. */
  images: Uint8Array | Uint8ClampedArray | ArrayLike<number>;
  /** One class index per image, 0..classes-1. */
  labels: Uint8Array | ArrayLike<number>;
  height: number;
  width: number;
  channels: number;
}

/** A checked ImageSet from a user's arrays (values are rounded and clamped to 0..255). */
export function imageSetFromArrays(a: ArrayImages): ImageSet {
  for (const k of ['height', 'width', 'channels'] as const) {
    if (!Number.isInteger(a[k]) || a[k] < 1) throw new RangeError(`${k} must be a positive integer, got ${a[k]}`);
  }
  const pixels = a.height * a.width * a.channels;
  const count = a.labels.length;
  if (count < 1) throw new RangeError('no labels: an image set needs at least one image');
  if (a.images.length !== count * pixels)
    throw new RangeError(`images hold ${a.images.length} values, expected ${count} labels x ${a.height}x${a.width}x${a.channels} = ${count * pixels}`);
  const images = a.images instanceof Uint8Array ? a.images : Uint8Array.from(a.images as ArrayLike<number>, (v) => Math.max(0, Math.min(255, Math.round(v))));
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const l = a.labels[i];
    if (!Number.isInteger(l) || l < 0 || l > 255) throw new RangeError(`labels[${i}] is ${l}, expected an integer class index 0..255`);
    labels[i] = l;
  }
  return { images, labels, count, height: a.height, width: a.width, channels: a.channels };
}

export interface ArrayDatasetInput {
  /** Training images: split into train and validation by a seeded permutation (valFraction, default 0.2). */
  train: ImageSet | ArrayImages;
  /** Validation images of your own instead of a split of `train`. */
  val?: ImageSet | ArrayImages;
  /** Test images, held apart (needed only by loadFinal / train()). */
  test?: ImageSet | ArrayImages;
  /** Class names (default "0".."K-1", K one more than the largest label). */
  classes?: string[];
  valFraction?: number;
  name?: string;
}

const toSet = (x: ImageSet | ArrayImages): ImageSet =>
  'count' in x && x.images instanceof Uint8Array && x.labels instanceof Uint8Array ? x : imageSetFromArrays(x);

/** A Dataset over images you already hold in memory (AutoKeras-style: any arrays). */
export function arrayDataset(input: ArrayDatasetInput): Dataset {
  const train = toSet(input.train);
  const val = input.val && toSet(input.val);
  const test = input.test && toSet(input.test);
  let maxLabel = 0;
  for (const s of [train, val, test]) if (s) for (const l of s.labels) maxLabel = Math.max(maxLabel, l);
  const classes = input.classes ?? Array.from({ length: maxLabel + 1 }, (_, i) => String(i));
  if (classes.length < 2) throw new RangeError(`a data set needs at least 2 classes, got ${classes.length}`);
  if (maxLabel >= classes.length) throw new RangeError(`label ${maxLabel} has no class name (${classes.length} classes given)`);
  const name = input.name ?? 'arrays';
  const record = { arrays: true, classes: classes.length };
  return {
    name,
    description: `${train.count} training images of your own, ${train.height}x${train.width}x${train.channels}`,
    async load(opts = {}) {
      if (val && opts.valFraction !== undefined)
        throw new Error(`${name}: validation images were given, so there is no split for a valFraction of ${opts.valFraction} to set`);
      const sides = val
        ? { train: limitSet(train, opts.trainLimit), val: limitSet(val, opts.valLimit) }
        : splitTrainVal(train, {
            valFraction: opts.valFraction ?? input.valFraction,
            splitSeed: opts.splitSeed ?? 0,
            trainLimit: opts.trainLimit,
            valLimit: opts.valLimit,
          });
      return { ...sides, test: opts.test === false ? undefined : test, classes, shape: shapeOf(train), source: name, record };
    },
    async loadFinal(opts = {}) {
      if (!test) throw new Error(`${name}: no test images were given, so there is nothing to score a trained network on`);
      const all = val ? concatSets(train, val) : train;
      return { train: limitSet(all, opts.limit, opts.seed ?? 0), test, classes, shape: shapeOf(train), source: name, record };
    },
  };
}
