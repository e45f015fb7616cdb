// The report of a weight-sharing run (src/evaluators/supernet/search.ts) in <run>/report/:
// ws-accuracy.svg/.png (each strategy step's validation-batch accuracy with the shared weights
// against the step and the child-epochs spent, with the moving baseline), the best cells' diagrams,
// and index.html with the top cells and the cost.
import { searchConfigOf } from '../config/read.js';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatCells } from '../spaces/nasnet/format.js';
import type { CellPair } from '../spaces/nasnet/types.js';
import type { WsStepRecord } from '../evaluators/supernet/search.js';
import { WS_FILES } from '../evaluators/supernet/search.js';
import { writeFileAtomic } from '../store/atomic.js';
import { cellDot, placeholderDot, renderDot } from './diagram.js';
import { escapeHtml, svgDataUri } from './html.js';
import { FONT, renderSpec } from './plots.js';
import { wsAccuracySpec } from './ws-plot.js';

export { wsAccuracyRows, wsAccuracySpec } from './ws-plot.js';
import { svgToPng } from './render.js';

const readLines = <T>(path: string): T[] => {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  // A last line still being written is left for the next report.
  const lines = text.split('\n');
  if (!text.endsWith('\n')) lines.pop();
  return lines.filter((l) => l !== '').map((l) => JSON.parse(l) as T);
};

interface TopLine {
  cells: CellPair;
  key: string;
  accuracy: number;
  params: number;
  rank: number;
}

/** Writes the weight-sharing run's report; returns the paths written. */
export async function writeWsReport(runDir: string, outDir?: string): Promise<{ files: string[] }> {
  const dir = resolve(runDir);
  const out = resolve(outDir ?? join(dir, 'report'));
  mkdirSync(out, { recursive: true });
  const config = searchConfigOf(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
  const steps = readLines<WsStepRecord>(join(dir, WS_FILES.steps));
  const top = readLines<TopLine>(join(dir, WS_FILES.top));
  const last = steps[steps.length - 1];
  const sub = `${dir.split('/').pop()} · ${config?.strategy.name ?? 'unknown strategy'} · weight sharing · ${steps.length} strategy steps${last ? ` · ${last.childEpochs.toFixed(2)} child-epochs` : ''}`;
  const best = top[0];
  const cell = (kind: 'normal' | 'reduction') =>
    best
      ? renderDot(cellDot(best.cells[kind], `best ${kind} cell · shared-weight accuracy ${best.accuracy.toFixed(4)}`, kind))
      : renderDot(placeholderDot(`${kind} cell`, 'the final scoring has not finished yet'));
  const svgs = { 'ws-accuracy': await renderSpec(wsAccuracySpec(steps, sub)), normal: await cell('normal'), reduction: await cell('reduction') };
  const files: string[] = [];
  const write = (name: string, data: string | Uint8Array) => {
    writeFileAtomic(join(out, name), data);
    files.push(join(out, name));
  };
  for (const [name, svg] of Object.entries(svgs)) {
    write(`${name}.svg`, svg);
    write(`${name}.png`, await svgToPng(svg));
  }
  const rows = top
    .map((t) => `<tr><td>${t.rank}</td><td>${t.accuracy.toFixed(4)}</td><td>${t.params}</td><td><code>${escapeHtml(t.key)}</code></td></tr>`)
    .join('\n');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(sub)}</title>
<style>body{font-family:${FONT};max-width:900px;margin:2em auto;padding:0 1em}img{max-width:100%}td,th{padding:2px 10px;text-align:left}pre{background:#f6f6f6;padding:8px}</style></head>
<body><h1>Weight-sharing search</h1><p>${escapeHtml(sub)}</p>
<p>Cost so far: ${last ? `${last.trainImageSteps} training image-steps (${last.childEpochs.toFixed(2)} child-epochs), ${last.scoredImages} images scored` : 'nothing yet'}.</p>
<img alt="shared-weight accuracy per step" src="${svgDataUri(svgs['ws-accuracy'])}">
<h2>Best cells</h2>${best ? `<pre>${escapeHtml(formatCells(best.cells))}</pre>` : '<p>not yet</p>'}
<img alt="normal cell" src="${svgDataUri(svgs.normal)}"><img alt="reduction cell" src="${svgDataUri(svgs.reduction)}">
<h2>Top cells (whole validation split, shared weights)</h2><table><tr><th>rank</th><th>accuracy</th><th>parameters</th><th>key</th></tr>
${rows}</table>
<h2>Settings</h2><pre>${escapeHtml(JSON.stringify(config, null, 2))}</pre></body></html>
`;
  write('index.html', html);
  return { files };
}
