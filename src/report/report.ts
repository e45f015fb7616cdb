// `<run>/report/`: the plots, the best cells' diagrams, and index.html tying them together. Written
// after every episode of a search, so each file is replaced atomically (a browser or file watcher
// sees the old version or the new one, never half a file) and the engines stay loaded in between.
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CellKind, CellPair } from '../spaces/nasnet/types.js';
import type { TrialRecord } from '../store/records.js';
import { writeFileAtomic } from '../store/atomic.js';
import { cellDot, nb201Dot, placeholderDot, renderDot } from './diagram.js';
import { nasBench201Space } from '../spaces/nas-bench-201/space.js';
import { reportHtml } from './html.js';
import { renderSpec } from './plots.js';
import { controllerRows } from './controller-view.js';
import { decisionRows, proxyView } from './run-extras.js';
import { runViews } from './views.js';
import { svgToPng } from './render.js';
import { writeWsReport } from './ws-report.js';
import { searchConfigOf } from '../config/read.js';
import { bestTrial, isNb201Run, readRun, ReportError, runSpaceOf, topArchitectures, type RunData } from './run-data.js';

export const REPORT_DIR = 'report';

/** A run of `nascent search --weight-sharing`, which has its own report (ws-report.ts). */
function isWeightSharingRun(dir: string): boolean {
  try {
    return searchConfigOf(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')))?.evaluator.kind === 'weight-sharing';
  } catch {
    return false;
  }
}

export interface RunReportOptions {
  /** Where to write; default `<run>/report`. */
  outDir?: string;
}

async function cellSvg(run: RunData, best: TrialRecord | undefined, kind: CellKind): Promise<string> {
  const title = isNb201Run(run) ? 'NAS-Bench-201 cell' : `${kind} cell`;
  if (!best) return renderDot(placeholderDot(title, run.trials.length === 0 ? 'no episode has finished yet' : 'no child has trained successfully yet'));
  if (isNb201Run(run)) {
    // One cell, drawn in the first slot; the second says why it is empty.
    if (kind === 'reduction') return renderDot(placeholderDot('reduction cell', 'NAS-Bench-201 stacks one cell, with fixed reduction blocks'));
    try {
      return await renderDot(nb201Dot(nasBench201Space.validate(best.cells), `best cell · episode ${best.episode} · ${best.accuracy!.toFixed(4)}`));
    } catch (err) {
      throw new ReportError(`${join(run.dir, 'trials.jsonl')}: episode ${best.episode}: cannot draw its cell: ${(err as Error).message}`);
    }
  }
  try {
    const pair = runSpaceOf(run).validate(best.cells) as CellPair;
    return await renderDot(cellDot(pair[kind], `best ${title} · episode ${best.episode} · accuracy ${best.accuracy!.toFixed(4)}`, kind));
  } catch (err) {
    throw new ReportError(`${join(run.dir, 'trials.jsonl')}: episode ${best.episode}: cannot draw its ${kind} cell: ${(err as Error).message}`);
  }
}

/** Reads the run in `runDir` and (re)writes its report; returns the paths written. */
export async function writeRunReport(runDir: string, options: RunReportOptions = {}): Promise<{ files: string[] }> {
  if (isWeightSharingRun(runDir)) return writeWsReport(runDir, options.outDir);
  const run = readRun(runDir);
  const outDir = resolve(options.outDir ?? join(run.dir, REPORT_DIR));
  mkdirSync(outDir, { recursive: true });
  const best = bestTrial(run.trials);
  const space = runSpaceOf(run);
  const proxies = proxyView(run.dir, run.trials, space, run.settings?.strategy.warmup.count ? run.settings.strategy.warmup.proxy : undefined);
  // The same catalogue of views the dashboard draws (views.ts), rendered to SVG here.
  // The controller's own probabilities where its checkpoint has them; else the shares of recent proposals.
  const policy = await controllerRows(run.dir, space).catch(() => undefined);
  const views = runViews({
    ...run,
    decisions: policy ?? decisionRows(run.trials, space),
    ...(proxies ? { proxies } : {}),
  });
  const [normal, reduction, ...plots] = await Promise.all([
    cellSvg(run, best, 'normal'),
    cellSvg(run, best, 'reduction'),
    ...views.map((v) => renderSpec(v.spec)),
  ]);
  const drawn = views.map((v, i) => ({ id: v.id, heading: v.heading, caption: v.caption, svg: plots[i] }));
  // Files for the plots other pages link to (the cost plot only where the search ranked by it, as
  // before); every view is in index.html.
  const mnas = run.settings?.objective.name === 'mnas';
  const filed = drawn.filter((d) => ['accuracy', 'reward', 'budget'].includes(d.id) || (d.id === 'cost' && mnas));
  const svgs = { normal, reduction, ...Object.fromEntries(filed.map((d) => [d.id, d.svg])) };

  const files: string[] = [];
  const write = (name: string, data: string | Uint8Array) => {
    const path = join(outDir, name);
    writeFileAtomic(path, data);
    files.push(path);
  };
  for (const [name, svg] of Object.entries(svgs)) {
    write(`${name}.svg`, svg);
    write(`${name}.png`, await svgToPng(svg));
  }
  const html = reportHtml({
    run,
    best,
    top: topArchitectures(run.trials, 10),
    failed: run.trials.filter((t) => t.accuracy === null && !t.rejected).length,
    rejected: run.trials.filter((t) => t.rejected).length,
    cached: run.trials.filter((t) => t.cached).length,
    pruned: run.trials.filter((t) => t.pruned).length,
    svgs: { normal, reduction },
    views: drawn,
    generated: new Date(),
  });
  // Last: once the page is new, so is every file it summarises.
  write('index.html', html);
  return { files };
}
