// Unpacks the CIFAR-10 archive without trusting it: every entry is checked before a byte is
// written, only the files the official release holds are written, and the result appears in the
// cache in one rename, so an interrupted extraction never leaves a directory a later run accepts.

import { createReadStream, createWriteStream, existsSync, mkdirSync, type WriteStream } from 'node:fs';
import { mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Parser, type ReadEntry } from 'tar';
import { ARCHIVE_FILES, BATCHES_DIR, recordsInBatch, REQUIRED_FILES, TRAIN_BATCH_FILES, TEST_BATCH_FILE } from './cifar10-format.js';

/** The largest official member is a 30,730,000-byte batch; anything far past that is not CIFAR-10. */
export const DEFAULT_MAX_ENTRY_BYTES = 32 * 1024 * 1024;

export interface ExtractOptions {
  maxEntryBytes?: number;
  log?: (msg: string) => void;
}

export class UnsafeArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeArchiveError';
  }
}

type EntryPlan = { kind: 'write'; name: string } | { kind: 'skip'; why?: string };

const REGULAR_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
const WANTED = new Set(ARCHIVE_FILES);

/** Decides what to do with one entry, throwing for anything that could write outside the cache. */
function planEntry(entry: ReadEntry, archive: string, maxEntryBytes: number): EntryPlan {
  const raw = entry.path;
  const refuse = (why: string) => new UnsafeArchiveError(`refusing archive ${archive}: entry "${raw}" ${why}`);
  if (raw.includes('\0')) throw refuse('has a NUL byte in its path');
  if (/^([a-zA-Z]:)?[\\/]/.test(raw)) throw refuse('has an absolute path');
  const parts = raw.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw refuse('climbs out of the extraction directory with ".."');
  if (entry.type === 'SymbolicLink' || entry.type === 'Link') {
    throw refuse(`is a ${entry.type === 'Link' ? 'hard link' : 'symbolic link'} to "${entry.linkpath}"; links are not allowed`);
  }
  if (entry.size > maxEntryBytes) throw refuse(`declares ${entry.size} bytes, more than the ${maxEntryBytes}-byte limit for a CIFAR-10 member`);
  if (entry.type === 'Directory') return { kind: 'skip' };
  if (!REGULAR_TYPES.has(entry.type)) throw refuse(`has unsupported type ${entry.type}`);
  if (parts.length === 2 && parts[0] === BATCHES_DIR && WANTED.has(parts[1])) return { kind: 'write', name: parts[1] };
  return { kind: 'skip', why: `skipping unexpected archive entry "${raw}"` };
}

/** Streams the archive through tar's parser, writing the wanted members under `root/BATCHES_DIR`. */
function unpack(archive: string, root: string, opts: ExtractOptions): Promise<Map<string, number>> {
  const maxEntryBytes = opts.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES;
  const outDir = join(root, BATCHES_DIR);
  mkdirSync(outDir, { recursive: true });
  const declared = new Map<string, number>();
  const outputs: WriteStream[] = [];
  const writes: Promise<void>[] = [];

  return new Promise((resolve, reject) => {
    let settled = false;
    const input = createReadStream(archive);
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      input.destroy();
      for (const out of outputs) out.destroy();
      // Let the open files close before the caller deletes the staging directory.
      void Promise.allSettled(writes).then(() => reject(err));
    };
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        if (settled) return void entry.resume();
        let plan: EntryPlan;
        try {
          plan = planEntry(entry, archive, maxEntryBytes);
        } catch (err) {
          entry.resume();
          return fail(err);
        }
        if (plan.kind === 'skip') {
          if (plan.why) opts.log?.(plan.why);
          return void entry.resume();
        }
        if (declared.has(plan.name)) {
          entry.resume();
          return fail(new UnsafeArchiveError(`refusing archive ${archive}: it holds ${BATCHES_DIR}/${plan.name} more than once`));
        }
        declared.set(plan.name, entry.size);
        const out = createWriteStream(join(outDir, plan.name), { flags: 'wx', mode: 0o644 });
        outputs.push(out);
        writes.push(
          new Promise<void>((done, failed) => {
            out.on('close', done);
            out.on('error', failed);
          }).catch((err) => fail(err)),
        );
        entry.pipe(out);
      },
    });
    parser.on('error', (err: Error) => fail(new Error(`cannot read archive ${archive}: ${err.message}`, { cause: err })));
    parser.on('end', () => {
      void Promise.all(writes).then(() => {
        if (settled) return;
        settled = true;
        resolve(declared);
      });
    });
    input.on('error', (err) => fail(err));
    input.pipe(parser);
  });
}

/** Checks the staged files before they are published: all required ones, whole, of batch shape. */
async function verifyStaged(dir: string, declared: Map<string, number>, archive: string): Promise<void> {
  const missing = REQUIRED_FILES.filter((f) => !declared.has(f));
  if (missing.length) throw new Error(`archive ${archive} lacks ${missing.map((f) => `${BATCHES_DIR}/${f}`).join(', ')}`);
  for (const [name, size] of declared) {
    const onDisk = (await stat(join(dir, name))).size;
    if (onDisk !== size) throw new Error(`extracting ${name} from ${archive} wrote ${onDisk} of ${size} bytes`);
    if (TRAIN_BATCH_FILES.includes(name) || name === TEST_BATCH_FILE) recordsInBatch(`${name} in ${archive}`, size);
  }
}

/**
 * Extracts the official archive into `cacheDir/cifar-10-batches-bin` and returns that path.
 * Throws UnsafeArchiveError for path traversal, absolute paths, links or absurd sizes; the cache
 * is left as it was on any failure.
 */
export async function extractCifar10Archive(archive: string, cacheDir: string, opts: ExtractOptions = {}): Promise<string> {
  const final = join(cacheDir, BATCHES_DIR);
  if (existsSync(final)) throw new Error(`cannot extract into ${final}: it already exists`);
  // Staged inside the cache so the final rename stays on one filesystem and is atomic.
  const staging = await mkdtemp(join(cacheDir, '.extract-'));
  try {
    const declared = await unpack(archive, staging, opts);
    await verifyStaged(join(staging, BATCHES_DIR), declared, archive);
    await rename(join(staging, BATCHES_DIR), final);
    return final;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
