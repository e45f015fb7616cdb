// Validation accuracy against cost (parameters, or measured latency) with the Pareto front marked:
// for a run with --objective mnas, the trade-off its reward chose one point of.
import type { TopLevelSpec } from 'vega-lite';
import type { TrialRecord } from '../store/records.js';
import { costOf, paretoFront, type CostName } from '../search/pareto.js';
import { FONT } from './plots.js';

export interface CostRow {
  cost: number;
  accuracy: number;
  kind: string;
  description: string;
}

export const COST_KINDS = { front: 'on the Pareto front', other: 'dominated' } as const;

export function costRows(trials: readonly TrialRecord[], cost: CostName): { points: CostRow[]; front: CostRow[] } {
  const onFront = new Set(paretoFront(trials, cost).map((p) => p.episode));
  const unit = cost === 'params' ? 'parameters' : 'ms';
  const points = trials.flatMap((t) => {
    const c = costOf(t, cost);
    if (t.accuracy === null || c === undefined) return [];
    const kind = onFront.has(t.episode) ? COST_KINDS.front : COST_KINDS.other;
    return [{ cost: c, accuracy: t.accuracy, kind, description: `episode ${t.episode}: accuracy ${t.accuracy}, ${c} ${unit}, ${kind}` }];
  });
  return { points, front: points.filter((p) => p.kind === COST_KINDS.front).sort((a, b) => a.cost - b.cost) };
}

export function costSpec(trials: readonly TrialRecord[], cost: CostName, subtitle?: string): TopLevelSpec {
  const { points, front } = costRows(trials, cost);
  const x = { field: 'cost', type: 'quantitative', title: cost === 'params' ? 'parameters' : 'batch-1 latency (ms)', scale: { zero: false } };
  const y = { field: 'accuracy', type: 'quantitative', title: 'validation accuracy', scale: { zero: false } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Validation accuracy against ${cost === 'params' ? 'parameters' : 'latency'}`, ...(subtitle ? { subtitle } : {}) },
    width: 640,
    height: 300,
    config: {
      font: FONT,
      background: 'white',
      axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6' },
      legend: { labelFontSize: 11, titleFontSize: 11, orient: 'right' },
      title: { fontSize: 14, anchor: 'start' },
      view: { stroke: '#cccccc' },
    },
    layer: [
      { data: { values: front }, mark: { type: 'line', interpolate: 'step-after', color: '#d62728', strokeWidth: 1.5 }, encoding: { x, y } },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 50, opacity: 0.85 },
        encoding: {
          x,
          y,
          color: { field: 'kind', type: 'nominal', title: 'trial', scale: { domain: Object.values(COST_KINDS), range: ['#d62728', '#1f77b4'] } },
          description: { field: 'description' },
        },
      },
    ],
  } as TopLevelSpec;
}
