// A weight-sharing run's plot: each strategy step's validation-batch accuracy with the shared
// weights, and the baseline it was rewarded against. Pure (no node: import), so the report and the
// dashboard's browser bundle draw it from the same code.
import type { TopLevelSpec } from 'vega-lite';
import { FONT } from './plots.js';

/** The fields of a ws-steps.jsonl line this plot reads. */
export interface WsStepPoint {
  step: number;
  childEpochs: number;
  accuracy: number;
  baseline: number;
}

/** The plot's rows: each step's accuracy, and the baseline it was rewarded against. */
export function wsAccuracyRows(steps: readonly WsStepPoint[]): Array<{ step: number; childEpochs: number; value: number; series: string }> {
  return steps.flatMap((s) => [
    { step: s.step, childEpochs: s.childEpochs, value: s.accuracy, series: 'validation-batch accuracy' },
    { step: s.step, childEpochs: s.childEpochs, value: s.baseline, series: 'baseline' },
  ]);
}

export function wsAccuracySpec(steps: readonly WsStepPoint[], subtitle: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Shared-weight accuracy per strategy step', subtitle: steps.length ? subtitle : 'no strategy step yet' },
    width: 640,
    height: 300,
    config: { font: FONT, background: 'white', axis: { gridColor: '#e6e6e6' }, legend: { labelLimit: 400 }, title: { anchor: 'start' } },
    data: { values: wsAccuracyRows(steps) },
    layer: [
      {
        transform: [{ filter: "datum.series === 'validation-batch accuracy'" }],
        mark: { type: 'point', filled: true, size: 30, opacity: 0.7 },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'strategy step' },
          y: { field: 'value', type: 'quantitative', title: 'accuracy (shared weights)' },
          color: { field: 'series', type: 'nominal', title: '', scale: { domain: ['validation-batch accuracy', 'baseline'], range: ['#1f77b4', '#555555'] } },
          tooltip: [{ field: 'step' }, { field: 'childEpochs', format: '.2f' }, { field: 'value', format: '.4f' }],
        },
      },
      {
        transform: [{ filter: "datum.series === 'baseline'" }],
        mark: { type: 'line', strokeWidth: 2, strokeDash: [5, 3] },
        encoding: {
          x: { field: 'step', type: 'quantitative' },
          y: { field: 'value', type: 'quantitative' },
          color: { field: 'series', type: 'nominal', title: '', scale: { domain: ['validation-batch accuracy', 'baseline'], range: ['#1f77b4', '#555555'] } },
        },
      },
    ],
  } as TopLevelSpec;
}
