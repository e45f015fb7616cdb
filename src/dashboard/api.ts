// What the dashboard's server answers about one run: the page's first load of it, the state pushed
// when it changes, a trial's whole record, the cells drawn as SVG, and the best cells to download.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cellDot, nb201Dot, renderDot } from '../report/diagram.js';
import { runSpaceOf, type RunData } from '../report/run-data.js';
import { nasBench201Space } from '../spaces/nas-bench-201/space.js';
import type { CellPair } from '../spaces/nasnet/types.js';
import type { Heartbeats } from './heartbeats.js';
import type { RunWatcher } from './watch.js';

/** Each worker as the trials tell of it: children finished and when it last finished one. */
function workersOf(w: RunWatcher): Array<{ name: string; trials: number; last: string }> {
  const byName = new Map<string, { name: string; trials: number; last: string }>();
  for (const t of w.trials.items) {
    if (!t.worker) continue;
    const seen = byName.get(t.worker) ?? { name: t.worker, trials: 0, last: t.time };
    seen.trials++;
    if (t.time > seen.last) seen.last = t.time;
    byName.set(t.worker, seen);
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The Redis server a run's children train through: its own settings', else the dashboard's --redis. */
const redisOf = (w: RunWatcher, fallback?: string): string | undefined => (w.settings as { redis?: string } | undefined)?.redis ?? fallback;

/** The parts of a run that change other than by appended trials; heartbeats only while it runs and has a queue. */
export function runState(w: RunWatcher, heartbeats?: Heartbeats, redis?: string) {
  const url = redisOf(w, redis);
  return {
    summary: w.summary(),
    inflight: w.inflight,
    workers: workersOf(w),
    extras: w.isWeightSharing ? undefined : w.extrasOf(),
    ...(heartbeats && url && w.pid !== undefined ? { heartbeats: heartbeats.of(url) } : {}),
  };
}

/** The first load of a run, as JSON: settings, every trial without its cells (summaries kept serialised by the watcher), the state. */
export function runPayloadJson(w: RunWatcher, heartbeats?: Heartbeats, redis?: string): string {
  const rest = JSON.stringify({
    id: w.id,
    name: w.name,
    config: w.config ?? {},
    settings: w.settings,
    generation: w.trials.generation,
    steps: w.isWeightSharing ? w.wsSteps.items.map(({ cells: _c, ...s }) => s) : undefined,
    ...runState(w, heartbeats, redis),
  });
  return `{"trials":${w.summariesJson()},${rest.slice(1)}`;
}

export function trialOf(w: RunWatcher, episode: number) {
  return w.trials.items.find((t) => t.episode === episode);
}

/** best-cells.json as the search wrote it, or undefined before it has. */
export function bestCellsFile(w: RunWatcher): string | undefined {
  const path = join(w.dir, 'best-cells.json');
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

const svgCache = new Map<string, Promise<string>>();

/**
 * A trial's cell (`kind` normal or reduction; a NAS-Bench-201 run has one) as Graphviz's SVG. DOT
 * strings are escaped (diagram.ts) and the page shows the SVG as an <img>, where no script runs.
 */
export function cellSvg(w: RunWatcher, cells: unknown, label: string, kind: 'normal' | 'reduction'): Promise<string> {
  const key = `${w.id}\0${label}\0${kind}\0${JSON.stringify(cells)}`;
  let svg = svgCache.get(key);
  if (!svg) {
    svg = (async () => {
      const run = { config: w.config ?? {}, settings: w.settings } as RunData;
      if (w.settings?.problem.space === 'nas-bench-201') {
        const cell = nasBench201Space.validate(cells);
        return renderDot(nb201Dot(cell, label));
      }
      const pair = runSpaceOf(run).validate(cells) as CellPair;
      return renderDot(cellDot(pair[kind], `${kind} cell · ${label}`, kind));
    })();
    svg.catch(() => svgCache.delete(key));
    if (svgCache.size > 500) svgCache.clear();
    svgCache.set(key, svg);
  }
  return svg;
}
