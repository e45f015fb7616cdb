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

const views = new WeakMap<HTMLElement, View>();

/** Renders `spec` into `container`, replacing what it showed; returns the time it took (ms). */
export async function drawSpec(container: HTMLElement, spec: TopLevelSpec): Promise<number> {
  const started = performance.now();
  const renderer = markCount(spec) > CANVAS_ABOVE ? 'canvas' : 'svg';
  const [vega, vl] = await engines;
  const compiled = vl.compile(spec).spec;
  performance.mark('plot-compiled');
  const view = new vega.View(vega.parse(compiled), { renderer, hover: false });
  performance.mark('plot-parsed');
  const target = document.createElement('div');
  await view.initialize(target).runAsync();
  performance.mark('plot-run');
  views.get(container)?.finalize();
  container.replaceChildren(target);
  container.dataset.renderer = renderer;
  views.set(container, view);
  return performance.now() - started;
}
