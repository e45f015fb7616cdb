// Finding, fetching and parsing CIFAR-10. The search only ever sees a train/validation split of
// the 50,000 training images; the test batch is loaded separately and never used in a search.

import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  ARCHIVE_NAME,
  BATCHES_DIR,
  IMAGE_BYTES,
  IMAGE_CHANNELS,
  IMAGE_SIDE,
  OFFICIAL_MD5,
  OFFICIAL_URL,
  PLANE_BYTES,
  RECORD_BYTES,
  recordsInBatch,
  TEST_BATCH_FILE,
  TRAIN_BATCH_FILES,
} from './cifar10-format.js';
import { downloadFile, transferOptions, md5File, type DownloadProgress } from './download.js';
import { extractCifar10Archive } from './extract.js';
import { checkLimit, checkSplitOptions, shuffledOrder } from './split.js';
import { CIFAR10_CLASSES, type Cifar10Splits, type ImageSet } from './types.js';

export { OFFICIAL_MD5 as CIFAR10_MD5, OFFICIAL_URL as CIFAR10_URL } from './cifar10-format.js';

export interface Cifar10Location {
  /** Where a download would go: --data-dir, else NASCENT_DATA, else ~/.cache/nascent/cifar-10. */
  cacheDir: string;
  /** The directory holding data_batch_1..5.bin when one was found (cacheDir itself or its cifar-10-batches-bin). */
  batchesDir: string | undefined;
}

function expandHome(path: string, home: string): string {
  return path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path;
}

function holdsTrainBatches(dir: string): boolean {
  return TRAIN_BATCH_FILES.every((f) => {
    try {
      const s = statSync(join(dir, f));
      return s.isFile() && s.size > 0;
    } catch {
      return false;
    }
  });
}

export function resolveCifar10Dir(opts: { dataDir?: string; env?: NodeJS.ProcessEnv } = {}): Cifar10Location {
  const env = opts.env ?? process.env;
  const home = env.HOME || homedir();
  const chosen = opts.dataDir || env.NASCENT_DATA || join(home, '.cache', 'nascent', 'cifar-10');
  const cacheDir = resolve(expandHome(chosen, home));
  const batchesDir = [cacheDir, join(cacheDir, BATCHES_DIR)].find(holdsTrainBatches);
  return { cacheDir, batchesDir };
}

const SYNTHETIC_MARKER = 'SYNTHETIC-NOT-CIFAR-10.txt';

/** True for a set written by a synthetic-CIFAR generator (bench/ speed tests use one), whose marker file sits beside the batches. */
export function isSyntheticCifar10(batchesDir: string): boolean {
  return existsSync(join(batchesDir, SYNTHETIC_MARKER)) || existsSync(join(batchesDir, '..', SYNTHETIC_MARKER));
}

export interface EnsureCifar10Options {
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  url?: string;
  md5?: string;
  allowHttp?: boolean;
  retries?: number;
  backoffMs?: number;
  readTimeoutMs?: number;
  /** Keep the verified .tar.gz after extracting (default: delete it, it is 170 MB). */
  keepArchive?: boolean;
  onProgress?: DownloadProgress;
  log?: (msg: string) => void;
  signal?: AbortSignal;
}

/**
 * The directory holding the CIFAR-10 .bin batches, downloading, verifying and extracting the
 * official archive into the cache when no batches are there yet.
 */
export async function ensureCifar10(opts: EnsureCifar10Options = {}): Promise<string> {
  const { cacheDir, batchesDir } = resolveCifar10Dir(opts);
  if (batchesDir) {
    if (isSyntheticCifar10(batchesDir)) opts.log?.(`${batchesDir} holds SYNTHETIC images (make-synthetic-cifar.mjs), not CIFAR-10`);
    return batchesDir;
  }

  const target = join(cacheDir, BATCHES_DIR);
  if (existsSync(target)) {
    const missing = TRAIN_BATCH_FILES.filter((f) => !existsSync(join(target, f)));
    throw new Error(
      `${target} exists but lacks ${missing.join(', ') || 'usable batches'}; delete it to download CIFAR-10 again, ` +
        `or point --data-dir / NASCENT_DATA at a complete copy`,
    );
  }
  mkdirSync(cacheDir, { recursive: true });
  const archive = join(cacheDir, ARCHIVE_NAME);
  const md5 = (opts.md5 ?? OFFICIAL_MD5).toLowerCase();
  const url = opts.url ?? OFFICIAL_URL;

  if (existsSync(archive)) {
    if ((await md5File(archive)) === md5) {
      opts.log?.(`using the verified archive already at ${archive}`);
    } else {
      opts.log?.(`${archive} fails its md5 check; deleting it and downloading again`);
      rmSync(archive, { force: true });
    }
  }
  if (!existsSync(archive)) {
    opts.log?.(`downloading CIFAR-10 from ${url} into ${cacheDir}`);
    await downloadFile({ url, dest: archive, md5, ...transferOptions(opts) });
  }

  try {
    const dir = await extractCifar10Archive(archive, cacheDir, { log: opts.log });
    opts.log?.(`extracted CIFAR-10 into ${dir}`);
    if (!opts.keepArchive) rmSync(archive, { force: true });
    return dir;
  } catch (err) {
    // A refused archive would be refused again; keeping it would only stop a later run from fetching a good one.
    rmSync(archive, { force: true });
    throw err;
  }
}

/** A whole batch file, its size checked against the record layout before it is read. */
function readBatch(file: string): { bytes: Buffer; count: number } {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`CIFAR-10 batch ${file} does not exist`);
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    const count = recordsInBatch(file, size);
    const bytes = Buffer.allocUnsafe(size);
    for (let off = 0; off < size; ) {
      const n = readSync(fd, bytes, off, size - off, off);
      if (n === 0) throw new Error(`CIFAR-10 batch ${file} shrank while being read (${off} of ${size} bytes)`);
      off += n;
    }
    return { bytes, count };
  } finally {
    closeSync(fd);
  }
}

function checkLabel(bytes: Buffer, record: number, file: string): number {
  const label = bytes[record * RECORD_BYTES];
  if (label >= CIFAR10_CLASSES) {
    throw new Error(`CIFAR-10 batch ${file}: record ${record} has label ${label}, expected 0..${CIFAR10_CLASSES - 1}`);
  }
  return label;
}

/** Copies one record's planar (CHW) pixels into slot `dst` of an NHWC image set. */
function decodeRecord(bytes: Buffer, record: number, set: ImageSet, dst: number, label: number): void {
  const src = record * RECORD_BYTES + 1;
  const out = dst * IMAGE_BYTES;
  const images = set.images;
  for (let p = 0; p < PLANE_BYTES; p++) {
    const o = out + p * IMAGE_CHANNELS;
    images[o] = bytes[src + p];
    images[o + 1] = bytes[src + PLANE_BYTES + p];
    images[o + 2] = bytes[src + 2 * PLANE_BYTES + p];
  }
  set.labels[dst] = label;
}

function emptySet(count: number): ImageSet {
  return {
    images: new Uint8Array(count * IMAGE_BYTES),
    labels: new Uint8Array(count),
    count,
    height: IMAGE_SIDE,
    width: IMAGE_SIDE,
    channels: IMAGE_CHANNELS,
  };
}

/** One batch file as an NHWC image set (used for test_batch.bin and for inspection). */
export function readCifar10Batch(file: string): ImageSet {
  const { bytes, count } = readBatch(file);
  const set = emptySet(count);
  for (let r = 0; r < count; r++) decodeRecord(bytes, r, set, r, checkLabel(bytes, r, file));
  return set;
}

export interface LoadCifar10Options {
  /** Keep only the first N images of the (shuffled) training side. */
  trainLimit?: number;
  /** Keep only the first N images of the (shuffled) validation side. */
  valLimit?: number;
  /** Seed of the permutation that splits train from validation (default 0). */
  splitSeed?: number;
  /** Share of the training batches held out for validation (default 0.2: 40,000 / 10,000). */
  valFraction?: number;
}

/**
 * Reads each batch once and hands every record to `visit` with its index across all the files and
 * its checked label; a file whose size changed since `counts` were taken is an error.
 */
function eachRecord(files: string[], counts: number[], visit: (bytes: Buffer, record: number, index: number, label: number) => void): void {
  let g = 0;
  files.forEach((file, b) => {
    const { bytes, count } = readBatch(file);
    if (count !== counts[b]) throw new Error(`CIFAR-10 batch ${file} changed size while loading`);
    for (let r = 0; r < count; r++, g++) visit(bytes, r, g, checkLabel(bytes, r, file));
  });
}

/** The five training batch files of `dir`, each one's record count (from its size) and the total. */
function trainingBatches(dir: string): { files: string[]; counts: number[]; total: number } {
  const files = TRAIN_BATCH_FILES.map((f) => join(dir, f));
  const counts = files.map((f) => {
    if (!existsSync(f)) throw new Error(`CIFAR-10 batch ${f} does not exist`);
    return recordsInBatch(f, statSync(f).size);
  });
  return { files, counts, total: counts.reduce((a, b) => a + b, 0) };
}

/**
 * The five training batches split into disjoint train and validation sets. A seeded permutation
 * of all records puts the first (1 - valFraction) in train and the rest in val; limits take
 * prefixes of each side, so a smaller validation set is still disjoint from any training set.
 * Each batch file is read once and decoded straight into its destination.
 */
export function loadCifar10(dir: string, opts: LoadCifar10Options = {}): Cifar10Splits {
  const { valFraction, seed: splitSeed } = checkSplitOptions(opts);

  const { files, counts, total } = trainingBatches(dir);
  const valSide = Math.round(total * valFraction);
  const trainSide = total - valSide;
  if (valSide < 1 || trainSide < 1) throw new Error(`${total} training records cannot be split with valFraction ${valFraction}`);

  const order = shuffledOrder(total, splitSeed);
  const train = emptySet(Math.min(trainSide, opts.trainLimit ?? trainSide));
  const val = emptySet(Math.min(valSide, opts.valLimit ?? valSide));
  // slot[g] >= 0: position in train; slot[g] <= -2: position -(slot + 2) in val; -1: unused.
  const slot = new Int32Array(total).fill(-1);
  for (let p = 0; p < train.count; p++) slot[order[p]] = p;
  for (let q = 0; q < val.count; q++) slot[order[trainSide + q]] = -(q + 2);

  eachRecord(files, counts, (bytes, r, g, label) => {
    const s = slot[g];
    if (s >= 0) decodeRecord(bytes, r, train, s, label);
    else if (s <= -2) decodeRecord(bytes, r, val, -(s + 2), label);
  });
  return { train, val };
}

/** test_batch.bin, for a final evaluation outside the search. */
export function loadCifar10Test(dir: string): ImageSet {
  return readCifar10Batch(join(dir, TEST_BATCH_FILE));
}

export interface LoadCifar10TrainOptions {
  /** Keep a random subset of N images (a seeded choice, the same every time), for quick looks. */
  limit?: number;
  /** Seed of that choice (default 0). */
  seed?: number;
}

/**
 * All 50,000 training images (data_batch_1..5) as one set, for training a final network once the
 * search is over: the search's validation split is no longer needed, and the test batch stays out.
 */
export function loadCifar10Train(dir: string, opts: LoadCifar10TrainOptions = {}): ImageSet {
  checkLimit('limit', opts.limit);
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const { files, counts, total } = trainingBatches(dir);
  const set = emptySet(Math.min(total, opts.limit ?? total));
  // slot[g]: where record g goes in the set, -1 when it is left out.
  const slot = new Int32Array(total).fill(-1);
  if (set.count === total) for (let g = 0; g < total; g++) slot[g] = g;
  else {
    const order = shuffledOrder(total, seed);
    for (let p = 0; p < set.count; p++) slot[order[p]] = p;
  }
  eachRecord(files, counts, (bytes, r, g, label) => {
    if (slot[g] >= 0) decodeRecord(bytes, r, set, slot[g], label);
  });
  return set;
}
