import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bestTrial, episodeSeries, readRun, ReportError, topArchitectures } from '../../src/report/run-data.js';
import { fakeTrials, tempDir, writeFakeRun } from './fake-run.js';

const readError = (dir: string) => {
  try {
    readRun(dir);
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected readRun to fail');
};

describe('episodeSeries', () => {
  it('gives the rolling mean of the last `window` finished children and the best so far, leaving failed ones out', () => {
    const trials = fakeTrials({ episodes: 40, window: 4, failed: [3, 10, 11, 25] });
    const series = episodeSeries(trials, 4, 2);
    expect(series.map((p) => p.episode)).toEqual(trials.map((t) => t.episode));
    series.forEach((p, i) => {
      const finished = trials.slice(0, i + 1).flatMap((t) => (t.accuracy === null ? [] : [t.accuracy]));
      const last = finished.slice(-4);
      expect(p.accuracy).toBe(trials[i].accuracy);
      expect(p.rollingMean).toBeCloseTo(last.reduce((s, a) => s + a, 0) / last.length, 12);
      expect(p.bestSoFar).toBe(Math.max(...finished));
      // Two validations recorded per finished child; a failed one recorded none and counts as the setting (2).
      expect(p.epochsSpent).toBe(2 * (i + 1));
    });
    // The fake search's baseline is the mean of the previous window, so it lags the rolling mean by one.
    for (let i = 1; i < trials.length; i++) expect(trials[i].baseline).toBeCloseTo(series[i - 1].rollingMean ?? 0.1, 12);
  });

  it('has no mean or best before the first finished child, and sorts by episode', () => {
    const trials = fakeTrials({ episodes: 4, failed: [1, 2] });
    const series = episodeSeries([...trials].reverse(), 5, 3);
    expect(series.map((p) => p.episode)).toEqual([1, 2, 3, 4]);
    expect(series[0]).toMatchObject({ rollingMean: null, bestSoFar: null, epochsSpent: 3 });
    expect(series[2].bestSoFar).toBe(trials[2].accuracy);
  });
});

describe('topArchitectures and bestTrial', () => {
  it('lists distinct architectures by canonical key, each at its best training, best first', () => {
    const trials = fakeTrials({
      episodes: 30,
      failed: [4],
      repeats: [
        [20, 2],
        [21, 2],
        [22, 5],
      ],
    });
    const top = topArchitectures(trials, 10);
    expect(top).toHaveLength(10);
    expect(new Set(top.map((a) => a.key)).size).toBe(10);
    const bestPerKey = new Map<string, number>();
    for (const t of trials) if (t.accuracy !== null) bestPerKey.set(t.key, Math.max(bestPerKey.get(t.key) ?? -1, t.accuracy));
    const expected = [...bestPerKey.values()].sort((a, b) => b - a).slice(0, 10);
    expect(top.map((a) => a.best.accuracy)).toEqual(expected);
    const twice = topArchitectures(trials, 100).find((a) => a.key === trials[1].key)!;
    expect(twice.trained).toBe(3);
    expect(twice.best.accuracy).toBe(Math.max(trials[1].accuracy!, trials[19].accuracy!, trials[20].accuracy!));
    expect(bestTrial(trials)!.accuracy).toBe(expected[0]);
  });

  it('has nothing to offer when every child failed', () => {
    const trials = fakeTrials({ episodes: 3, failed: [1, 2, 3] });
    expect(topArchitectures(trials)).toEqual([]);
    expect(bestTrial(trials)).toBeUndefined();
  });
});

describe('readRun', () => {
  it('reads config and trials, drops a torn last line and notices the lock of a running search', () => {
    const dir = join(tempDir(), 'run-a');
    const trials = writeFakeRun(dir, { episodes: 3 });
    appendFileSync(join(dir, 'trials.jsonl'), '{"episode":4,"strat');
    writeFileSync(join(dir, 'run.lock'), `${process.pid}\n`);
    const run = readRun(dir);
    expect(run).toMatchObject({ dir, name: 'run-a', inProgress: true, tornLine: true });
    // A lock left behind by a search that died says nothing is running.
    writeFileSync(join(dir, 'run.lock'), `${2 ** 22 + 1}\n`);
    expect(readRun(dir).inProgress).toBe(false);
    expect(run.trials).toEqual(trials);
    expect(run.config.window).toBe(5);
  });

  it('accepts a run that has no trials yet', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), '{"episodes": 10}');
    expect(readRun(dir)).toMatchObject({ trials: [], inProgress: false, tornLine: false });
  });

  it('names the path and the problem when the directory is not a readable run', () => {
    const root = tempDir();
    expect(readError(join(root, 'missing')).message).toBe(`${join(root, 'missing')}: no such directory`);
    writeFileSync(join(root, 'file'), 'x');
    expect(readError(join(root, 'file')).message).toMatch(/file: not a directory/);
    expect(readError(root).message).toBe(`${root} is not a nascent run: it has no config.json`);
    expect(readError(root)).toBeInstanceOf(ReportError);

    const badConfig = join(root, 'bad-config');
    mkdirSync(badConfig);
    writeFileSync(join(badConfig, 'config.json'), '{"episodes": ');
    expect(readError(badConfig).message).toMatch(new RegExp(`^${join(badConfig, 'config.json')}: not valid JSON`));

    const corrupt = join(root, 'corrupt');
    writeFakeRun(corrupt, { episodes: 3 });
    const lines = fakeTrials({ episodes: 3 }).map((t) => JSON.stringify(t));
    writeFileSync(join(corrupt, 'trials.jsonl'), `${lines[0]}\n{oops\n${lines[2]}\n`);
    expect(readError(corrupt).message).toBe(`${join(corrupt, 'trials.jsonl')}:2: not a JSON record (the file was edited or damaged)`);

    writeFileSync(join(corrupt, 'trials.jsonl'), `${lines[0]}\n{"episode": 2, "accuracy": "high"}\n`);
    expect(readError(corrupt).message).toMatch(new RegExp(`^${join(corrupt, 'trials.jsonl')}:2: not a trial record: .*accuracy: expected number, got "high"`));
  });
});
