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
import { accuracySpec, renderSpec, rewardSpec } from './plots.js';
import { budgetRows, budgetSpec } from './budget-plot.js';
import { costSpec } from './cost-plot.js';
import { svgToPng } from './render.js';
import { writeWsReport } from './ws-report.js';
import { searchConfigOf } from '../config/read.js';
import { bestTrial, childEpochsOf, isNb201Run, readRun, ReportError, runSeries, runSpaceOf, strategyOf, topArchitectures, type RunData } from './run-data.js';

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

function subtitle(run: RunData): string {
  return `${run.name} · ${strategyOf(run)} · ${run.trials.length} episode${run.trials.length === 1 ? '' : 's'}`;
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
  const { window, points: series } = runSeries(run);
  const sub = subtitle(run);
  const best = bestTrial(run.trials);
  const epochs = childEpochsOf(run);
  const objective = run.settings?.objective;
  const mnasCost = objective?.name === 'mnas' ? (objective.targetParams !== undefined ? 'params' : 'latency') : undefined;
  const [accuracy, reward, normal, reduction, budget, cost] = await Promise.all([
    renderSpec(accuracySpec(series, window, sub)),
    renderSpec(rewardSpec(series, sub)),
    cellSvg(run, best, 'normal'),
    cellSvg(run, best, 'reduction'),
    // Only a run whose children had different budgets (Hyperband, pruning) has a budget axis to draw.
    new Set(budgetRows(run.trials, epochs).map((r) => r.budget)).size > 1 ? renderSpec(budgetSpec(run.trials, epochs, sub)) : undefined,
    mnasCost ? renderSpec(costSpec(run.trials, mnasCost, sub)) : undefined,
  ]);
  const svgs = { accuracy, reward, normal, reduction, ...(budget ? { budget } : {}), ...(cost ? { cost } : {}) };

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
    failed: run.trials.filter((t) => t.accuracy === null).length,
    cached: run.trials.filter((t) => t.cached).length,
    pruned: run.trials.filter((t) => t.pruned).length,
    svgs,
    generated: new Date(),
  });
  // Last: once the page is new, so is every file it summarises.
  write('index.html', html);
  return { files };
}
