// The report's proxy view: each trained trial's own proxy scores against its accuracy (rejected and
// promoted trials left out, several proxies as their mean rank), and warmup.jsonl for older runs.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trialStatus } from '../../src/report/html.js';
import { accuracyData } from '../../src/report/plots.js';
import { proxyView } from '../../src/report/run-extras.js';
import { episodeSeries } from '../../src/report/series.js';
import { nasBench201Space } from '../../src/spaces/nas-bench-201/space.js';
import { keyHash } from '../../src/spaces/nasnet/key.js';
import type { TrialRecord } from '../../src/store/records.js';

const trial = (episode: number, accuracy: number | null, proxy: Record<string, number | null> | undefined, extra: Partial<TrialRecord> = {}): TrialRecord => ({
  episode,
  strategy: 'tpe',
  cells: { arch: '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|' },
  key: `k${episode}`,
  explored: false,
  accuracy,
  valAccuracies: accuracy === null ? [] : [accuracy],
  reward: 0,
  baseline: 0,
  params: 0,
  seconds: 0,
  backend: 'wasm',
  time: '2026-12-07T00:00:00Z',
  ...(proxy ? { proxy } : {}),
  ...extra,
});

describe('the proxy view', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nascent-proxy-view-'));

  it("plots each trained trial's own score, one proxy as is, several as their mean rank", () => {
    const one = proxyView(
      dir,
      [trial(1, 0.5, { synflow: 3 }), trial(2, 0.6, { synflow: 5 }), trial(3, null, { synflow: 1 }, { rejected: 'low' })],
      nasBench201Space,
      undefined,
    );
    expect(one?.proxy).toBe('synflow');
    expect(one?.rows.map((r) => [r.score, r.accuracy])).toEqual([
      [3, 0.5],
      [5, 0.6],
    ]);
    const two = proxyView(
      dir,
      [
        trial(1, 0.5, { synflow: 3, params: 10 }),
        trial(2, 0.6, { synflow: 5, params: 30 }),
        trial(3, 0.7, { synflow: 4, params: 20 }),
        trial(4, 0.8, { synflow: 9, params: 90 }, { rung: 1 }),
      ],
      nasBench201Space,
      'synflow+params',
    );
    expect(two?.proxy).toBe('mean rank of synflow+params');
    expect(two?.rows.map((r) => r.score)).toEqual([1, 3, 2]); // the promoted trial (rung 1) counted once, at rung 0
  });

  it('falls back to warmup.jsonl for runs whose trials carry no scores, and is absent without either', () => {
    const arch = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|';
    const t = { ...trial(1, 0.9, undefined), cells: { arch } };
    writeFileSync(join(dir, 'warmup.jsonl'), `${JSON.stringify({ cells: { arch }, score: 7 })}\n{"torn`);
    const view = proxyView(dir, [{ ...t, key: keyOf(arch) }], nasBench201Space, 'synflow');
    expect(view?.rows.map((r) => [r.score, r.accuracy])).toEqual([[7, 0.9]]);
    expect(proxyView(mkdtempSync(join(tmpdir(), 'nascent-proxy-view-')), [t], nasBench201Space, undefined)).toBeUndefined();
  });
});

const keyOf = (arch: string) => keyHash(nasBench201Space.key(nasBench201Space.validate({ arch })));

describe('a rejected proposal in the report', () => {
  it('is called rejected, not failed, and is no point of the accuracy plot', () => {
    const trials = [
      trial(1, 0.5, { params: 9 }),
      trial(2, null, { params: 1 }, { rejected: 'params ranks it low' }),
      trial(3, null, undefined, { failed: 'NaN loss' }),
    ];
    expect(trials.map(trialStatus)).toEqual(['proposed', 'rejected by the proxy rung (untrained)', 'failed']);
    const { children } = accuracyData(episodeSeries(trials, 20, 1), 20);
    expect(children.map((c) => c.episode)).toEqual([1, 3]);
  });
});
