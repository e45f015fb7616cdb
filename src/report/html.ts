// index.html: one self-contained page (images inlined as data: URIs, CSS inline, no script, no
// external reference) so it can be opened from disk, mailed or archived as a single file.
import type { TrialRecord } from '../store/records.js';
import { plannedEpisodesOf, runSpaceOf, type Architecture, type RunData } from './run-data.js';

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export function svgDataUri(svg: string): string {
  return `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
}

export interface DrawnView {
  id: string;
  heading: string;
  caption: string;
  svg: string;
}

export interface ReportPage {
  run: RunData;
  best?: TrialRecord;
  top: Architecture[];
  failed: number;
  /** Proposals whose result was reused from an earlier trial of the same key and budget. */
  cached?: number;
  /** Children stopped early by the pruner. */
  pruned?: number;
  /** Proposals the proxy rung turned down untrained. */
  rejected?: number;
  svgs: { normal: string; reduction: string };
  /** The run's views (views.ts) drawn as SVG, in reading order. */
  views: DrawnView[];
  generated: Date;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

function settingText(v: unknown): string {
  if (Array.isArray(v)) return v.map(settingText).join(', ');
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function statusLine(p: ReportPage): string {
  const { run } = p;
  const planned = plannedEpisodesOf(run);
  const done = run.trials.length;
  const of = planned !== undefined ? ` of ${planned}` : '';
  const state = run.inProgress
    ? 'search in progress (this page reloads every 30 s)'
    : planned !== undefined && done < planned
      ? 'search not running (stopped early)'
      : 'search finished';
  const parts = [`${done}${of} episode${done === 1 ? '' : 's'} recorded`, state];
  if (p.cached)
    parts.push(
      `${p.cached} proposal${p.cached === 1 ? '' : 's'} cached (an architecture already trained at that budget: its result reused, not trained again)`,
    );
  if (p.pruned) parts.push(`${p.pruned} child${p.pruned === 1 ? '' : 'ren'} pruned`);
  if (p.rejected) parts.push(`${p.rejected} proposal${p.rejected === 1 ? '' : 's'} rejected untrained by the proxy rung (not plotted)`);
  if (p.failed > 0) parts.push(`${p.failed} failed child${p.failed === 1 ? '' : 'ren'} (accuracy recorded as null, plotted at 0)`);
  return parts.join(' · ');
}

/** NASNet cells as block lines; a NAS-Bench-201 cell (recorded as {arch}) as the benchmark's string. */
function describeCells(run: RunData, cells: unknown): string {
  const space = runSpaceOf(run);
  return space.describe(space.validate(cells)).join('\n');
}

function bestSection(p: ReportPage): string {
  if (!p.best) {
    const why = p.run.trials.length === 0 ? 'No episode has finished yet.' : 'No child has trained successfully yet: every recorded child failed.';
    return `<p class="note">${why}</p>`;
  }
  const b = p.best;
  return [
    `<p>Best child: <b>${pct(b.accuracy!)}</b> validation accuracy at episode ${b.episode}, ${b.params.toLocaleString('en-US')} parameters, key <code>${escapeHtml(b.key)}</code>.</p>`,
    `<pre>${escapeHtml(describeCells(p.run, b.cells))}</pre>`,
  ].join('\n');
}

function topTable(run: RunData, top: Architecture[]): string {
  if (top.length === 0) return '<p class="note">No architecture has finished yet.</p>';
  const rows = top.map(
    (a, i) =>
      `<tr><td>${i + 1}</td><td>${pct(a.best.accuracy!)}</td><td>${a.best.params.toLocaleString('en-US')}</td><td>${a.best.episode}</td>` +
      `<td>${a.trained}</td><td><code>${escapeHtml(a.key)}</code></td>` +
      `<td><details><summary>cells</summary><pre>${escapeHtml(describeCells(run, a.best.cells))}</pre></details></td></tr>`,
  );
  return [
    '<table id="top-architectures">',
    '<thead><tr><th>#</th><th>accuracy</th><th>params</th><th>episode</th><th>times trained</th><th>key</th><th></th></tr></thead>',
    `<tbody>\n${rows.join('\n')}\n</tbody>`,
    '</table>',
  ].join('\n');
}

/** A config's settings as rows: nested sections (a version-2 config's problem, strategy, ...) by dotted path. */
function settingRows(value: Record<string, unknown>, prefix = ''): Array<[string, unknown]> {
  return Object.entries(value).flatMap(
    ([k, v]): Array<[string, unknown]> =>
      v !== null && typeof v === 'object' && !Array.isArray(v) ? settingRows(v as Record<string, unknown>, `${prefix}${k}.`) : [[`${prefix}${k}`, v]],
  );
}

function settingsTable(config: Record<string, unknown>): string {
  const rows = settingRows(config).map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(settingText(v))}</td></tr>`);
  return `<table id="settings">\n${rows.join('\n')}\n</table>`;
}

function figure(svg: string, alt: string, id: string): string {
  return `<figure><img id="${id}" src="${svgDataUri(svg)}" alt="${escapeHtml(alt)}"></figure>`;
}

function viewSection(v: DrawnView): string {
  return `<h2>${escapeHtml(v.heading)}</h2>\n<p class="status">${escapeHtml(v.caption)}</p>\n${figure(v.svg, v.heading, v.id)}`;
}

/** What happened to a trial, in a word or two. */
export function trialStatus(t: Pick<TrialRecord, 'accuracy' | 'pruned' | 'cached' | 'explored' | 'inheritedFrom' | 'rejected'>): string {
  if (t.rejected) return 'rejected by the proxy rung (untrained)';
  if (t.accuracy === null) return 'failed';
  if (t.pruned) return `pruned after epoch ${t.pruned.epoch}`;
  if (t.cached) return 'cached';
  if (t.inheritedFrom !== undefined) return `continued from ${t.inheritedFrom}`;
  return t.explored ? 'explored' : 'proposed';
}

/** Every trial in episode order: the report's copy of the dashboard's trial table (no script: a page to share). */
function trialTable(trials: readonly TrialRecord[]): string {
  if (trials.length === 0) return '<p class="note">No episode has finished yet.</p>';
  const rows = [...trials]
    .sort((a, b) => a.episode - b.episode)
    .map((t) => {
      const cells = [
        String(t.episode),
        t.accuracy === null ? '—' : pct(t.accuracy),
        t.reward.toFixed(4),
        t.baseline.toFixed(4),
        t.params.toLocaleString('en-US'),
        String(t.epochsTrained ?? t.valAccuracies.length),
        t.bracket !== undefined && (t.rung ?? 0) + t.bracket > 0 ? `${t.bracket}/${t.rung ?? 0}` : '',
        trialStatus(t),
        t.seconds.toFixed(1),
        t.worker ?? '',
        t.key,
      ];
      return `<tr>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
    });
  const head = ['episode', 'accuracy', 'reward', 'baseline', 'params', 'epochs trained', 'bracket/rung', 'status', 'seconds', 'worker', 'key'];
  return `<table id="trials">\n<thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table>`;
}

const STYLE = `
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1100px; padding: 0 16px; color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; }
.status { color: #555; } .note { color: #8a4b00; }
figure { margin: 8px 0; } img { max-width: 100%; height: auto; }
.cells { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; } .cells figure { flex: 1 1 400px; }
table { border-collapse: collapse; font-size: 13px; } td, th { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
#settings th { font-weight: normal; color: #555; } pre { font-size: 12px; background: #f6f6f6; padding: 6px; margin: 4px 0; }
details summary { cursor: pointer; color: #1f77b4; }
`;

export function reportHtml(p: ReportPage): string {
  const title = `nascent run ${p.run.name}`;
  const notes: string[] = [];
  if (p.run.tornLine) notes.push('<p class="note">The last line of trials.jsonl is incomplete (being written, or cut short by a crash); it is not shown.</p>');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
${p.run.inProgress ? '<meta http-equiv="refresh" content="30">\n' : ''}<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="status">${escapeHtml(statusLine(p))}</p>
<p class="status">${escapeHtml(p.run.dir)} · report written ${escapeHtml(p.generated.toISOString())}</p>
${notes.join('\n')}
<h2>Best cells</h2>
${bestSection(p)}
<div class="cells">
${figure(p.svgs.normal, 'normal cell diagram', 'normal')}
${figure(p.svgs.reduction, 'reduction cell diagram', 'reduction')}
</div>
${p.views.map(viewSection).join('\n')}
<h2>Top distinct architectures</h2>
<p class="status">Up to 10, by best accuracy; an architecture trained again under another block order counts once (same key).</p>
${topTable(p.run, p.top)}
<h2>Every trial</h2>
${trialTable(p.run.trials)}
<h2>Settings</h2>
${settingsTable(p.run.config)}
</body>
</html>
`;
}
