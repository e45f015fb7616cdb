// Runs written by earlier versions of nascent still resume. Each fixture in test/fixtures/runs/ is a
// tiny search that an older commit's own CLI wrote and stopped part-way (FIXTURE.md there says which
// commit, which command and what is peculiar to its format). Each is copied to a temp directory and
// resumed with today's CLI in process; the run must finish without printing an error, keep every
// record the old version wrote byte for byte, and append the rest.
import { recordedConfig } from '../src/config/read.js';
import type { SearchConfig } from '../src/config/schema.js';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nascentInProcess } from './helpers/in-process.js';
import { haveShared, NB201_TABLE, SHARED } from './helpers/shared.js';

const RUNS = join(__dirname, 'fixtures', 'runs');
const CIFAR_SUBSET = join(SHARED, 'data', 'cifar10-subset');

interface Fixture {
  name: string;
  needs: 'subset' | 'table';
  /** A standard search extended to `episodes`, or a weight-sharing search run to its end. */
  kind: 'episodes' | 'weight-sharing';
  episodes?: number;
  /** What else the fixture's resume must show. */
  check?: (dir: string) => void;
}

const FIXTURES: Fixture[] = [
  { name: '2026-11-24-controller', needs: 'subset', kind: 'episodes', episodes: 3 },
  { name: '2026-11-25-random-resumed', needs: 'subset', kind: 'episodes', episodes: 3 },
  { name: '2026-12-01-controller-v2', needs: 'subset', kind: 'episodes', episodes: 3 },
  { name: '2026-12-01-nb201-controller', needs: 'table', kind: 'episodes', episodes: 20 },
  { name: '2026-12-01-nb201-tpe', needs: 'table', kind: 'episodes', episodes: 20 },
  {
    name: '2026-12-02-hyperband',
    needs: 'subset',
    kind: 'episodes',
    episodes: 4,
    // Stopped with episode 3's saved child queued for promotion: episode 4 must continue it from the
    // state file the old version wrote, for the 2 epochs from budget 1 to 3.
    check: (dir) => {
      const last = lines(join(dir, 'trials.jsonl')).map((l) => JSON.parse(l) as Record<string, unknown>)[3];
      expect(last).toMatchObject({ episode: 4, inheritedFrom: 3, budget: 3, rung: 1, epochsTrained: 2 });
      expect(last.valAccuracies).toHaveLength(3);
    },
  },
  { name: '2026-12-03-nb201-evolution', needs: 'table', kind: 'episodes', episodes: 20 },
  { name: '2026-12-02-weight-sharing', needs: 'subset', kind: 'weight-sharing' },
  { name: '2026-12-03-ws-final-scoring', needs: 'subset', kind: 'weight-sharing' },
];

const nascent = nascentInProcess;

/** The complete lines of a JSONL file ([] when it is absent). */
function lines(path: string): string[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

const root = mkdtempSync(join(tmpdir(), 'nascent-old-runs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A config.json of any version as the current SearchConfig. */
const recorded = (raw: unknown): SearchConfig => recordedConfig(raw);
/** Where the resume was told to find the data or the table (this checkout's paths, not the fixture's). */
const dataOf = (c: Omit<SearchConfig, 'run'>): Partial<SearchConfig> => ({ problem: c.problem });

const haveSubset = haveShared(CIFAR_SUBSET, 'the CIFAR-10 subset');
const haveTable = haveShared(NB201_TABLE, 'the NAS-Bench-201 table');

describe("runs written by earlier versions resume with today's CLI", () => {
  for (const fixture of FIXTURES) {
    it.runIf(fixture.needs === 'subset' ? haveSubset : haveTable)(fixture.name, async () => {
      const source = join(RUNS, fixture.name);
      const dir = join(root, fixture.name);
      cpSync(source, dir, { recursive: true });
      const before = recorded(readJson(join(dir, 'config.json')));
      const resumesBefore = (before.run?.resumes ?? []).length;
      const where = fixture.needs === 'subset' ? ['--data-dir', CIFAR_SUBSET] : ['--table', NB201_TABLE];
      const more = fixture.kind === 'episodes' ? ['--episodes', String(fixture.episodes)] : [];
      const r = await nascent(['search', '--resume', dir, ...more, ...where, '--backend', 'cpu', '--no-report']);
      expect(r.err).toBe('');
      expect(r.out).not.toMatch(/error|warning/i);
      expect(r.code, r.out).toBe(0);
      // The resumed run's config.json is today's version, and the same search as the one it was.
      const written = readJson(join(dir, 'config.json'));
      expect(written).toMatchObject({ format: 'nascent.search-config', version: 2 });
      const config = recorded(written);
      expect(config.run?.resumes ?? []).toHaveLength(resumesBefore + 1);
      const { run: _a, ...settingsNow } = config;
      const { run: _b, ...settingsBefore } = before;
      // ... but for what a resume may change: how far it goes (--episodes), where it computes and reads.
      const changed = { backend: 'cpu', ...dataOf(settingsNow), ...(fixture.kind === 'episodes' ? { episodes: fixture.episodes } : {}) };
      expect(settingsNow, 'the run keeps its settings').toEqual({ ...settingsBefore, ...changed });

      if (fixture.kind === 'episodes') {
        const old = lines(join(source, 'trials.jsonl'));
        const now = lines(join(dir, 'trials.jsonl'));
        expect(now.slice(0, old.length), 'the earlier trials, unchanged').toEqual(old);
        expect(now).toHaveLength(fixture.episodes!);
        const added = now.slice(old.length).map((l) => JSON.parse(l) as Record<string, unknown>);
        expect(added.map((t) => t.episode)).toEqual(added.map((_, i) => old.length + i + 1));
        for (const t of added) {
          expect(t.failed, `episode ${t.episode}`).toBeUndefined();
          expect(t.accuracy, `episode ${t.episode}`).toEqual(expect.any(Number));
        }
        expect(readJson(join(dir, 'checkpoint.json')).episode).toBe(fixture.episodes);
        if (fixture.needs === 'subset') {
          // Old and new records together are valid trial records of the run's space.
          const blocks = String(config.problem.space === 'nasnet' ? config.problem.blocks : 5);
          const valid = await nascent(['validate', '--blocks', blocks, join(dir, 'trials.jsonl'), join(dir, 'best-cells.json')]);
          expect(valid.code, valid.out + valid.err).toBe(0);
        }
      } else {
        const steps = lines(join(dir, 'ws-steps.jsonl'));
        const oldSteps = lines(join(source, 'ws-steps.jsonl'));
        expect(steps.slice(0, oldSteps.length), 'the earlier strategy steps, unchanged').toEqual(oldSteps);
        const ws = config.evaluator as Extract<SearchConfig['evaluator'], { kind: 'weight-sharing' }>;
        expect(steps).toHaveLength(ws.passes * ws.controllerSteps);
        const samples = lines(join(dir, 'final-samples.jsonl'));
        const oldSamples = lines(join(source, 'final-samples.jsonl'));
        expect(samples.slice(0, oldSamples.length), 'the final samples scored before the stop, unchanged').toEqual(oldSamples);
        expect(samples).toHaveLength(ws.finalSamples);
        const top = lines(join(dir, 'top-cells.jsonl'));
        expect(top).toHaveLength(Math.min(ws.topCells, ws.finalSamples));
        const valid = await nascent(['validate', join(dir, 'best-cells.json'), join(dir, 'top-cells.jsonl')]);
        expect(valid.code, valid.out + valid.err).toBe(0);
      }
      fixture.check?.(dir);
    });
  }
});
