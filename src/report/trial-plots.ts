// The plots beyond the per-episode ones: Hyperband's brackets and rungs, what a strategy has come to
// prefer at each decision, proxy scores against accuracy, and one trial's per-epoch curve. Pure
// (no node: import): the report renders them to SVG, the dashboard draws them in the browser.
import type { TopLevelSpec } from 'vega-lite';
import { baseConfig } from './plots.js';
import type { TrialSummary } from './series.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const WIDTH = 640;
const HEIGHT = 300;

function framed(title: string, subtitle: string | undefined, body: Record<string, unknown>): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title: subtitle ? { text: title, subtitle } : { text: title },
    width: WIDTH,
    height: HEIGHT,
    config: baseConfig,
    ...body,
  } as TopLevelSpec;
}

export interface RungRow {
  bracket: string;
  rung: number;
  budget: number;
  accuracy: number;
  key: string;
  status: string;
  description: string;
}

/** Trials that Hyperband placed (a bracket recorded, and rungs above 0 somewhere in the run). */
export function rungRows(trials: readonly TrialSummary[]): RungRow[] {
  if (!trials.some((t) => (t.rung ?? 0) > 0)) return [];
  return trials.flatMap((t) => {
    if (t.accuracy === null || t.bracket === undefined) return [];
    const status = t.pruned ? 'pruned' : t.cached ? 'cached' : t.inheritedFrom !== undefined ? 'promoted (continued)' : 'new';
    const budget = t.pruned ? t.pruned.epoch : (t.budget ?? 0);
    return [
      {
        bracket: `bracket ${t.bracket}`,
        rung: t.rung ?? 0,
        budget,
        accuracy: t.accuracy,
        key: t.key,
        status,
        description: `episode ${t.episode}: bracket ${t.bracket}, rung ${t.rung ?? 0}, ${budget} epochs, accuracy ${t.accuracy}, ${status}`,
      },
    ];
  });
}

/** Accuracy at each rung's budget, a panel per bracket; a promoted child's rungs joined by a line. */
export function rungSpec(trials: readonly TrialSummary[], subtitle?: string): TopLevelSpec {
  const values = rungRows(trials);
  const x = { field: 'budget', type: 'quantitative', title: 'epochs trained (rung budget)', axis: { format: 'd', tickMinStep: 1 } };
  const y = { field: 'accuracy', type: 'quantitative', title: 'validation accuracy', scale: { zero: false } };
  return {
    $schema: SCHEMA,
    title: { text: "Hyperband's brackets and rungs", subtitle: subtitle ?? 'each line is one architecture promoted from rung to rung' },
    config: baseConfig,
    data: { values },
    facet: { column: { field: 'bracket', type: 'nominal', title: null } },
    spec: {
      width: 260,
      height: 240,
      layer: [
        { mark: { type: 'line', color: '#bbbbbb', strokeWidth: 1 }, encoding: { x, y, detail: { field: 'key' } } },
        {
          mark: { type: 'point', filled: true, size: 40, opacity: 0.85 },
          encoding: {
            x,
            y,
            color: {
              field: 'status',
              type: 'nominal',
              title: 'trial',
              scale: { domain: ['new', 'promoted (continued)', 'cached', 'pruned'], range: ['#1f77b4', '#2ca02c', '#7f7f7f', '#d62728'] },
            },
            description: { field: 'description' },
          },
        },
      ],
    },
  } as TopLevelSpec;
}

/** One cell of the decisions heat map: how often a choice was taken at a decision. */
export interface DecisionRow {
  decision: string;
  /** Its order in the space's sequence, to keep the rows in that order. */
  order: number;
  choice: string;
  share: number;
}

/** Where a decisions view's numbers come from. */
export type DecisionSource = { kind: 'controller'; episode: number } | { kind: 'proposals'; samples: number };

/**
 * A heat map of each decision's choices: the controller's own probabilities (read from its
 * checkpoint), or, for other strategies, how often its last proposals took each choice.
 */
export function decisionSpec(rows: readonly DecisionRow[], source: DecisionSource): TopLevelSpec {
  const decisions = [...new Map(rows.map((r) => [r.decision, r.order])).entries()].sort((a, b) => a[1] - b[1]).map(([d]) => d);
  return {
    $schema: SCHEMA,
    title:
      source.kind === 'controller'
        ? {
            text: 'What the controller has learned',
            subtitle: `probability of each choice, given the most likely choices before it (checkpoint after episode ${source.episode})`,
          }
        : {
            text: 'What the strategy proposes now',
            subtitle: `share of each choice among the last ${source.samples} proposals (policy samples, not explored)`,
          },
    config: baseConfig,
    width: 420,
    height: { step: 14 },
    data: { values: rows },
    layer: [
      {
        mark: { type: 'rect' },
        encoding: {
          y: { field: 'decision', type: 'nominal', sort: decisions, title: 'decision', axis: { labelLimit: 260 } },
          x: { field: 'choice', type: 'nominal', title: 'choice', axis: { labelAngle: -40, labelLimit: 120 } },
          color: {
            field: 'share',
            type: 'quantitative',
            title: source.kind === 'controller' ? 'probability' : 'share of proposals',
            scale: { domain: [0, 1], scheme: 'blues' },
            legend: { format: '.0%' },
          },
          tooltip: [{ field: 'decision' }, { field: 'choice' }, { field: 'share', format: '.1%' }],
        },
      },
    ],
  } as TopLevelSpec;
}

export interface ProxyRow {
  score: number;
  accuracy: number;
  key: string;
  description: string;
}

/** The proxy score of each architecture the search trained, taken before training, against its accuracy. */
export function proxySpec(rows: readonly ProxyRow[], proxy: string, subtitle?: string): TopLevelSpec {
  return framed(`Proxy score (${proxy}) against validation accuracy`, subtitle ?? 'each point: an architecture scored untrained, then trained', {
    data: { values: rows },
    mark: { type: 'point', filled: true, size: 45, opacity: 0.8, color: '#9467bd' },
    encoding: {
      x: { field: 'score', type: 'quantitative', title: `${proxy} score (zero-cost proxy, before training)`, scale: { zero: false } },
      y: { field: 'accuracy', type: 'quantitative', title: 'validation accuracy after training', scale: { zero: false } },
      description: { field: 'description' },
    },
  });
}

/** One trial's validation accuracy after each epoch it trained. */
export function epochCurveSpec(trial: TrialSummary): TopLevelSpec {
  const values = trial.valAccuracies.map((accuracy, i) => ({ epoch: i + 1, accuracy, description: `epoch ${i + 1}: validation accuracy ${accuracy}` }));
  const note = trial.pruned ? ` · pruned after epoch ${trial.pruned.epoch}` : trial.cached ? ' · cached (not trained again)' : '';
  return framed(
    `Episode ${trial.episode}: validation accuracy per epoch`,
    values.length === 0 ? 'no epoch recorded (failed or cached child)' : `key ${trial.key}${note}`,
    {
      width: 420,
      height: 220,
      data: { values },
      mark: { type: 'line', point: { filled: true, size: 40 }, strokeWidth: 2, color: '#1f77b4' },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { format: 'd', tickMinStep: 1 } },
        y: { field: 'accuracy', type: 'quantitative', title: 'validation accuracy', scale: { zero: false } },
        description: { field: 'description' },
      },
    },
  );
}
