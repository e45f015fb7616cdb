// The NAS-Bench-201 table: every cell of the space with its trained test accuracy on CIFAR-10,
// CIFAR-100 and ImageNet16-120 (NATS-Bench's topology space, 200 epochs, mean over seeds). A search
// over it evaluates a cell by a lookup instead of a training, so strategies can be compared over
// many seeds in seconds. Users get the table from its public home, checked by sha256.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseNb201 } from '../spaces/nas-bench-201/space.js';
import { SpaceValidationError } from '../spaces/types.js';
import { downloadFile, hashFile, type DownloadProgress } from './download.js';

export const NB201_DATASETS = ['cifar10', 'cifar100', 'imagenet16-120'] as const;
export type Nb201Dataset = (typeof NB201_DATASETS)[number];

/** The column holding each data set's test accuracy (percent). */
export const NB201_COLUMNS: Record<Nb201Dataset, string> = {
  cifar10: 'CIFAR10TestAccuracy200Epochs',
  cifar100: 'CIFAR100TestAccuracy200Epochs',
  'imagenet16-120': 'ImageNetTestAccuracy200Epochs',
};
const ARCH_COLUMN = 'ArchitectureString';

export const NATS_BENCH_URL = 'https://raw.githubusercontent.com/v-tao/nats-bench-landscape/b307ae5fe6e8d7043cd4fe7d1c3532288271adb7/nats_bench.csv';
export const NATS_BENCH_SHA256 = 'cb5d777ec3368be83c8f9b3aa4d520696051cb0eb8d94b8f85b519f9ea4afa3e';
export const NATS_BENCH_FILE = 'nats_bench.csv';

export class NatsBenchTableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NatsBenchTableError';
  }
}

export interface NatsBenchTable {
  file: string;
  /** Rows (cells) in the table. */
  size: number;
  /** Test accuracy in percent of the cell written as the benchmark writes it, or undefined. */
  accuracy(arch: string, dataset: Nb201Dataset): number | undefined;
  /** The best cell for a data set. */
  best(dataset: Nb201Dataset): { arch: string; accuracy: number };
}

/** Splits one CSV line; the table quotes nothing, but a quoted field is read correctly anyway. */
function splitCsv(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') out.push(field), (field = '');
    else field += ch;
  }
  out.push(field);
  return out;
}

/** Reads and checks the table; every problem names the file, and the line where there is one. */
export function readNatsBenchTable(file: string): NatsBenchTable {
  const path = resolve(file);
  if (!existsSync(path)) {
    throw new NatsBenchTableError(
      `${path} does not exist: give the NAS-Bench-201 table with --table FILE, or leave --table out to download it (${NATS_BENCH_URL})`,
    );
  }
  if (statSync(path).isDirectory()) throw new NatsBenchTableError(`${path} is a directory, not the NAS-Bench-201 table (a .csv file)`);
  const lines = readFileSync(path, 'utf8')
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) throw new NatsBenchTableError(`${path} is empty, not the NAS-Bench-201 table`);
  const header = splitCsv(lines[0]).map((h) => h.trim());
  const index = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new NatsBenchTableError(`${path}: no column ${name} in its header (${header.join(', ')})`);
    return i;
  };
  const archAt = index(ARCH_COLUMN);
  const accAt = NB201_DATASETS.map((d) => index(NB201_COLUMNS[d]));
  // Cells are numbered in file order; one Float64Array per data set holds their accuracies.
  const rowOf = new Map<string, number>();
  const lineOf: number[] = [];
  const acc = NB201_DATASETS.map(() => new Float64Array(lines.length - 1));
  for (let n = 1; n < lines.length; n++) {
    const where = `${path}:${n + 1}`;
    const fields = splitCsv(lines[n]);
    if (fields.length !== header.length) throw new NatsBenchTableError(`${where}: ${fields.length} fields, the header has ${header.length}`);
    const arch = fields[archAt];
    try {
      parseNb201(arch);
    } catch (err) {
      const what = err instanceof SpaceValidationError ? err.issues.map((i) => i.message).join('; ') : String(err);
      throw new NatsBenchTableError(`${where}: ${ARCH_COLUMN} ${JSON.stringify(arch)} is not a cell string like |op~0|+|op~0|op~1|+|op~0|op~1|op~2| (${what})`);
    }
    const seen = rowOf.get(arch);
    if (seen !== undefined) throw new NatsBenchTableError(`${where}: cell ${arch} appears a second time (first on line ${lineOf[seen]})`);
    const row = lineOf.length;
    rowOf.set(arch, row);
    lineOf.push(n + 1);
    accAt.forEach((col, d) => {
      const text = fields[col].trim();
      const v = Number(text);
      if (text === '' || !Number.isFinite(v) || v < 0 || v > 100) {
        throw new NatsBenchTableError(`${where}: ${header[col]} is ${JSON.stringify(fields[col])}, not an accuracy in percent (0 to 100)`);
      }
      acc[d][row] = v;
    });
  }
  if (rowOf.size === 0) throw new NatsBenchTableError(`${path} has a header but no cells`);
  const archs = [...rowOf.keys()];
  const bests = acc.map((values) => {
    let best = 0;
    for (let r = 1; r < archs.length; r++) if (values[r] > values[best]) best = r;
    return { arch: archs[best], accuracy: values[best] };
  });
  const di = (dataset: Nb201Dataset) => {
    const d = NB201_DATASETS.indexOf(dataset);
    if (d < 0) throw new RangeError(`unknown NAS-Bench-201 data set ${JSON.stringify(dataset)} (one of ${NB201_DATASETS.join(', ')})`);
    return d;
  };
  return {
    file: path,
    size: archs.length,
    accuracy: (arch, dataset) => {
      const row = rowOf.get(arch);
      return row === undefined ? undefined : acc[di(dataset)][row];
    },
    best: (dataset) => ({ ...bests[di(dataset)] }),
  };
}

export interface EnsureTableOptions {
  /** A table the user gave (--table): used as it is. */
  table?: string;
  /** Where a download goes: default $NASCENT_CACHE/nats-bench or ~/.cache/nascent/nats-bench. */
  cacheDir?: string;
  url?: string;
  sha256?: string;
  allowHttp?: boolean;
  env?: NodeJS.ProcessEnv;
  retries?: number;
  backoffMs?: number;
  log?: (line: string) => void;
  onProgress?: DownloadProgress;
}

export function defaultTableCache(env: NodeJS.ProcessEnv = process.env): string {
  return env.NASCENT_CACHE ? join(resolve(env.NASCENT_CACHE), 'nats-bench') : join(env.HOME || homedir(), '.cache', 'nascent', 'nats-bench');
}

/**
 * The path of the table: the one given (--table), else the cached download, else a fresh download
 * checked by sha256. The cache is `$NASCENT_CACHE/nats-bench/`, else `~/.cache/nascent/nats-bench/`
 * (beside CIFAR-10's `~/.cache/nascent/cifar-10`; `NASCENT_DATA` names CIFAR-10's own directory, so
 * it is not reused here).
 */
export async function ensureNatsBenchTable(opts: EnsureTableOptions = {}): Promise<string> {
  if (opts.table !== undefined) {
    const path = resolve(opts.table);
    if (!existsSync(path)) throw new NatsBenchTableError(`--table ${path} does not exist (leave --table out to download the table from ${NATS_BENCH_URL})`);
    return path;
  }
  const dest = join(opts.cacheDir ?? defaultTableCache(opts.env), NATS_BENCH_FILE);
  const sha256 = (opts.sha256 ?? NATS_BENCH_SHA256).toLowerCase();
  const url = opts.url ?? NATS_BENCH_URL;
  // Only a verified download takes this name, but a cached table may come from another mirror (its
  // own --sha256) or have been edited since; hashing 3 MB costs milliseconds, so check each time.
  if (existsSync(dest)) {
    const actual = await hashFile(dest, 'sha256');
    if (actual === sha256) return dest;
    opts.log?.(`the cached table ${dest} has sha256 ${actual}, not ${sha256}: downloading it again`);
  }
  mkdirSync(dirname(dest), { recursive: true });
  opts.log?.(`downloading the NAS-Bench-201 table (${url}) into ${dest}`);
  await downloadFile({
    url,
    dest,
    sha256,
    allowHttp: opts.allowHttp,
    retries: opts.retries,
    backoffMs: opts.backoffMs,
    log: opts.log,
    onProgress: opts.onProgress,
  });
  return dest;
}
