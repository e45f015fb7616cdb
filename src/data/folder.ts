// `folder:DIR`: a directory of class subdirectories of images, as torchvision's ImageFolder reads
// (DIR/<class>/*.png|jpg|jpeg|webp; classes are the subdirectory names in sorted order, label i
// the i-th). Every image is decoded and resized with sharp to imageSize x imageSize (resized to
// cover the square, then centre-cropped), grey when every image is grey, else RGB (alpha flattened
// onto black). The decoded set is cached, keyed by the file list, sizes and modification times and
// the image size, so a second run reads one file. A file that is not an image, cannot be decoded,
// or sits where no class is, is reported by name: nothing is skipped silently.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import { homedir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../store/atomic.js';
import { Rng } from '../util/random.js';
import { pool } from '../util/pool.js';
import { checkLimit, concatSets, limitSet, subset } from './split.js';
import type { ImageSet } from './types.js';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp'];
export const DEFAULT_IMAGE_SIZE = 32;
/** Labels are bytes. */
export const MAX_CLASSES = 256;
/** Each class needs an image in each of train, validation and test. */
export const MIN_IMAGES_PER_CLASS = 3;

export class FolderDatasetError extends Error {
  constructor(
    message: string,
    readonly problems: string[] = [],
  ) {
    super(problems.length ? `${message}:\n  ${problems.join('\n  ')}` : message);
    this.name = 'FolderDatasetError';
  }
}

export interface FolderFile {
  /** Path relative to the data set's directory: `<class>/<name>`. */
  rel: string;
  path: string;
  label: number;
  size: number;
  mtimeMs: number;
}

export interface FolderScan {
  dir: string;
  classes: string[];
  files: FolderFile[];
}

/** Lists DIR's classes and images; throws a FolderDatasetError naming every file or directory that does not fit the layout. */
export function scanImageFolder(dirArg: string): FolderScan {
  const dir = resolve(dirArg);
  let top: Dirent[];
  try {
    if (!statSync(dir).isDirectory()) throw new FolderDatasetError(`folder:${dirArg}: ${dir} is not a directory`);
    top = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if (err instanceof FolderDatasetError) throw err;
    throw new FolderDatasetError(`folder:${dirArg}: cannot read ${dir}: ${(err as Error).message}`);
  }
  const problems: string[] = [];
  const classes = top
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  for (const e of top) if (!e.isDirectory()) problems.push(`${e.name}: not a class directory (images go in ${dir}/<class>/)`);
  const files: FolderFile[] = [];
  classes.forEach((cls, label) => {
    const entries = readdirSync(join(dir, cls), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    let images = 0;
    for (const e of entries) {
      const rel = `${cls}/${e.name}`;
      const path = join(dir, cls, e.name);
      if (e.isDirectory()) {
        problems.push(`${rel}/: a directory inside a class (classes are one level deep)`);
        continue;
      }
      if (!IMAGE_EXTENSIONS.includes(extname(e.name).toLowerCase())) {
        problems.push(`${rel}: not an image file (expected ${IMAGE_EXTENSIONS.join(', ')})`);
        continue;
      }
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(path);
      } catch (err) {
        problems.push(`${rel}: cannot be read: ${(err as Error).message}`);
        continue;
      }
      if (!st.isFile()) {
        problems.push(`${rel}: not a regular file`);
        continue;
      }
      if (st.size === 0) {
        problems.push(`${rel}: empty file`);
        continue;
      }
      files.push({ rel, path, label, size: st.size, mtimeMs: st.mtimeMs });
      images++;
    }
    if (images < MIN_IMAGES_PER_CLASS)
      problems.push(
        `${cls}/: ${images} image${images === 1 ? '' : 's'}; each class needs at least ${MIN_IMAGES_PER_CLASS} (one each for training, validation and test)`,
      );
  });
  if (classes.length < 2) problems.push(`${classes.length} class director${classes.length === 1 ? 'y' : 'ies'}; at least 2 are needed`);
  if (classes.length > MAX_CLASSES) problems.push(`${classes.length} classes; at most ${MAX_CLASSES} are supported`);
  if (problems.length) throw new FolderDatasetError(`folder:${dirArg} (${dir}) does not have the layout DIR/<class>/<image>`, problems);
  return { dir, classes, files };
}

export interface DecodedFolder {
  /** Every image of the folder, in scan order (class by class, names sorted). */
  all: ImageSet;
  classes: string[];
  files: string[];
  /** The cache file the set was read from or written to. */
  cacheFile: string;
  fromCache: boolean;
}

export interface DecodeFolderOptions {
  imageSize?: number;
  /** Where decoded sets are cached; default $NASCENT_CACHE/folders or ~/.cache/nascent/folders. */
  cacheDir?: string;
  env?: NodeJS.ProcessEnv;
  log?: (msg: string) => void;
}

export function folderCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.NASCENT_CACHE ? join(resolve(env.NASCENT_CACHE), 'folders') : join(env.HOME || homedir(), '.cache', 'nascent', 'folders');
}

const CACHE_MAGIC = 'nascent.folder-cache.v1\n';

function cacheKey(scan: FolderScan, imageSize: number): string {
  const id = { format: CACHE_MAGIC, dir: scan.dir, imageSize, classes: scan.classes, files: scan.files.map((f) => [f.rel, f.size, f.mtimeMs]) };
  return createHash('sha256').update(JSON.stringify(id)).digest('hex').slice(0, 24);
}

interface CacheHeader {
  count: number;
  height: number;
  width: number;
  channels: number;
  classes: string[];
  files: string[];
}

function readCache(file: string, scan: FolderScan): { set: ImageSet; header: CacheHeader } | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined;
  }
  const magic = Buffer.from(CACHE_MAGIC);
  if (bytes.length < magic.length + 4 || !bytes.subarray(0, magic.length).equals(magic)) return undefined;
  const headerLength = bytes.readUInt32LE(magic.length);
  const start = magic.length + 4 + headerLength;
  let header: CacheHeader;
  try {
    header = JSON.parse(bytes.subarray(magic.length + 4, start).toString('utf8')) as CacheHeader;
  } catch {
    return undefined;
  }
  const pixels = header.count * header.height * header.width * header.channels;
  if (bytes.length !== start + pixels + header.count || header.count !== scan.files.length) return undefined;
  if (JSON.stringify(header.files) !== JSON.stringify(scan.files.map((f) => f.rel))) return undefined;
  const images = new Uint8Array(bytes.buffer, bytes.byteOffset + start, pixels);
  const labels = new Uint8Array(bytes.buffer, bytes.byteOffset + start + pixels, header.count);
  return { set: { images, labels, count: header.count, height: header.height, width: header.width, channels: header.channels }, header };
}

function writeCache(file: string, set: ImageSet, header: CacheHeader): void {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length);
  writeFileAtomic(file, Buffer.concat([Buffer.from(CACHE_MAGIC), length, json, set.images, set.labels]));
}

// sharp's ESM typings declare the Sharp instance but not the default-exported function.
type SharpFunction = (input: string, options?: { failOn?: 'none' | 'truncated' | 'error' | 'warning' }) => import('sharp').Sharp;

async function loadSharp(): Promise<SharpFunction> {
  try {
    const mod = (await import('sharp')) as unknown as { default?: SharpFunction };
    return (mod.default ?? mod) as SharpFunction;
  } catch (err) {
    throw new Error(`folder data sets decode images with the sharp package, which did not load: ${(err as Error).message} (run npm install)`);
  }
}

/** Every image of the folder decoded to imageSize x imageSize (from the cache when nothing changed). */
export async function decodeImageFolder(dirArg: string, opts: DecodeFolderOptions = {}): Promise<DecodedFolder> {
  const size = opts.imageSize ?? DEFAULT_IMAGE_SIZE;
  if (!Number.isInteger(size) || size < 4 || size > 1024) throw new RangeError(`imageSize must be an integer from 4 to 1024, got ${size}`);
  const scan = scanImageFolder(dirArg);
  const cacheDir = resolve(opts.cacheDir ?? folderCacheDir(opts.env));
  const cacheFile = join(cacheDir, `${cacheKey(scan, size)}.bin`);
  const files = scan.files.map((f) => f.rel);
  const cached = readCache(cacheFile, scan);
  if (cached) {
    opts.log?.(`read ${cached.set.count} decoded images of folder:${dirArg} from the cache ${cacheFile}`);
    return { all: cached.set, classes: scan.classes, files, cacheFile, fromCache: true };
  }

  const sharp = await loadSharp();
  const problems: string[] = [];
  const concurrency = 4;
  // First the headers: the set is grey when every image is, else RGB.
  const metas = await pool(scan.files, concurrency, async (f) => {
    try {
      const m = await sharp(f.path).metadata();
      if (!m.width || !m.height) throw new Error('no image dimensions');
      return { grey: m.space === 'b-w' || (m.channels ?? 3) <= 2 };
    } catch (err) {
      problems.push(`${f.rel}: cannot be decoded: ${(err as Error).message}`);
      return undefined;
    }
  });
  if (problems.length)
    throw new FolderDatasetError(`folder:${dirArg}: ${problems.length} of ${scan.files.length} files are not readable images`, problems.sort());
  const channels = metas.every((m) => m!.grey) ? 1 : 3;
  const pixels = size * size * channels;
  const set: ImageSet = {
    images: new Uint8Array(scan.files.length * pixels),
    labels: new Uint8Array(scan.files.length),
    count: scan.files.length,
    height: size,
    width: size,
    channels,
  };
  opts.log?.(`decoding ${scan.files.length} images of ${scan.classes.length} classes from ${scan.dir} to ${size}x${size}x${channels}`);
  await pool(scan.files, concurrency, async (f, i) => {
    try {
      let img = sharp(f.path, { failOn: 'error' }).resize(size, size, { fit: 'cover', position: 'centre' }).flatten({ background: '#000000' });
      img = channels === 1 ? img.grayscale() : img.toColourspace('srgb');
      const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
      if (info.channels !== channels || data.length !== pixels)
        throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected ${size}x${size}x${channels}`);
      set.images.set(data, i * pixels);
      set.labels[i] = f.label;
    } catch (err) {
      problems.push(`${f.rel}: cannot be decoded: ${(err as Error).message}`);
    }
  });
  if (problems.length)
    throw new FolderDatasetError(`folder:${dirArg}: ${problems.length} of ${scan.files.length} files are not readable images`, problems.sort());
  mkdirSync(cacheDir, { recursive: true });
  writeCache(cacheFile, set, { count: set.count, height: size, width: size, channels, classes: scan.classes, files });
  opts.log?.(`cached the decoded images in ${cacheFile}`);
  return { all: set, classes: scan.classes, files, cacheFile, fromCache: false };
}

export interface StratifiedOptions {
  /** Share of each class held apart as the test set (default 0.2). */
  testFraction?: number;
  /** Share of each class for validation (default 0.2). */
  valFraction?: number;
  splitSeed?: number;
  trainLimit?: number;
  valLimit?: number;
}

/**
 * Train, validation and test sets that split every class in the same proportions: each class's
 * images in a seeded order, the first round(n * testFraction) (at least 1) to test, the next
 * round(n * valFraction) (at least 1) to validation, the rest to training; each side is then put in
 * a seeded order, and limits take prefixes of it.
 */
export function stratifiedSplit(all: ImageSet, classes: number, opts: StratifiedOptions = {}): { train: ImageSet; val: ImageSet; test: ImageSet } {
  const testFraction = opts.testFraction ?? 0.2;
  const valFraction = opts.valFraction ?? 0.2;
  if (!(testFraction > 0 && valFraction > 0 && testFraction + valFraction < 1)) {
    throw new RangeError(`testFraction and valFraction must be positive with a sum below 1, got ${testFraction} and ${valFraction}`);
  }
  checkLimit('trainLimit', opts.trainLimit);
  checkLimit('valLimit', opts.valLimit);
  const seed = opts.splitSeed ?? 0;
  if (!Number.isInteger(seed)) throw new RangeError(`splitSeed must be an integer, got ${seed}`);
  const rng = new Rng(seed);
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < all.count; i++) byClass[all.labels[i]].push(i);
  const sides = { train: [] as number[], val: [] as number[], test: [] as number[] };
  byClass.forEach((idx, c) => {
    if (idx.length < MIN_IMAGES_PER_CLASS) throw new Error(`class ${c} has ${idx.length} images; a stratified split needs at least ${MIN_IMAGES_PER_CLASS}`);
    rng.shuffle(idx);
    const nTest = Math.max(1, Math.round(idx.length * testFraction));
    const nVal = Math.max(1, Math.min(idx.length - nTest - 1, Math.round(idx.length * valFraction)));
    sides.test.push(...idx.slice(0, nTest));
    sides.val.push(...idx.slice(nTest, nTest + nVal));
    sides.train.push(...idx.slice(nTest + nVal));
  });
  for (const side of Object.values(sides)) rng.shuffle(side);
  return {
    train: subset(all, sides.train.slice(0, opts.trainLimit ?? sides.train.length)),
    val: subset(all, sides.val.slice(0, opts.valLimit ?? sides.val.length)),
    test: subset(all, sides.test),
  };
}

export interface LoadFolderOptions extends DecodeFolderOptions, StratifiedOptions {}

export interface FolderSplits {
  train: ImageSet;
  val: ImageSet;
  test: ImageSet;
  classes: string[];
  dir: string;
  cacheFile: string;
}

export async function loadImageFolder(dir: string, opts: LoadFolderOptions = {}): Promise<FolderSplits> {
  const decoded = await decodeImageFolder(dir, opts);
  const split = stratifiedSplit(decoded.all, decoded.classes.length, opts);
  return { ...split, classes: decoded.classes, dir: resolve(dir), cacheFile: decoded.cacheFile };
}

/** Training and validation images together (a seeded subset of `limit`), the test images apart: for training found cells. */
export async function loadImageFolderFinal(
  dir: string,
  opts: LoadFolderOptions & { limit?: number; seed?: number } = {},
): Promise<FolderSplits & { val: ImageSet }> {
  const s = await loadImageFolder(dir, { ...opts, trainLimit: undefined, valLimit: undefined });
  return { ...s, train: limitSet(concatSets(s.train, s.val), opts.limit, opts.seed ?? 0) };
}
