// Run directories for the dashboard's tests: a finished search, the recorded runs of every kind
// (test/fixtures/runs: NAS-Bench-201 table, Hyperband, weight sharing), and the hostile and damaged
// ones a dashboard left open must show as text or with what is missing.
import { appendFileSync, cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeTrials, tempDir, writeFakeRun } from '../report/fake-run.js';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'runs');
export const HOSTILE = '<img src=x onerror=alert(1)>';

export interface TestRuns {
  root: string;
  finished: string;
  hostile: string;
  torn: string;
  noTrials: string;
  noConfig: string;
}

/** A directory of runs: finished (25 episodes), hostile name, torn last line, no trials.jsonl, no config.json, and the recorded fixtures. */
export function makeRuns(withFixtures = true): TestRuns {
  const root = join(tempDir('nascent-dashboard-'), 'runs');
  const finished = join(root, 'finished');
  writeFakeRun(finished, { episodes: 25, failed: [6] });
  const hostile = join(root, HOSTILE);
  writeFakeRun(hostile, { episodes: 4, strategy: '<b>bold</b>' });
  const torn = join(root, 'torn');
  writeFakeRun(torn, { episodes: 5 });
  appendFileSync(join(torn, 'trials.jsonl'), '{"episode":6,"strategy":"contr');
  const noTrials = join(root, 'no-trials');
  writeFakeRun(noTrials, { episodes: 1 });
  writeFileSync(join(noTrials, 'trials.jsonl'), '');
  const noConfig = join(root, 'no-config');
  mkdirSync(noConfig);
  writeFileSync(
    join(noConfig, 'trials.jsonl'),
    fakeTrials({ episodes: 3 })
      .map((t) => `${JSON.stringify(t)}\n`)
      .join(''),
  );
  if (withFixtures) {
    for (const name of ['2026-12-01-nb201-tpe', '2026-12-01-nb201-controller', '2026-12-02-weight-sharing'])
      cpSync(join(FIXTURES, name), join(root, name), { recursive: true });
    // A Hyperband search of 8 trials in two brackets with a promoted child (recorded on 2026-12-07;
    // its saved states left out): the recorded fixture of test/fixtures has no rung above 0.
    cpSync(join(import.meta.dirname, 'fixtures', 'hyperband'), join(root, 'hyperband'), { recursive: true });
    // A NAS-Bench-201 table search of 30 episodes (recorded on 2026-12-07) given a warm-up of 12
    // architectures scored by synflow, 10 of which the search then trained (scores made up).
    cpSync(join(import.meta.dirname, 'fixtures', 'table-warmup'), join(root, 'table-warmup'), { recursive: true });
  }
  return { root, finished, hostile, torn, noTrials, noConfig };
}
