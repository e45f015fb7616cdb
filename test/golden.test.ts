// Golden runs: tiny seeded searches of every kind (a standard controller search, Hyperband with a
// promotion, weight sharing, the NAS-Bench-201 table with evolution and with the controller), run
// through the CLI in process on the deterministic cpu backend and compared record by record with
// what the code of 2026-12-03 (f1f035a, before the search wiring was refactored) wrote for the same
// command. A change that alters any result fails here; only the fields in TIME_DEPENDENT may differ.
// The fixtures are test/fixtures/golden/<kind>/: args.json (the argv after `search`, with the data
// paths as placeholders) and the files that hold the run's results.
import { recordedConfig } from '../src/config/read.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nascentInProcess } from './helpers/in-process.js';
import { haveShared, NB201_TABLE, SHARED } from './helpers/shared.js';

const GOLDEN = join(__dirname, 'fixtures', 'golden');
const CIFAR_SUBSET = join(SHARED, 'data', 'cifar10-subset');

/**
 * The only fields two runs of the same seeded search on cpu write differently (found by running each
 * kind twice and diffing every file). Each is a reading of the clock, not a result:
 * - `time`: when a trial line (trials.jsonl) or a strategy step (ws-steps.jsonl) was written;
 * - `seconds`: a child's training (or a table lookup's) wall time;
 * - `latencyMs`: each trained child's measured batch-1 inference latency (the median of 10 timed
 *   predictions), recorded in every trial and in best-cells.json whatever the objective;
 * - `created`: when the run started (config.json), copied into `settings` of best-cells.json and of
 *   each top-cells.jsonl line.
 * They are ignored at any depth of a record.
 */
export const TIME_DEPENDENT = ['time', 'seconds', 'latencyMs', 'created'] as const;

/** The data paths args.json and the fixtures name by placeholder (they differ between checkouts). */
const PLACEHOLDERS: Array<[string, string]> = [
  ['$CIFAR_SUBSET', CIFAR_SUBSET],
  ['$NB201_TABLE', NB201_TABLE],
];

interface Kind {
  name: string;
  /** Result files compared with the fixture's. */
  files: string[];
  needs: 'subset' | 'table';
}

const KINDS: Kind[] = [
  { name: 'child', files: ['trials.jsonl', 'best-cells.json'], needs: 'subset' },
  { name: 'hyperband', files: ['trials.jsonl', 'best-cells.json'], needs: 'subset' },
  { name: 'weight-sharing', files: ['ws-steps.jsonl', 'final-samples.jsonl', 'top-cells.jsonl', 'best-cells.json'], needs: 'subset' },
  { name: 'table-evolution', files: ['trials.jsonl', 'best-cells.json'], needs: 'table' },
  { name: 'table-controller', files: ['trials.jsonl', 'best-cells.json'], needs: 'table' },
];

const nascent = nascentInProcess;

/** The records of a .json or .jsonl file, with this checkout's data paths written as placeholders. */
function records(path: string): unknown[] {
  let text = readFileSync(path, 'utf8');
  for (const [name, value] of PLACEHOLDERS) text = text.split(value).join(name);
  if (path.endsWith('.jsonl'))
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as unknown);
  return [JSON.parse(text) as unknown];
}

/**
 * A best-cells record's `settings` (the run's config.json) as the search configuration it means:
 * the fixtures were written by version 1's flat config, today's runs write version 2 (issue 25's
 * redesign); both are compared as the current SearchConfig, without the run's own facts.
 */
function asSettings(record: unknown): unknown {
  if (record === null || typeof record !== 'object' || !('settings' in record)) return record;
  // The format's version went from 1 to 2 with the settings' shape; what the record says is compared below.
  const { settings, version: _version, ...rest } = record as { settings: Record<string, unknown>; version: number };
  // A weight-sharing search adds its cost so far to the settings it records with its cells.
  const { trainImageSteps, scoredImages, childEpochs, ...written } = settings;
  const { run: _run, ...config } = recordedConfig(written);
  // Where the images were read from is this machine's, not a setting of the search (version 1 kept
  // the batches directory it loaded, version 2 the directory given and the loaded one under run).
  if (config.problem.space === 'nasnet') delete config.problem.data.dir;
  return { ...rest, settings: config, cost: { trainImageSteps, scoredImages, childEpochs } };
}

/** A copy of a record without the TIME_DEPENDENT fields, at any depth. */
function stripTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripTimes);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !(TIME_DEPENDENT as readonly string[]).includes(key))
      .map(([key, v]) => [key, stripTimes(v)]),
  );
}

const root = mkdtempSync(join(tmpdir(), 'nascent-golden-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const haveSubset = haveShared(CIFAR_SUBSET, 'the CIFAR-10 subset');
const haveTable = haveShared(NB201_TABLE, 'the NAS-Bench-201 table');

describe('golden runs (results as the code before the search refactor wrote them)', () => {
  for (const kind of KINDS) {
    it.runIf(kind.needs === 'subset' ? haveSubset : haveTable)(kind.name, async () => {
      const fixture = join(GOLDEN, kind.name);
      const args = (JSON.parse(readFileSync(join(fixture, 'args.json'), 'utf8')) as string[]).map((a) =>
        PLACEHOLDERS.reduce((s, [name, value]) => s.split(name).join(value), a),
      );
      const out = join(root, kind.name);
      const r = await nascent(['search', ...args, '--out', out]);
      expect(r.err).toBe('');
      expect(r.code, r.out).toBe(0);
      for (const file of kind.files) {
        const want = records(join(fixture, file));
        const got = records(join(out, file));
        expect(got.length, `${kind.name}/${file}: records`).toBe(want.length);
        for (const [i, record] of got.entries()) {
          expect(stripTimes(asSettings(record)), `${kind.name}/${file} record ${i + 1}`).toEqual(stripTimes(asSettings(want[i])));
        }
      }
    });
  }
});
