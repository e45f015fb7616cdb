// Validation accuracy against budget (epochs a child had), one point per trial: what a
// multi-fidelity search (Hyperband, pruning) saw at each budget, and how promoted children moved.
// Kept apart from plots.ts (the per-episode plots) since it reads trials, not an episode series.
import type { TopLevelSpec } from 'vega-lite';
import type { TrialSummary } from './series.js';
import { FONT } from './plots.js';

export const BUDGET_KINDS = {
  scratch: 'trained from scratch',
  inherited: 'continued (inherited weights)',
  cached: 'cached (not trained)',
  pruned: 'pruned (at its last epoch)',
} as const;

export interface BudgetRow {
  budget: number;
  accuracy: number;
  kind: string;
  description: string;
}

/** Trials with an accuracy, at their budget (a pruned child at the epoch it stopped). */
export function budgetRows(trials: readonly TrialSummary[], defaultBudget: number): BudgetRow[] {
  return trials.flatMap((t) => {
    if (t.accuracy === null) return [];
    const budget = t.pruned ? t.pruned.epoch : (t.budget ?? defaultBudget);
    const kind = t.cached
      ? BUDGET_KINDS.cached
      : t.pruned
        ? BUDGET_KINDS.pruned
        : t.inheritedFrom !== undefined
          ? BUDGET_KINDS.inherited
          : BUDGET_KINDS.scratch;
    return [{ budget, accuracy: t.accuracy, kind, description: `episode ${t.episode}: accuracy ${t.accuracy} after ${budget} epochs, ${kind}` }];
  });
}

export function budgetSpec(trials: readonly TrialSummary[], defaultBudget: number, subtitle?: string): TopLevelSpec {
  const values = budgetRows(trials, defaultBudget);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Validation accuracy against budget', ...(subtitle ? { subtitle: values.length === 0 ? 'no finished episodes yet' : subtitle } : {}) },
    width: 640,
    height: 300,
    config: {
      font: FONT,
      background: 'white',
      axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6' },
      legend: { labelFontSize: 11, titleFontSize: 11, orient: 'right', labelLimit: 400 },
      title: { fontSize: 14, anchor: 'start' },
      view: { stroke: '#cccccc' },
    },
    data: { values },
    mark: { type: 'point', filled: true, size: 45, opacity: 0.8 },
    encoding: {
      x: { field: 'budget', type: 'quantitative', title: 'epochs trained (budget)', axis: { format: 'd', tickMinStep: 1 } },
      y: { field: 'accuracy', type: 'quantitative', title: 'validation accuracy' },
      color: {
        field: 'kind',
        type: 'nominal',
        title: 'trial',
        scale: { domain: Object.values(BUDGET_KINDS), range: ['#1f77b4', '#2ca02c', '#7f7f7f', '#d62728'] },
      },
      description: { field: 'description' },
    },
  } as TopLevelSpec;
}
