// Vega-Lite specs built from a run's episodes, and their rendering to SVG with vega's headless View
// (no browser, no canvas). Each spec carries its data inline, so what a plot shows can be checked
// against the run from the spec alone, and every point is labelled in the SVG (aria-label).
import type { TopLevelSpec } from 'vega-lite';
import { loadVega } from './engines.js';
import type { EpisodePoint } from './series.js';

/** The family every plot and diagram asks for; render.ts maps the generic one to DejaVu Sans. */
export const FONT = 'DejaVu Sans, sans-serif';

const WIDTH = 640;
const HEIGHT = 300;

// Fixed domains give every report the same colours and legend order, even before a kind of point
// (a failed child, say) has occurred.
export const CHILD_KINDS = { policy: 'policy sample', explored: 'explored (uniform)', failed: 'failed (plotted at 0)' } as const;
const CHILD_COLORS = ['#1f77b4', '#ff7f0e', '#d62728'];
const CHILD_SHAPES = ['circle', 'triangle-up', 'cross'];

export const baseConfig = {
  font: FONT,
  background: 'white',
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, titleFontSize: 11, orient: 'right', labelLimit: 400 },
  title: { fontSize: 14, anchor: 'start' },
  view: { stroke: '#cccccc' },
} as const;

const episodeAxis = { field: 'episode', type: 'quantitative', title: 'episode', axis: { format: 'd', tickMinStep: 1 } } as const;
const epochsAxis = { field: 'epochs', type: 'quantitative', title: 'child training epochs spent (cumulative)', axis: { format: 'd' } } as const;

/** The x axis of a per-episode plot: the episode, or the child-epochs the run had spent by then. */
export type EpisodeX = 'episode' | 'epochs';

/**
 * Above this many episodes a line keeps every k-th point (and every change of the best): 20,000
 * points of a smooth line draw the same picture as 2,000, at a tenth of the cost in a browser.
 */
export const LINE_POINTS = 2000;

function runTitle(title: string, subtitle: string | undefined, empty: boolean) {
  const sub = empty ? 'no finished episodes yet' : subtitle;
  return sub ? { text: title, subtitle: sub } : { text: title };
}

/** A layered plot of a run's episodes, at the report's size and style. */
function episodePlot(title: string, subtitle: string | undefined, points: EpisodePoint[], body: Record<string, unknown>): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: runTitle(title, subtitle, points.length === 0),
    width: WIDTH,
    height: HEIGHT,
    config: baseConfig,
    ...body,
  } as TopLevelSpec;
}

export const rollingMeanName = (window: number) => `mean of last ${window} finished`;

// Each plotted point carries a description, which vega writes as the point's aria-label in the SVG
// (at full precision, unlike the axis-formatted default): screen readers read it, tests check it.
export interface AccuracyRow {
  episode: number;
  epochs: number;
  accuracy: number;
  child: string;
  /** Left out above LINE_POINTS episodes: 20,000 labels nobody reads cost more than the points. */
  description?: string;
}
export interface LineRow {
  episode: number;
  epochs?: number;
  value: number;
  series: string;
  description?: string;
}

/** The points (one per child; failed ones at 0) and the lines (rolling mean, best so far). */
export function accuracyData(points: EpisodePoint[], window: number): { children: AccuracyRow[]; lines: LineRow[] } {
  const meanName = rollingMeanName(window);
  const labelled = points.length <= LINE_POINTS;
  const children = points
    .filter((p) => !p.rejected)
    .map((p) => {
      const child = p.accuracy === null ? CHILD_KINDS.failed : p.explored ? CHILD_KINDS.explored : CHILD_KINDS.policy;
      if (!labelled) return { episode: p.episode, epochs: p.epochsSpent, accuracy: p.accuracy ?? 0, child };
      const description = p.accuracy === null ? `episode ${p.episode}: failed child` : `episode ${p.episode}: accuracy ${p.accuracy}, ${child}`;
      return { episode: p.episode, epochs: p.epochsSpent, accuracy: p.accuracy ?? 0, child, description };
    });
  const lines: LineRow[] = [];
  const every = Math.ceil(points.length / LINE_POINTS);
  points.forEach((p, i) => {
    const last = i === points.length - 1;
    if (p.rollingMean !== null && (i % every === 0 || last)) lines.push({ episode: p.episode, epochs: p.epochsSpent, value: p.rollingMean, series: meanName });
    // The best only changes now and then: its changes and the last point draw the whole line.
    const changed = i === 0 || p.bestSoFar !== points[i - 1].bestSoFar;
    if (p.bestSoFar !== null && (every === 1 || changed || last))
      lines.push({ episode: p.episode, epochs: p.epochsSpent, value: p.bestSoFar, series: 'best so far' });
  });
  return { children, lines };
}

export function accuracySpec(points: EpisodePoint[], window: number, subtitle?: string, x: EpisodeX = 'episode'): TopLevelSpec {
  const { children, lines } = accuracyData(points, window);
  const xAxis = x === 'episode' ? episodeAxis : epochsAxis;
  // Thousands of points overlap: smaller and fainter, so density shows.
  const size = points.length > LINE_POINTS ? 8 : 45;
  return episodePlot(x === 'episode' ? 'Validation accuracy per episode' : 'Validation accuracy against child-epochs spent', subtitle, points, {
    layer: [
      {
        data: { values: children },
        // Every row has numbers (a failed child is plotted at 0): 'show' spares vega a validity filter over thousands of rows.
        mark: { type: 'point', filled: true, size, opacity: points.length > LINE_POINTS ? 0.5 : 0.85, invalid: 'show' },
        encoding: {
          x: xAxis,
          y: { field: 'accuracy', type: 'quantitative', title: 'validation accuracy' },
          color: { field: 'child', type: 'nominal', title: 'child', scale: { domain: Object.values(CHILD_KINDS), range: CHILD_COLORS } },
          // Shapes tell a few dozen points apart; at thousands they are too small to see and cost drawing time.
          ...(points.length > LINE_POINTS
            ? {}
            : { shape: { field: 'child', type: 'nominal', title: 'child', scale: { domain: Object.values(CHILD_KINDS), range: CHILD_SHAPES } } }),
          description: { field: 'description' },
        },
      },
      {
        data: { values: lines },
        mark: { type: 'line', strokeWidth: 2, interpolate: 'linear' },
        encoding: {
          x: xAxis,
          y: { field: 'value', type: 'quantitative', title: 'validation accuracy' },
          color: {
            field: 'series',
            type: 'nominal',
            title: 'line',
            scale: { domain: [rollingMeanName(window), 'best so far'], range: ['#555555', '#2ca02c'] },
          },
          strokeDash: {
            field: 'series',
            type: 'nominal',
            title: 'line',
            scale: {
              domain: [rollingMeanName(window), 'best so far'],
              range: [
                [5, 3],
                [1, 0],
              ],
            },
          },
        },
      },
    ],
    resolve: { scale: { color: 'independent', shape: 'independent', strokeDash: 'independent' } },
  });
}

export function rewardData(points: EpisodePoint[]): LineRow[] {
  const every = Math.ceil(points.length / LINE_POINTS);
  return points.flatMap((p, i) => [
    { episode: p.episode, value: p.reward, series: 'reward', description: `episode ${p.episode}: reward ${p.reward}` },
    ...(i % every === 0 || i === points.length - 1
      ? [{ episode: p.episode, value: p.baseline, series: 'baseline', description: `episode ${p.episode}: baseline ${p.baseline}` }]
      : []),
  ]);
}

export function rewardSpec(points: EpisodePoint[], subtitle?: string): TopLevelSpec {
  return episodePlot('Reward and baseline per episode', subtitle, points, {
    layer: [
      {
        data: { values: [{ zero: 0 }] },
        mark: { type: 'rule', color: '#999999', strokeDash: [2, 2] },
        encoding: { y: { field: 'zero', type: 'quantitative' } },
      },
      {
        data: { values: rewardData(points) },
        // Above LINE_POINTS episodes the reward is a cloud of small points, not a line through them.
        mark:
          points.length > LINE_POINTS
            ? { type: 'line', point: { filled: true, size: 6 }, strokeWidth: 0.5, opacity: 0.6 }
            : { type: 'line', point: { filled: true, size: 30 }, strokeWidth: 1.5 },
        encoding: {
          x: episodeAxis,
          y: { field: 'value', type: 'quantitative', title: 'reward = accuracy − baseline' },
          color: { field: 'series', type: 'nominal', title: null, scale: { domain: ['reward', 'baseline'], range: ['#9467bd', '#7f7f7f'] } },
          description: { field: 'description' },
        },
      },
    ],
  });
}

export interface CompareRow {
  run: string;
  episode: number;
  epochs: number;
  best: number;
  description: string;
}

/** The comparison's rows: each run's best so far at every episode (from its first finished child). */
export function compareRows(runs: ReadonlyArray<{ label: string; points: readonly EpisodePoint[] }>): CompareRow[] {
  return runs.flatMap(({ label, points }) =>
    points.flatMap((p) =>
      p.bestSoFar === null
        ? []
        : [
            {
              run: label,
              episode: p.episode,
              epochs: p.epochsSpent,
              best: p.bestSoFar,
              description: `${label} episode ${p.episode}: best ${p.bestSoFar} after ${p.epochsSpent} child-epochs`,
            },
          ],
    ),
  );
}

/** Best-so-far against episode and against child-epochs spent, one line per run. */
export function compareSpec(rows: CompareRow[], runs: string[]): TopLevelSpec {
  const color = { field: 'run', type: 'nominal', title: 'run', scale: { domain: runs }, legend: { orient: 'bottom', columns: 1, labelLimit: 600 } } as const;
  const y = { field: 'best', type: 'quantitative', title: 'best validation accuracy so far', scale: { zero: false } } as const;
  const line = { type: 'line', interpolate: 'step-after', strokeWidth: 2, point: { size: 20, filled: true } } as const;
  const description = { field: 'description' } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: rows.length === 0 ? { text: 'Best accuracy so far', subtitle: 'no run has a finished child yet' } : 'Best accuracy so far',
    data: { values: rows },
    config: baseConfig,
    hconcat: [
      { width: 420, height: HEIGHT, mark: line, encoding: { x: { ...episodeAxis }, y, color, description } },
      {
        width: 420,
        height: HEIGHT,
        mark: line,
        encoding: { x: { field: 'epochs', type: 'quantitative', title: 'child training epochs spent', axis: { format: 'd' } }, y, color, description },
      },
    ],
  } as TopLevelSpec;
}

/** Renders a Vega-Lite spec to a standalone SVG document. */
export async function renderSpec(spec: TopLevelSpec): Promise<string> {
  const { vega, vl } = await loadVega();
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
