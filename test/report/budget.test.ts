// The report of a multi-fidelity run: accuracy against budget (each trial at the epochs it had, a
// pruned one where it stopped) and the count of cached proposals on the page.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { budgetRows, BUDGET_KINDS } from '../../src/report/budget-plot.js';
import { writeRunReport } from '../../src/report/report.js';
import { fakeTrials, tempDir, writeFakeRun } from './fake-run.js';

describe('accuracy against budget', () => {
  it('places each trial at its budget, a pruned one at its last epoch, and says which were cached or continued', () => {
    const [a, b, c, d, e] = fakeTrials({ episodes: 5, epochs: 9 });
    const rows = budgetRows(
      [
        { ...a, budget: 1 },
        { ...b, budget: 3, inheritedFrom: 1 },
        { ...c, budget: 3, cached: true, cachedFrom: 2 },
        { ...d, budget: 9, pruned: { epoch: 4, reason: 'below' } },
        { ...e, accuracy: null, failed: 'NaN' },
      ],
      9,
    );
    expect(rows.map((r) => [r.budget, r.kind])).toEqual([
      [1, BUDGET_KINDS.scratch],
      [3, BUDGET_KINDS.inherited],
      [3, BUDGET_KINDS.cached],
      [4, BUDGET_KINDS.pruned],
    ]);
    expect(budgetRows([{ ...a, budget: undefined }], 6)[0].budget).toBe(6); // runs from before budgets
  });

  it('draws the plot when budgets differ and counts the cached proposals on the page', async () => {
    const dir = tempDir();
    const trials = writeFakeRun(dir, { episodes: 4, epochs: 3 });
    writeFileSync(join(dir, 'trials.jsonl'), '');
    trials.forEach((t, i) =>
      appendFileSync(join(dir, 'trials.jsonl'), JSON.stringify({ ...t, budget: i === 0 ? 1 : 3, ...(i >= 2 ? { cached: true, cachedFrom: 1 } : {}) }) + '\n'),
    );
    const { files } = await writeRunReport(dir);
    expect(files.some((f) => f.endsWith('budget.svg'))).toBe(true);
    const svg = readFileSync(join(dir, 'report', 'budget.svg'), 'utf8');
    expect(svg).toContain(`episode 3: accuracy ${trials[2].accuracy} after 3 epochs, ${BUDGET_KINDS.cached}`);
    expect(readFileSync(join(dir, 'report', 'index.html'), 'utf8')).toMatch(/2 proposals cached/);
  });
});
