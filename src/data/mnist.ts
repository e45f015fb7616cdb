// MNIST and Fashion-MNIST from their official gzipped IDX files. Each file is checked against its
// published md5 (Fashion-MNIST's README, and torchvision's list for MNIST, whose canonical mirror
// is ossci-datasets.s3.amazonaws.com now that yann.lecun.com no longer serves it). A copy that was
// recompressed (Debian's dataset-fashion-mnist package strips the gzip header's file name, so its
// .gz bytes differ) is accepted when the decompressed IDX file has its published md5 instead.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { downloadFile, transferOptions, type DownloadProgress } from './download.js';
import { gunzipFile, parseIdx } from './idx.js';
import { splitTrainVal, limitSet } from './split.js';
import type { ImageSet } from './types.js';

export interface IdxFile {
  name: string;
  /** md5 of the .gz file as published. */
  md5: string;
  /** md5 of the decompressed IDX file, where published (accepts a recompressed copy). */
  rawMd5?: string;
}

export interface IdxDatasetSpec {
  name: 'fashion-mnist' | 'mnist';
  title: string;
  baseUrl: string;
  trainImages: IdxFile;
  trainLabels: IdxFile;
  testImages: IdxFile;
  testLabels: IdxFile;
  classes: string[];
  /** Where distribution packages install the files (checked when no --data-dir is given). */
  systemDirs: string[];
}

// Fashion-MNIST: https://github.com/zalandoresearch/fashion-mnist#get-the-data publishes the .gz
// md5s; the decompressed files' md5s are those torchvision-style loaders list for the raw files, and
// they match the files of Debian's dataset-fashion-mnist 0.0~git20200523 (checked when this was written).
export const FASHION_MNIST: IdxDatasetSpec = {
  name: 'fashion-mnist',
  title: 'Fashion-MNIST',
  baseUrl: 'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
  trainImages: { name: 'train-images-idx3-ubyte.gz', md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d', rawMd5: 'f4a8712d7a061bf5bd6d2ca38dc4d50a' },
  trainLabels: { name: 'train-labels-idx1-ubyte.gz', md5: '25c81989df183df01b3e8a0aad5dffbe', rawMd5: '9018921c3c673c538a1fc5bad174d6f9' },
  testImages: { name: 't10k-images-idx3-ubyte.gz', md5: 'bef4ecab320f06d8554ea6380940ec79', rawMd5: '8181f5470baa50b63fa0f6fddb340f0a' },
  testLabels: { name: 't10k-labels-idx1-ubyte.gz', md5: 'bb300cfdad3c16e7a12a480ee83cd310', rawMd5: '15d484375f8d13e6eb1aabb0c3f46965' },
  classes: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
  systemDirs: ['/usr/share/datasets/fashion-mnist'],
};

// MNIST: the md5s torchvision checks (the files as yann.lecun.com served them), at torchvision's mirror.
export const MNIST: IdxDatasetSpec = {
  name: 'mnist',
  title: 'MNIST',
  baseUrl: 'https://ossci-datasets.s3.amazonaws.com/mnist/',
  trainImages: { name: 'train-images-idx3-ubyte.gz', md5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873' },
  trainLabels: { name: 'train-labels-idx1-ubyte.gz', md5: 'd53e105ee54ea40749a09fcbcd1e9432' },
  testImages: { name: 't10k-images-idx3-ubyte.gz', md5: '9fb629c4189551a2d022fa330f9573f3' },
  testLabels: { name: 't10k-labels-idx1-ubyte.gz', md5: 'ec29112dd5afa0611ce80d1b7f02629c' },
  classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  systemDirs: ['/usr/share/datasets/mnist'],
};

export class IdxChecksumError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdxChecksumError';
  }
}

export interface EnsureIdxOptions {
  /** Directory holding (or to hold) the four .gz files; default $NASCENT_CACHE/<name> or ~/.cache/nascent/<name>. */
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  /** A mirror's base URL (the file names are appended); default the official one. */
  url?: string;
  allowHttp?: boolean;
  retries?: number;
  backoffMs?: number;
  readTimeoutMs?: number;
  /** Directories of distribution packages to use when no dataDir is given (default the spec's). */
  systemDirs?: string[];
  onProgress?: DownloadProgress;
  log?: (msg: string) => void;
  signal?: AbortSignal;
}

export function idxCacheDir(spec: IdxDatasetSpec, env: NodeJS.ProcessEnv = process.env): string {
  return env.NASCENT_CACHE ? join(resolve(env.NASCENT_CACHE), spec.name) : join(env.HOME || homedir(), '.cache', 'nascent', spec.name);
}

const filesOf = (spec: IdxDatasetSpec): IdxFile[] => [spec.trainImages, spec.trainLabels, spec.testImages, spec.testLabels];

const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');

const isFile = (path: string) => {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/**
 * The decompressed IDX bytes of `path` if it is the published file (or a recompressed copy of it);
 * otherwise an IdxChecksumError naming the file and both checksums.
 */
export function verifiedIdx(path: string, file: IdxFile): Uint8Array {
  const gz = readFileSync(path);
  const gzMd5 = md5(gz);
  if (gzMd5 === file.md5) return gunzipFile(gz, path);
  let raw: Uint8Array | undefined;
  try {
    raw = gunzipFile(gz, path);
  } catch {
    raw = undefined;
  }
  if (raw && file.rawMd5 && md5(raw) === file.rawMd5) return raw;
  throw new IdxChecksumError(
    `${path} fails its checksum: md5 ${gzMd5}, expected ${file.md5}` +
      (file.rawMd5
        ? ` (or, recompressed, decompressing to md5 ${file.rawMd5}${raw ? `; it decompresses to ${md5(raw)}` : '; it is not even valid gzip'})`
        : '') +
      ': a damaged or different file',
  );
}

export interface IdxLocation {
  dir: string;
  /** The files came from a distribution package's directory (never modified). */
  system: boolean;
}

/**
 * The directory holding the data set's four verified .gz files: --data-dir (missing or damaged files
 * downloaded into it), else a distribution package's directory when it holds all four, else the
 * cache (downloading what is missing). Returns the decompressed IDX bytes of each file too.
 */
export async function ensureIdxDataset(spec: IdxDatasetSpec, opts: EnsureIdxOptions = {}): Promise<{ location: IdxLocation; raw: Map<string, Uint8Array> }> {
  const files = filesOf(spec);
  if (!opts.dataDir) {
    for (const dir of opts.systemDirs ?? spec.systemDirs) {
      if (!files.every((f) => isFile(join(dir, f.name)))) continue;
      opts.log?.(`using ${spec.title} from ${dir} (installed by a distribution package)`);
      const raw = new Map(files.map((f) => [f.name, verifiedIdx(join(dir, f.name), f)]));
      return { location: { dir, system: true }, raw };
    }
  }
  const dir = resolve(opts.dataDir ?? idxCacheDir(spec, opts.env));
  mkdirSync(dir, { recursive: true });
  const raw = new Map<string, Uint8Array>();
  for (const f of files) {
    const path = join(dir, f.name);
    if (existsSync(path)) {
      try {
        raw.set(f.name, verifiedIdx(path, f));
        continue;
      } catch (err) {
        if (!(err instanceof IdxChecksumError)) throw err;
        opts.log?.(`${err.message}; deleting it and downloading it again`);
        rmSync(path, { force: true });
      }
    }
    const base = opts.url ?? spec.baseUrl;
    const url = base.endsWith('/') ? `${base}${f.name}` : `${base}/${f.name}`;
    opts.log?.(`downloading ${url} into ${dir}`);
    await downloadFile({ url, dest: path, md5: f.md5, ...transferOptions(opts) });
    raw.set(f.name, verifiedIdx(path, f));
  }
  return { location: { dir, system: false }, raw };
}

/** Images and labels of one IDX pair as an image set, every dimension and label checked. */
export function idxImageSet(images: Uint8Array, labels: Uint8Array, names: { images: string; labels: string }, classes: number): ImageSet {
  const im = parseIdx(images, names.images);
  const lb = parseIdx(labels, names.labels);
  if (im.dims.length !== 3) throw new Error(`${names.images} holds a ${im.dims.join(' x ')} array, expected images x rows x columns`);
  if (lb.dims.length !== 1) throw new Error(`${names.labels} holds a ${lb.dims.join(' x ')} array, expected one label per image`);
  const [count, height, width] = im.dims;
  if (lb.dims[0] !== count) throw new Error(`${names.labels} holds ${lb.dims[0]} labels but ${names.images} holds ${count} images`);
  const bad = lb.data.findIndex((l) => l >= classes);
  if (bad >= 0) throw new Error(`${names.labels}: label ${bad} is ${lb.data[bad]}, expected 0..${classes - 1}`);
  return { images: im.data, labels: lb.data, count, height, width, channels: 1 };
}

export interface IdxSplits {
  train: ImageSet;
  val: ImageSet;
  test: ImageSet;
  location: IdxLocation;
}

export interface LoadIdxOptions extends EnsureIdxOptions {
  trainLimit?: number;
  valLimit?: number;
  splitSeed?: number;
  valFraction?: number;
}

function setsOf(spec: IdxDatasetSpec, dir: string, raw: Map<string, Uint8Array>) {
  const named = (f: IdxFile) => join(dir, f.name);
  const n = spec.classes.length;
  return {
    trainAll: () =>
      idxImageSet(raw.get(spec.trainImages.name)!, raw.get(spec.trainLabels.name)!, { images: named(spec.trainImages), labels: named(spec.trainLabels) }, n),
    test: () =>
      idxImageSet(raw.get(spec.testImages.name)!, raw.get(spec.testLabels.name)!, { images: named(spec.testImages), labels: named(spec.testLabels) }, n),
  };
}

/** The 60,000 training images split into disjoint, seeded train and validation sets, and the 10,000 test images held apart. */
export async function loadIdxDataset(spec: IdxDatasetSpec, opts: LoadIdxOptions = {}): Promise<IdxSplits> {
  const { location, raw } = await ensureIdxDataset(spec, opts);
  const sets = setsOf(spec, location.dir, raw);
  const { train, val } = splitTrainVal(sets.trainAll(), opts);
  return { train, val, test: sets.test(), location };
}

/** Every training image (a seeded subset of `limit` of them) and the test images, for training found cells. */
export async function loadIdxFinal(
  spec: IdxDatasetSpec,
  opts: EnsureIdxOptions & { limit?: number; seed?: number } = {},
): Promise<{ train: ImageSet; test: ImageSet; location: IdxLocation }> {
  const { location, raw } = await ensureIdxDataset(spec, opts);
  const sets = setsOf(spec, location.dir, raw);
  return { train: limitSet(sets.trainAll(), opts.limit, opts.seed ?? 0), test: sets.test(), location };
}
