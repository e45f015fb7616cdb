import { describe, expect, it } from 'vitest';
import { SearchProgress, bar, formatDuration } from '../../src/cli/progress.js';
import type { TrialRecord } from '../../src/store/records.js';
import { sampleCells } from '../../src/spaces/nasnet/sample.js';
import { Rng } from '../../src/util/random.js';

const trial = (episode: number, accuracy: number | null, failed?: string): TrialRecord => ({
  episode,
  strategy: 'controller',
  cells: sampleCells(new Rng(1)),
  key: 'abc',
  explored: false,
  accuracy,
  valAccuracies: [],
  reward: (accuracy ?? 0) - 0.1,
  baseline: 0.1,
  params: 1234,
  seconds: 65,
  backend: 'wasm',
  time: '',
  ...(failed ? { failed } : {}),
});

function run(isTTY: boolean) {
  let text = '';
  let clock = 0;
  const p = new SearchProgress({ epochs: 2, episodes: 3, isTTY, write: (t) => (text += t), now: () => clock });
  p.handle({ type: 'episode-start', episode: 1, episodes: 3, explored: true, key: 'abc' });
  p.handle({ type: 'epoch-start', episode: 1, epoch: 1 });
  clock = 1000;
  p.handle({ type: 'batch', episode: 1, epoch: 1, batch: 5, batches: 10, loss: 2.25 });
  p.handle({ type: 'epoch-end', episode: 1, epoch: 1, valAccuracy: 0.3, loss: 2.1 });
  clock = 60_000;
  p.handle({ type: 'episode-end', trial: trial(1, 0.42), best: trial(1, 0.42) });
  p.handle({ type: 'episode-start', episode: 2, episodes: 3, explored: false, key: 'def' });
  clock = 90_000;
  p.handle({ type: 'episode-end', trial: trial(2, null, 'loss became NaN at epoch 0 batch 3'), best: trial(1, 0.42) });
  return text;
}

describe('SearchProgress', () => {
  it('says how a multi-fidelity trial got its result: its budget, and cached, continued or pruned', () => {
    let text = '';
    const p = new SearchProgress({ epochs: 9, episodes: 20, isTTY: false, write: (t) => (text += t), now: () => 0 });
    p.handle({ type: 'episode-end', trial: { ...trial(10, 0.5), budget: 3, rung: 1, bracket: 2, inheritedFrom: 7 } });
    p.handle({ type: 'episode-end', trial: { ...trial(11, 0.5), budget: 3, rung: 0, bracket: 1, cached: true, cachedFrom: 4 } });
    p.handle({ type: 'episode-end', trial: { ...trial(12, 0.5), budget: 9, rung: 0, bracket: 0, pruned: { epoch: 2, reason: 'x' } } });
    p.handle({ type: 'episode-end', trial: { ...trial(13, 0.5), budget: 9, rung: 0, bracket: 0 } });
    const lines = text.trim().split('\n');
    expect(lines[0]).toMatch(/^episode 10\/20 acc 0\.5000 \[3 epochs, continued episode 7\] reward/);
    expect(lines[1]).toMatch(/acc 0\.5000 \[3 epochs, cached from episode 4\] reward/);
    expect(lines[2]).toMatch(/acc 0\.5000 \[9 epochs, pruned after epoch 2\] reward/);
    expect(lines[3]).toMatch(/acc 0\.5000 reward/);
  });

  it('says a cached trial without a budget (a table lookup) as cached, not as "undefined epochs"', () => {
    let text = '';
    const p = new SearchProgress({ epochs: 1, episodes: 30, isTTY: false, write: (t) => (text += t), now: () => 0 });
    p.handle({ type: 'episode-end', trial: { ...trial(29, 0.91), epochsTrained: 0, cached: true, cachedFrom: 28 } });
    expect(text).toMatch(/^episode 29\/30 acc 0\.9100 \[cached from episode 28\] reward/);
    expect(text).not.toContain('undefined');
  });

  it('starts a promotion as the continuation it is, and a cached proposal as cached', () => {
    let text = '';
    const p = new SearchProgress({ epochs: 9, episodes: 20, isTTY: false, write: (t) => (text += t), now: () => 0 });
    p.handle({ type: 'episode-start', episode: 10, episodes: 20, explored: true, key: 'abc', budget: 3, inheritedFrom: 7 });
    p.handle({ type: 'episode-start', episode: 11, episodes: 20, explored: false, key: 'def', budget: 3, cached: true });
    expect(text.trim().split('\n')).toEqual(['episode 10/20 start continues episode 7 to 3 epochs, cells abc', 'episode 11/20 start cached cells def']);
  });

  it('after a resume, estimates time left from the episodes this process has run', () => {
    let text = '';
    let clock = 0;
    const p = new SearchProgress({ epochs: 1, episodes: 12, done: 10, isTTY: false, write: (t) => (text += t), now: () => clock });
    p.handle({ type: 'episode-start', episode: 11, episodes: 12, explored: false, key: 'abc' });
    clock = 60_000;
    p.handle({ type: 'episode-end', trial: trial(11, 0.5), best: trial(11, 0.5) });
    // One episode in 60 s, one left: 1m00s (counting the ten earlier episodes would say 5s).
    expect(text).toMatch(/episode 11\/12 acc 0\.5000 .*\| ETA 1m00s\n$/);
  });

  it('writes plain lines without control characters when stdout is not a terminal', () => {
    const text = run(false);
    expect(text).not.toMatch(/\x1b|\r/);
    expect(text.split('\n')).toEqual([
      'episode 1/3 start explored cells abc',
      'episode 1/3 epoch 1/2 loss 2.1000 val_acc 0.3000',
      'episode 1/3 acc 0.4200 reward +0.3200 baseline 0.1000 params 1234 1m05s | best 0.4200 | ETA 2m00s',
      'episode 2/3 start policy cells def',
      'episode 2/3 FAILED (loss became NaN at epoch 0 batch 3) reward -0.1000 baseline 0.1000 params 1234 1m05s | best 0.4200 | ETA 45s',
      '',
    ]);
  });

  it('redraws one status line with a batch bar, last and best accuracy and an ETA on a terminal', () => {
    const text = run(true);
    expect(text).toContain('\r\x1b[2Kepisode 1/3 (explore) epoch 1/2 ██████████░░░░░░░░░░ 5/10 loss 2.250 | last   -   best   -   | ETA 11s');
    expect(text).toContain('episode 1/3 acc 0.4200');
  });

  it('formats durations and bars', () => {
    expect(formatDuration(5)).toBe('5s');
    expect(formatDuration(65)).toBe('1m05s');
    expect(formatDuration(3 * 3600 + 120)).toBe('3h02m');
    expect(formatDuration(NaN)).toBe('?');
    expect(bar(0.5, 4)).toBe('██░░');
    expect(bar(2, 2)).toBe('██');
  });
});

describe('the display of a search with children in flight', () => {
  const events = (p: SearchProgress, clock: { t: number }) => {
    p.handle({ type: 'child-start', child: 1, explored: true, key: 'aaa', budget: 2, inFlight: 1 });
    p.handle({ type: 'child-start', child: 2, explored: false, key: 'bbb', budget: 2, inFlight: 2 });
    clock.t = 1000;
    p.handle({ type: 'child-worker', child: 1, worker: 'w1' });
    clock.t = 2000;
    p.handle({ type: 'child-worker', child: 2, worker: 'w2' });
    clock.t = 3000;
    p.handle({ type: 'workers', workers: [{ name: 'w1', beat: new Date(Date.now() - 2000).toISOString() } as never] });
    clock.t = 4000;
    p.handle({ type: 'child-epoch', child: 2, epoch: 1, valAccuracy: 0.31, loss: 2.1 });
    clock.t = 60_000;
    p.handle({ type: 'episode-end', trial: { ...trial(1, 0.35), worker: 'w2' }, best: trial(1, 0.35), child: 2 });
  };
  it('writes a line per child start, worker, epoch and finish to a file, naming child and worker', () => {
    let text = '';
    const clock = { t: 0 };
    events(new SearchProgress({ epochs: 2, episodes: 3, isTTY: false, write: (t) => (text += t), now: () => clock.t }), clock);
    expect(text).toContain('child #1 start explored cells aaa (1 in flight)');
    expect(text).toContain('child #2 on w2');
    expect(text).toContain('child #2 (w2) epoch 1/2 loss 2.1000 val_acc 0.3100');
    expect(text).toMatch(/episode 1\/3 \(child #2 on w2\) acc 0\.3500/);
  });
  it('redraws one status line on a terminal: each child in flight with its worker and epoch, the heartbeats', () => {
    let text = '';
    const clock = { t: 0 };
    events(new SearchProgress({ epochs: 2, episodes: 3, isTTY: true, write: (t) => (text += t), now: () => clock.t }), clock);
    const statuses = text.split('\r\x1b[2K').filter((s) => s.includes('in flight'));
    expect(statuses.at(-1)).toMatch(/^2 in flight: #1 w1 e0\/2 · #2 w2 e1\/2 0\.31 \| 1 worker, beats \d+s ago/);
    expect(text).toMatch(/episode 1\/3 \(child #2 on w2\) acc 0\.3500/);
  });
});
