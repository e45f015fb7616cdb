// The one catalogue of views (src/report/views.ts) that the report and the dashboard both draw:
// which views a run gets, from what its trials hold.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { searchConfigOf } from '../../src/config/read.js';
import type { TrialRecord } from '../../src/store/records.js';
import { runViews } from '../../src/report/views.js';
import { fakeConfig, fakeTrials } from './fake-run.js';

const fixture = (dir: string) => {
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const trials = readFileSync(join(dir, 'trials.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TrialRecord);
  return { name: 'run', config, settings: searchConfigOf(config), trials };
};
const ids = (run: Parameters<typeof runViews>[0]) => runViews(run).map((v) => v.id);

describe('runViews', () => {
  it('gives a run whose children all trained the same epochs no child-epochs plot, and says why', () => {
    const config = fakeConfig({ episodes: 10, epochs: 3 });
    const run = { name: 'run', config, settings: searchConfigOf(config), trials: fakeTrials({ episodes: 10, epochs: 3 }) };
    expect(ids(run)).toEqual(['accuracy', 'reward', 'cost']);
    expect(runViews(run)[0].caption).toContain('Every child trained 3 epochs: child-epochs spent = 3 × episode.');
  });

  it('gives a Hyperband run its budgets, its brackets and rungs, and the child-epochs plot', () => {
    const run = fixture(join(import.meta.dirname, '..', 'dashboard', 'fixtures', 'hyperband'));
    expect(ids(run)).toEqual(['accuracy', 'accuracy-epochs', 'reward', 'budget', 'rungs', 'cost']);
    // The rungs plot has every finished trial, in its bracket; the promoted one at its second rung.
    const spec = runViews(run).find((v) => v.id === 'rungs')!.spec as { data: { values: Array<{ rung: number; status: string }> } };
    expect(spec.data.values).toHaveLength(8);
    expect(spec.data.values.filter((r) => r.rung === 1).map((r) => r.status)).toEqual(['promoted (continued)']);
  });

  it('adds the decisions and proxy views when their rows are given, and only the shared-weight plot for weight sharing', () => {
    const config = fakeConfig({ episodes: 4 });
    const run = { name: 'run', config, settings: searchConfigOf(config), trials: fakeTrials({ episodes: 4 }) };
    const decisions = {
      rows: [{ decision: 'normal block 0 op 1', order: 0, choice: 'sep_3x3', share: 1 }],
      source: { kind: 'proposals' as const, samples: 4 },
    };
    const proxies = { rows: [{ score: 1, accuracy: 0.5, key: 'k', description: 'k' }], proxy: 'synflow' };
    expect(ids({ ...run, decisions, proxies })).toEqual(['accuracy', 'reward', 'cost', 'decisions', 'proxies']);
    expect(ids({ ...run, wsSteps: [{ step: 1, childEpochs: 0.1, accuracy: 0.3, baseline: 0.1 }] })).toEqual(['ws-accuracy']);
  });

  it('builds each spec once, when it is first read', () => {
    const config = fakeConfig({ episodes: 3 });
    const views = runViews({ name: 'run', config, settings: searchConfigOf(config), trials: fakeTrials({ episodes: 3 }) });
    const reward = views.find((v) => v.id === 'reward')!;
    expect(reward.spec).toBe(reward.spec);
  });
});
