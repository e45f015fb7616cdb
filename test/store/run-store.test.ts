import { mkdtempSync, readFileSync, readdirSync, writeFileSync, appendFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { RunStore, RunStoreError, readTrials } from '../../src/store/run-store.js';
import { RunLockedError, acquireRunLock } from '../../src/store/lock.js';
import { writeFileAtomic } from '../../src/store/atomic.js';
import type { TrialRecord } from '../../src/store/records.js';
import { sampleCells } from '../../src/spaces/nasnet/sample.js';
import { Rng } from '../../src/util/random.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'nascent-store-'));
const trial = (episode: number, accuracy: number | null): TrialRecord => ({
  episode,
  strategy: 'random',
  cells: sampleCells(new Rng(episode)),
  key: `k${episode}`,
  explored: true,
  accuracy,
  valAccuracies: accuracy === null ? [] : [accuracy],
  reward: 0,
  baseline: 0.1,
  params: 10,
  seconds: 1,
  backend: 'cpu',
  time: new Date(0).toISOString(),
});

describe('RunStore', () => {
  it('creates a run, appends trials as whole lines and replaces best-cells atomically', () => {
    const dir = join(tmp(), 'run');
    const store = RunStore.create(dir, { episodes: 2 });
    store.appendTrial(trial(1, 0.3));
    store.appendTrial(trial(2, null));
    const best = store.writeBest(trial(1, 0.3), { episodes: 2 });
    expect(best).toMatchObject({ format: 'nascent.best-cells', version: 2, accuracy: 0.3, episode: 1 });
    const lines = readFileSync(store.path('trials'), 'utf8').split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(store.readTrials().trials.map((t) => t.episode)).toEqual([1, 2]);
    expect(JSON.parse(readFileSync(store.path('best'), 'utf8')).cells).toEqual(trial(1, 0.3).cells);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(() => store.writeBest(trial(2, null), {})).toThrow(RunStoreError);
    store.close();
    expect(() => RunStore.create(dir, {})).toThrow(/already holds a run/);
  });

  it('reports and discards a torn last line but refuses damage elsewhere', () => {
    const dir = tmp();
    const path = join(dir, 'trials.jsonl');
    writeFileSync(path, JSON.stringify(trial(1, 0.2)) + '\n');
    appendFileSync(path, JSON.stringify(trial(2, 0.4)).slice(0, 40));
    const read = readTrials(path);
    expect(read.trials.map((t) => t.episode)).toEqual([1]);
    expect(read.tornLine).toBe(JSON.stringify(trial(2, 0.4)).slice(0, 40));
    writeFileSync(path, '{"broken\n' + JSON.stringify(trial(1, 0.2)) + '\n');
    expect(() => readTrials(path)).toThrow(/trials\.jsonl:1: not a JSON record/);
  });

  it('reads every record through the trial schema: a damaged field is an error naming the file, line and field', () => {
    const dir = tmp();
    const path = join(dir, 'trials.jsonl');
    const hyperband = { ...trial(2, 0.4), budget: 3, rung: 1, bracket: 1, epochsTrained: 2, inheritedFrom: 1, state: 'states/episode-2.state', latencyMs: 3.5 };
    const good = [trial(1, 0.2), hyperband, { ...trial(3, null), failed: 'loss became NaN', objective: null }];
    writeFileSync(path, good.map((t) => `${JSON.stringify(t)}\n`).join(''));
    expect(readTrials(path).trials).toEqual(good);
    const damaged = (edit: (t: Record<string, unknown>) => void) => {
      const t: Record<string, unknown> = { ...trial(2, 0.4) };
      edit(t);
      writeFileSync(path, `${JSON.stringify(trial(1, 0.2))}\n${JSON.stringify(t)}\n`);
      try {
        readTrials(path);
      } catch (err) {
        expect(err).toBeInstanceOf(RunStoreError);
        return (err as Error).message;
      }
      throw new Error('expected readTrials to refuse the record');
    };
    expect(damaged((t) => (t.accuracy = '0.4'))).toBe(`${path}:2: not a trial record: accuracy: expected number, got "0.4" (the file was edited or damaged)`);
    expect(damaged((t) => (t.accuracy = 40))).toBe(`${path}:2: not a trial record: accuracy: expected a number ≤ 1, got 40 (the file was edited or damaged)`);
    expect(damaged((t) => delete t.episode)).toMatch(/:2: not a trial record: episode: missing \(/);
    expect(damaged((t) => (t.valAccuracies = [0.1, 'x']))).toMatch(/:2: not a trial record: valAccuracies\[1\]: expected number, got "x"/);
    expect(damaged((t) => (t.pruned = { epoch: 1.5, reason: 'median' }))).toMatch(/:2: not a trial record: pruned\.epoch: expected an integer, got 1\.5/);
    expect(damaged((t) => (t.acuracy = 0.4))).toMatch(/:2: not a trial record: acuracy: unknown field/);
    expect(damaged((t) => (t.cells = 'sep_3x3'))).toMatch(/:2: not a trial record: cells: expected an object \(the architecture\), got "sep_3x3"/);
  });

  it('locks a run against a second writer and takes over a stale lock', () => {
    const dir = tmp();
    const lock = acquireRunLock(dir);
    // Two writers inside one process are refused too.
    expect(() => acquireRunLock(dir)).toThrow(/already open for writing in this process/);
    lock.release();
    // A lock file naming this pid that this process does not hold was left by an earlier process
    // that had the same pid (pids are reused, in containers often at once): stale.
    writeFileSync(join(dir, 'run.lock'), `${process.pid}\n`);
    const reused = acquireRunLock(dir);
    expect(reused.stalePid).toBe(process.pid);
    reused.release();
    // A lock held by a live other process blocks.
    const sleeper = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const deadPid = Number(sleeper.stdout.trim());
    writeFileSync(join(dir, 'run.lock'), `${process.ppid}\n`);
    expect(() => acquireRunLock(dir)).toThrow(RunLockedError);
    // A lock whose process is gone is stale.
    writeFileSync(join(dir, 'run.lock'), `${deadPid}\n`);
    const taken = acquireRunLock(dir);
    expect(taken.stalePid).toBe(deadPid);
    // The lock names this process, and on Linux its start time too (field 22 of /proc/PID/stat).
    const [pid, start] = readFileSync(join(dir, 'run.lock'), 'utf8').trim().split(' ');
    expect(pid).toBe(String(process.pid));
    if (existsSync('/proc/self/stat')) expect(start).toMatch(/^\d+$/);
    taken.release();
    expect(existsSync(join(dir, 'run.lock'))).toBe(false);
  });

  it.runIf(existsSync('/proc/self/stat'))('takes over a lock whose owner is a zombie or whose pid now belongs to another process', async () => {
    const dir = tmp();
    // A zombie: sh starts `sleep 0` in the background and then becomes `sleep 5`, which never reaps
    // it. kill(pid, 0) succeeds on a zombie, as on a search killed with its parent for a moment.
    const sh = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5']);
    const zombie = Number((await new Promise<string>((done) => sh.stdout.once('data', (d: Buffer) => done(String(d))))).trim());
    const stat = () => readFileSync(`/proc/${zombie}/stat`, 'utf8');
    for (let i = 0; i < 100 && !/\) Z /.test(stat()); i++) await new Promise((r) => setTimeout(r, 20));
    expect(stat()).toMatch(/\) Z /);
    expect(() => process.kill(zombie, 0)).not.toThrow();
    writeFileSync(join(dir, 'run.lock'), `${zombie}\n`);
    const fromZombie = acquireRunLock(dir);
    expect(fromZombie.stalePid).toBe(zombie);
    fromZombie.release();
    sh.kill();
    // A live process whose start time is not the one recorded: the pid was reused after the owner died.
    writeFileSync(join(dir, 'run.lock'), `${process.ppid} 1\n`);
    const reused = acquireRunLock(dir);
    expect(reused.stalePid).toBe(process.ppid);
    reused.release();
    // The same pid and start time: the owner itself, alive, blocks.
    const parentStart = readFileSync(`/proc/${process.ppid}/stat`, 'utf8').split(') ')[1].split(' ')[19];
    writeFileSync(join(dir, 'run.lock'), `${process.ppid} ${parentStart}\n`);
    expect(() => acquireRunLock(dir)).toThrow(RunLockedError);
  });

  it('writeFileAtomic leaves the old content when the write fails', () => {
    const dir = tmp();
    const path = join(dir, 'f.json');
    writeFileAtomic(path, 'old');
    expect(() => writeFileAtomic(join(dir, 'missing-dir', 'f.json'), 'x')).toThrow();
    expect(readFileSync(path, 'utf8')).toBe('old');
    writeFileAtomic(path, 'new');
    expect(readFileSync(path, 'utf8')).toBe('new');
  });
});
