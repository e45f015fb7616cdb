// Several runs on one chart: best accuracy so far against episode and against child training
// epochs spent (the fairer axis when runs train children for different numbers of epochs), plus a
// page listing each run and the settings in which the runs differ.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { writeFileAtomic } from '../store/atomic.js';
import { escapeHtml, svgDataUri } from './html.js';
import { compareRows, compareSpec, renderSpec } from './plots.js';
import { svgToPng } from './render.js';
import { bestTrial, readRun, ReportError, runSeries, strategyOf, type EpisodePoint, type RunData } from './run-data.js';

export interface ComparedRun {
  run: RunData;
  /** The run's name in the legend: its directory name (more of its path if two share one) and strategy. */
  label: string;
  /** Its episodes, as runSeries gives them. */
  points: EpisodePoint[];
}

/** Labels that tell the runs apart: the shortest path suffix that is unique, then the strategy. */
export function runLabels(runs: RunData[]): string[] {
  const parts = runs.map((r) => r.dir.split(sep).filter(Boolean));
  const suffix = (p: string[], n: number) => p.slice(Math.max(0, p.length - n)).join('/');
  let n = 1;
  while (n < Math.max(...parts.map((p) => p.length)) && new Set(parts.map((p) => suffix(p, n))).size < runs.length) n++;
  return runs.map((r, i) => `${suffix(parts[i], n)} (${strategyOf(r)})`);
}

export { compareRows } from './plots.js';

// Settings every search records but that say nothing about how the search was set up.
const NOT_SETTINGS = new Set(['format', 'version', 'created', 'dataDir']);

/** The settings whose values are not the same in every run (absent counts as a value). */
export function differingSettings(runs: RunData[]): string[] {
  const names = new Set(runs.flatMap((r) => Object.keys(r.config)));
  return [...names].filter((k) => !NOT_SETTINGS.has(k) && new Set(runs.map((r) => JSON.stringify(r.config[k]))).size > 1).sort();
}

function compareHtml(runs: ComparedRun[], svg: string): string {
  const differ = differingSettings(runs.map((r) => r.run));
  const head = ['run', 'episodes', 'best accuracy', 'at episode', 'child-epochs spent', ...differ];
  const rows = runs.map(({ run, label, points }) => {
    const best = bestTrial(run.trials);
    const spent = points.length > 0 ? points[points.length - 1].epochsSpent : 0;
    const cells = [
      label,
      String(run.trials.length),
      best ? best.accuracy!.toFixed(4) : '—',
      best ? String(best.episode) : '—',
      String(spent),
      ...differ.map((k) => (run.config[k] === undefined ? '—' : Array.isArray(run.config[k]) ? (run.config[k] as unknown[]).join(',') : String(run.config[k]))),
    ];
    return `<tr>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
  });
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>nascent: ${escapeHtml(runs.map((r) => r.run.name).join(' vs '))}</title>
<style>body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:24px;color:#222} img{max-width:100%;height:auto}
table{border-collapse:collapse;font-size:13px} td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}</style></head>
<body>
<h1>Comparison of ${runs.length} run${runs.length === 1 ? '' : 's'}</h1>
<figure><img id="compare" src="${svgDataUri(svg)}" alt="best accuracy so far against episode and child-epochs"></figure>
<table id="runs">
<thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
${differ.length === 0 && runs.length > 1 ? '<p>The runs have the same settings.</p>' : ''}
</body>
</html>
`;
}

const OUT_EXTENSIONS = ['.svg', '.png', '.html'];

/**
 * What is wrong with `out` as the place for a comparison, before anything is read or made; undefined
 * when nothing is. It is a directory (made when missing), or a file name ending in .svg, .png or
 * .html; a name that looks like another kind of file (`x.jpg`) or an existing file is refused, where
 * it would have become a directory, or an error after the plots were drawn.
 */
export function compareOutProblem(out: string): string | undefined {
  const abs = resolve(out);
  const ext = extname(abs).toLowerCase();
  if (existsSync(abs)) {
    if (statSync(abs).isDirectory() || OUT_EXTENSIONS.includes(ext)) return undefined;
    return `--out ${abs}: is a file, not a directory (compare writes compare.{svg,png,html} into a directory, or files named *.svg, *.png and *.html)`;
  }
  if (/^\.[a-z][a-z0-9]{1,4}$/.test(ext) && !OUT_EXTENSIONS.includes(ext))
    return `--out ${abs}: compare writes an .svg, a .png and an .html; give a directory for compare.{svg,png,html}, or a file name ending in .svg, .png or .html (${join(dirname(abs), `${basename(abs, extname(abs))}.png`)})`;
  return undefined;
}

/**
 * Where the comparison goes: `out` ending in .svg, .png or .html names the files (all three are
 * written, side by side); any other `out` is a directory that receives compare.{svg,png,html}.
 */
export function comparePaths(out: string): { svg: string; png: string; html: string } {
  const abs = resolve(out);
  const ext = extname(abs).toLowerCase();
  const isFile = OUT_EXTENSIONS.includes(ext) && !(existsSync(abs) && statSync(abs).isDirectory());
  const stem = isFile ? join(dirname(abs), basename(abs, extname(abs))) : join(abs, 'compare');
  return { svg: `${stem}.svg`, png: `${stem}.png`, html: `${stem}.html` };
}

export async function writeComparison(runDirs: string[], out = '.'): Promise<{ files: string[] }> {
  if (runDirs.length === 0) throw new ReportError('compare needs at least one run directory');
  const outProblem = compareOutProblem(out);
  if (outProblem !== undefined) throw new ReportError(outProblem);
  const seen = new Map<string, string>();
  for (const d of runDirs) {
    const abs = resolve(d);
    if (seen.has(abs)) throw new ReportError(`${abs} is given twice`);
    seen.set(abs, d);
  }
  const runs = runDirs.map((d) => readRun(d));
  const labels = runLabels(runs);
  const compared = runs.map((run, i) => ({ run, label: labels[i], points: runSeries(run).points }));
  const svg = await renderSpec(compareSpec(compareRows(compared), labels));
  const paths = comparePaths(out);
  mkdirSync(dirname(paths.svg), { recursive: true });
  writeFileAtomic(paths.svg, svg);
  writeFileAtomic(paths.png, await svgToPng(svg));
  writeFileAtomic(paths.html, compareHtml(compared, svg));
  return { files: [paths.svg, paths.png, paths.html] };
}
