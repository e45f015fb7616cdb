// Run directories as a search leaves them (config.json, trials.jsonl), made up from seeded random
// cells and accuracies, so the report can be tested without training anything.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cellsHash } from '../../src/spaces/nasnet/key.js';
import { sampleCells } from '../../src/spaces/nasnet/sample.js';
import type { CellPair } from '../../src/spaces/nasnet/types.js';
import type { TrialRecord } from '../../src/store/records.js';
import { Rng } from '../../src/util/random.js';

export interface FakeRunOptions {
  episodes: number;
  seed?: number;
  window?: number;
  epochs?: number;
  strategy?: string;
  hierarchical?: boolean;
  /** Episodes whose child fails (accuracy null). */
  failed?: number[];
  /** Episodes that retrain the architecture of an earlier episode: [episode, episode it repeats]. */
  repeats?: Array<[number, number]>;
  /** Episodes planned in config.json (default: `episodes`). */
  planned?: number;
}

export function tempDir(prefix = 'nascent-report-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function fakeConfig(o: FakeRunOptions): Record<string, unknown> {
  return {
    format: 'nascent.search-config',
    version: 1,
    dataset: 'cifar10',
    episodes: o.planned ?? o.episodes,
    epochs: o.epochs ?? 2,
    window: o.window ?? 5,
    epsilon: 0.5,
    channels: [2, 4, 4, 8, 8],
    blocks: 5,
    hierarchical: o.hierarchical ?? false,
    strategy: o.strategy ?? 'controller',
    seed: o.seed ?? 1,
    backendUsed: 'cpu',
  };
}

/** Trials with the search's own bookkeeping: baseline = mean of the previous `window` finished. */
export function fakeTrials(o: FakeRunOptions): TrialRecord<CellPair>[] {
  const rng = new Rng(o.seed ?? 1);
  const window = o.window ?? 5;
  const epochs = o.epochs ?? 2;
  const space = { blocks: 5, hierarchical: o.hierarchical ?? false };
  const recent: number[] = [];
  const byEpisode = new Map<number, CellPair>();
  const trials: TrialRecord<CellPair>[] = [];
  for (let episode = 1; episode <= o.episodes; episode++) {
    const repeat = o.repeats?.find(([e]) => e === episode);
    const cells = repeat ? byEpisode.get(repeat[1])! : sampleCells(rng, space);
    byEpisode.set(episode, cells);
    const failed = o.failed?.includes(episode) ?? false;
    const accuracy = failed ? null : Math.round((0.1 + 0.6 * rng.next()) * 10000) / 10000;
    const baseline = recent.length === 0 ? 0.1 : recent.reduce((s, a) => s + a, 0) / recent.length;
    if (accuracy !== null) {
      recent.push(accuracy);
      if (recent.length > window) recent.shift();
    }
    trials.push({
      episode,
      strategy: o.strategy ?? 'controller',
      cells,
      key: cellsHash(cells),
      explored: rng.next() < 0.5,
      accuracy,
      valAccuracies: accuracy === null ? [] : Array.from({ length: epochs }, (_, k) => (accuracy * (k + 1)) / epochs),
      reward: (accuracy ?? 0) - baseline,
      baseline,
      params: 20000 + rng.int(10000),
      seconds: 1 + rng.next(),
      backend: 'cpu',
      ...(failed ? { failed: 'loss became NaN' } : {}),
      time: new Date(Date.UTC(2026, 0, 1, 0, episode)).toISOString(),
    });
  }
  return trials;
}

/** Writes a run directory into `dir` (created) and returns its trials. */
export function writeFakeRun(dir: string, o: FakeRunOptions): TrialRecord<CellPair>[] {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(fakeConfig(o), null, 2) + '\n');
  const trials = fakeTrials(o);
  writeFileSync(join(dir, 'trials.jsonl'), trials.map((t) => JSON.stringify(t) + '\n').join(''));
  return trials;
}
