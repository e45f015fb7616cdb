// Draws the shared Vega-Lite specs (src/report/views.ts) in the browser: compiled here with vega-lite
// and rendered by vega, on a canvas for big runs (thousands of marks draw far faster than as SVG
// nodes), as SVG otherwise (its marks carry aria labels, as in the report).
import type { View } from 'vega';
import type { TopLevelSpec } from 'vega-lite';

// Loaded apart from the page's own code (a chunk of the bundle), and started at once: the page
// fetches the run while the browser compiles vega.
const engines = Promise.all([import('vega'), import('vega-lite')]);

/** Marks above which a plot is drawn on a canvas. */
const CANVAS_ABOVE = 1500;

function markCount(spec: unknown): number {
  let n = 0;
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.data && typeof o.data === 'object' && Array.isArray((o.data as { values?: unknown[] }).values))
        n += (o.data as { values: unknown[] }).values.length;
      for (const [k, child] of Object.entries(o)) if (k !== 'data') walk(child);
    }
  };
  walk(spec);
  return n;
}

interface Drawn {
  view: View;
  renderer: 'canvas' | 'svg';
  /** The compiled spec without its data: while it stays the same, only the data is changed. */
  shape: string;
  data: Map<string, unknown[]>;
}

const drawn = new WeakMap<HTMLElement, Drawn>();

/** The compiled spec's inline datasets, taken out of it (the spec is left with empty ones). */
function takeData(compiled: { data?: Array<{ name: string; values?: unknown[] }> }): Map<string, unknown[]> {
  const data = new Map<string, unknown[]>();
  for (const d of compiled.data ?? []) {
    if (!Array.isArray(d.values)) continue;
    data.set(d.name, d.values);
    d.values = [];
  }
  return data;
}

const sameRow = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Renders `spec` into `container`. When the container shows the same plot with less data (a run that
 * grew), vega is handed only the rows added at the end, or a dataset's new rows where it changed
 * otherwise: redrawing a 20,000-point plot for each new trial would keep the page busy. Returns the
 * time it took (ms).
 */
export async function drawSpec(container: HTMLElement, spec: TopLevelSpec): Promise<number> {
  const started = performance.now();
  const [vega, vl] = await engines;
  const compiled = vl.compile(spec).spec as { data?: Array<{ name: string; values?: unknown[] }> };
  const data = takeData(compiled);
  const shape = JSON.stringify(compiled);
  const renderer = markCount(spec) > CANVAS_ABOVE ? 'canvas' : 'svg';
  const before = drawn.get(container);
  if (before && before.shape === shape && before.renderer === renderer) {
    let changed = false;
    for (const [name, values] of data) {
      const old = before.data.get(name) ?? [];
      const grown = values.length >= old.length && (old.length === 0 || (sameRow(old[0], values[0]) && sameRow(old[old.length - 1], values[old.length - 1])));
      if (grown && values.length === old.length) continue;
      changed = true;
      if (grown) before.view.change(name, vega.changeset().insert(values.slice(old.length)));
      else before.view.data(name, values);
    }
    before.data = data;
    if (changed) await before.view.runAsync();
    return performance.now() - started;
  }
  const view = new vega.View(vega.parse(compiled as never), { renderer, hover: false });
  for (const [name, values] of data) view.data(name, values);
  const target = document.createElement('div');
  await view.initialize(target).runAsync();
  before?.view.finalize();
  container.replaceChildren(target);
  container.dataset.renderer = renderer;
  drawn.set(container, { view, renderer, shape, data });
  return performance.now() - started;
}
