// recoverRun on the states a crash can leave behind (and on damage it must refuse to guess about).
// The real kill-and-resume of the whole program is in test/cli/resume.test.ts.
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MovingBaseline } from '../../src/strategies/controller/baseline.js';
import { runSearch, type SearchCheckpoint } from '../../src/search/loop.js';
import { RandomStrategy } from '../../src/strategies/random.js';
import { recoverRun } from '../../src/search/resume.js';
import type { ChildOutcome, Evaluator } from '../../src/search/types.js';
import type { CellPair } from '../../src/spaces/nasnet/types.js';
import type { TrialRecord } from '../../src/store/records.js';
import { RunLockedError } from '../../src/store/lock.js';
import { nasnetSpace } from '../../src/spaces/nasnet/space.js';
import { RunStore, readTrials } from '../../src/store/run-store.js';

// Accuracy is a fixed function of the cells, so a resumed loop can be compared with a straight one.
const NASNET = nasnetSpace();
const evaluator: Evaluator = {
  async train(cells: CellPair): Promise<ChildOutcome> {
    const n = [...cells.normal, ...cells.reduction].flatMap((b) => b.ops).filter((o) => o.startsWith('sep')).length;
    return { accuracy: n / 20, valAccuracies: [n / 20], params: n, seconds: 0 };
  },
};

async function search(store: RunStore, episodes: number, from?: ReturnType<typeof recoverRun>): Promise<void> {
  const strategy = new RandomStrategy(NASNET.decisions, 9);
  const baseline = new MovingBaseline({ window: 3, initial: 0.1 });
  if (from?.checkpoint) {
    await strategy.setState(from.checkpoint.strategy);
    baseline.setState(from.checkpoint.baseline as Parameters<MovingBaseline['setState']>[0]);
  }
  await runSearch({
    store,
    space: NASNET,
    strategy,
    evaluator,
    baseline,
    episodes,
    done: from?.done,
    best: from?.best,
    backend: 'test',
    settings: store.readConfig(),
  });
}

const trialsOf = (dir: string) => readTrials(join(dir, 'trials.jsonl')).trials;
const strip = (ts: TrialRecord[]) => ts.map(({ time: _t, seconds: _s, ...rest }) => rest);

async function finishedRun(episodes: number): Promise<{ dir: string; trials: TrialRecord[] }> {
  const dir = join(mkdtempSync(join(tmpdir(), 'nascent-resume-')), 'run');
  const store = RunStore.create(dir, { test: true });
  await search(store, episodes);
  store.close();
  return { dir, trials: trialsOf(dir) };
}

/** Reopens `dir`, recovers it, finishes `episodes`, and returns what recovery reported. */
async function resume(dir: string, episodes: number): Promise<string[]> {
  const store = RunStore.open(dir);
  try {
    const recovered = recoverRun(store);
    await search(store, episodes, recovered);
    return recovered.repairs;
  } finally {
    store.close();
  }
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

describe('recoverRun', () => {
  it('continues a stopped run into the same trials as one that ran through', async () => {
    const straight = await finishedRun(8);
    const { dir } = await finishedRun(3);
    expect(await resume(dir, 8)).toEqual([]);
    const store = RunStore.open(dir);
    expect(strip(store.readTrials().trials)).toEqual(strip(straight.trials));
    expect(readJson<{ episode: number }>(store.path('best')).episode).toBe(readJson<{ episode: number }>(join(straight.dir, 'best-cells.json')).episode);
    store.close();
  });

  it('discards a torn last line, reports it, and records that episode from the checkpoint', async () => {
    const straight = await finishedRun(5);
    const { dir } = await finishedRun(3);
    const trialsPath = join(dir, 'trials.jsonl');
    // A crash mid-append: the checkpoint already holds episode 3, its line is cut short.
    const lines = readFileSync(trialsPath, 'utf8').split('\n');
    writeFileSync(trialsPath, `${lines[0]}\n${lines[1]}\n${lines[2].slice(0, 40)}`);
    // ... and the temporary file of an atomic replace that was cut short.
    writeFileSync(join(dir, '.best-cells.json.4242.0badf00d.tmp'), '{"format": "nascent.be');
    const repairs = await resume(dir, 5);
    expect(repairs.join('\n')).toMatch(/removed 1 temporary file of writes a crash interrupted/);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(repairs.join('\n')).toMatch(/discarded a torn last line of trials\.jsonl \(40 bytes/);
    expect(repairs.join('\n')).toMatch(/recorded episode 3/);
    expect(strip(trialsOf(dir))).toEqual(strip(straight.trials));
  });

  it('appends the pending trial when the checkpoint is one episode ahead, and refreshes best-cells.json', async () => {
    const { dir, trials } = await finishedRun(4);
    const store = RunStore.open(dir);
    // Killed after the checkpoint of episode 4, before its line and best-cells.json were written.
    writeFileSync(
      store.path('trials'),
      trials
        .slice(0, 3)
        .map((t) => JSON.stringify(t) + '\n')
        .join(''),
    );
    const best3 = trials.slice(0, 3).reduce((a, b) => ((b.accuracy ?? -1) > (a.accuracy ?? -1) ? b : a));
    store.writeBest(best3, {});
    const recovered = recoverRun(store);
    expect(recovered.done).toBe(4);
    expect(strip(store.readTrials().trials)).toEqual(strip(trials));
    const best4 = trials.reduce((a, b) => ((b.accuracy ?? -1) > (a.accuracy ?? -1) ? b : a));
    expect(readJson<{ episode: number }>(store.path('best')).episode).toBe(best4.episode);
    expect(recovered.best?.episode).toBe(best4.episode);
    store.close();
  });

  it('starts over cleanly when no episode had finished', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'nascent-resume-')), 'run');
    RunStore.create(dir, { test: true }).close();
    const store = RunStore.open(dir);
    expect(recoverRun(store)).toEqual({ done: 0, repairs: [], trials: [] });
    store.close();
  });

  it('refuses damage it cannot explain instead of guessing', async () => {
    const { dir, trials } = await finishedRun(3);
    const store = RunStore.open(dir);
    const checkpoint = readJson<SearchCheckpoint>(store.path('checkpoint'));
    // checkpoint behind the trials
    store.writeCheckpoint({ ...checkpoint, episode: 1 });
    expect(() => recoverRun(store)).toThrow(/checkpoint\.json is at episode 1 but .*trials\.jsonl holds 3/);
    store.writeCheckpoint(checkpoint);
    // episodes out of order
    writeFileSync(store.path('trials'), [trials[0], trials[2], trials[1]].map((t) => JSON.stringify(t) + '\n').join(''));
    expect(() => recoverRun(store)).toThrow(/line 2 holds episode 3, expected 2/);
    // a damaged line that is not the last
    writeFileSync(store.path('trials'), `${JSON.stringify(trials[0])}\n{"episode": 2,\n${JSON.stringify(trials[2])}\n`);
    expect(() => recoverRun(store)).toThrow(/trials\.jsonl:2: not a JSON record/);
    // no checkpoint although episodes finished
    writeFileSync(store.path('trials'), trials.map((t) => JSON.stringify(t) + '\n').join(''));
    rmSync(store.path('checkpoint'));
    expect(() => recoverRun(store)).toThrow(/checkpoint\.json is missing but .* holds 3 episodes/);
    // a checkpoint that is not JSON
    writeFileSync(store.path('checkpoint'), '{"format": "nascent.checkpoint", "episode": ');
    expect(() => recoverRun(store)).toThrow(/checkpoint\.json: .*damaged after it was written/);
    store.close();
  });

  it('lets one writer at a time open a run, and tells a run from any other directory', async () => {
    const { dir } = await finishedRun(1);
    const store = RunStore.open(dir);
    expect(() => RunStore.open(dir)).toThrow(RunLockedError);
    store.close();
    RunStore.open(dir).close();
    expect(() => RunStore.open(join(dir, 'nope'))).toThrow(/does not exist/);
    const empty = mkdtempSync(join(tmpdir(), 'nascent-resume-'));
    expect(() => RunStore.open(empty)).toThrow(/is not a run directory: it has no config\.json/);
    appendFileSync(join(empty, 'config.json'), '[1, 2]');
    expect(() => RunStore.open(empty).readConfig()).toThrow(/config\.json: not a JSON object/);
  });
});
