// The dashboard page: the runs table (#/), one run (#/run/<id>) or several compared (#/compare/<id>,<id>),
// kept current by one server-sent-events stream (the server pushes run summaries, appended trials and
// changed state; the page never reloads). Everything is drawn as text nodes (dom.ts), never as HTML.
import { compareRows, compareSpec } from '../../report/plots.js';
import { runSeries, strategyOf } from '../../report/series.js';
import { apiUrl, getJson, type RunPayload, type RunSummary } from './api.js';
import { append, clear, duration, el, pct } from './dom.js';
import { drawSpec } from './plot.js';
import { RunView } from './run-view.js';

const app = document.getElementById('app')!;
const connection = el('span', { class: 'connection', role: 'status' }, 'connecting…');
const content = el('div', { class: 'content' });
append(app, el('header', { class: 'top' }, el('a', { href: '#/', class: 'brand' }, 'nascent dashboard'), connection), content);

let runs: RunSummary[] = [];
let current: RunView | undefined;
let runsBody: HTMLTableSectionElement | undefined;
let events: EventSource | undefined;
const chosen = new Set<string>();

function route(): { page: 'runs' } | { page: 'run'; id: string } | { page: 'compare'; ids: string[] } {
  const hash = decodeURIComponent(location.hash.replace(/^#\/?/, ''));
  if (hash.startsWith('run/')) return { page: 'run', id: hash.slice(4) };
  if (hash.startsWith('compare/')) return { page: 'compare', ids: hash.slice(8).split('\n').filter(Boolean) };
  return { page: 'runs' };
}

const runHref = (id: string) => `#/run/${encodeURIComponent(id)}`;

/** One stream per page: for a run page it also carries that run's trials, from the count already loaded. */
function listen(run?: RunView, id?: string, generation?: number): void {
  events?.close();
  const params: Record<string, string | number> = {};
  if (run && id !== undefined) Object.assign(params, { run: id, after: run.trials.length, generation: generation ?? 0 });
  events = new EventSource(apiUrl('/api/events', params));
  events.onopen = () => {
    connection.textContent = 'live';
    connection.className = 'connection live';
  };
  events.onerror = () => {
    connection.textContent = 'reconnecting…';
    connection.className = 'connection lost';
  };
  events.addEventListener('runs', (e) => {
    runs = (JSON.parse((e as MessageEvent).data) as { runs: RunSummary[] }).runs;
    if (runsBody) drawRunRows(runsBody);
    refreshCompare();
  });
  if (!run) return;
  events.addEventListener('trials', (e) => {
    const m = JSON.parse((e as MessageEvent).data) as { from: number; trials: RunPayload['trials'] };
    if (!run.append(m.from, m.trials)) void show();
  });
  events.addEventListener('steps', (e) => {
    const m = JSON.parse((e as MessageEvent).data) as { from: number; steps: NonNullable<RunPayload['steps']> };
    run.appendSteps(m.from, m.steps);
  });
  events.addEventListener('state', (e) => run.setState(JSON.parse((e as MessageEvent).data)));
  events.addEventListener('reset', () => void show());
}

const COLUMNS = ['', 'run', 'status', 'space', 'strategy', 'scheduler', 'best accuracy', 'trials', 'child-epochs', 'wall time', 'backend'];

function drawRunRows(body: HTMLTableSectionElement): void {
  clear(body);
  for (const r of runs) {
    const box = el('input', { type: 'checkbox', 'aria-label': `compare ${r.name}`, checked: chosen.has(r.id) });
    box.addEventListener('change', () => (box.checked ? chosen.add(r.id) : chosen.delete(r.id)));
    append(
      body,
      el(
        'tr',
        { 'data-run': r.id },
        el('td', {}, box),
        el(
          'td',
          {},
          el('a', { href: runHref(r.id) }, r.name),
          r.problems.length > 0 ? el('span', { class: 'warn', title: r.problems.join('\n') }, ` ⚠ ${r.problems.length}`) : null,
        ),
        el('td', {}, el('span', { class: `badge ${r.status}` }, r.status)),
        el('td', {}, r.space),
        el('td', {}, r.strategy),
        el('td', {}, r.scheduler),
        el('td', { class: 'num' }, pct(r.best)),
        el(
          'td',
          { class: 'num' },
          r.planned !== null ? `${r.trials} / ${r.planned}` : r.evaluator === 'weight-sharing' ? `${r.trials} steps` : String(r.trials),
        ),
        el('td', { class: 'num' }, r.childEpochs.toFixed(r.evaluator === 'weight-sharing' ? 2 : 0)),
        el('td', { class: 'num' }, duration(r.wallSeconds)),
        el('td', {}, r.backend),
      ),
    );
  }
  if (runs.length === 0)
    append(body, el('tr', {}, el('td', { colspan: COLUMNS.length }, 'No runs yet: start one with nascent search … --out <one of these directories>/<name>.')));
}

async function showRuns(): Promise<void> {
  const answer = await getJson<{ runs: RunSummary[]; roots: string[] }>('/api/runs');
  runs = answer.runs;
  runsBody = el('tbody');
  const compare = el('button', { type: 'button' }, 'Compare the selected runs');
  compare.addEventListener('click', () => {
    if (chosen.size > 0) location.hash = `#/compare/${encodeURIComponent([...chosen].join('\n'))}`;
  });
  drawRunRows(runsBody);
  clear(content);
  append(
    content,
    el('h1', {}, 'Runs'),
    el('p', { class: 'muted' }, `under ${answer.roots.join(', ')} · updated as trials land`),
    el('table', { class: 'runs' }, el('thead', {}, el('tr', {}, ...COLUMNS.map((c) => el('th', { scope: 'col' }, c)))), runsBody),
    el('p', {}, compare),
  );
  document.body.dataset.ready = 'runs';
}

async function showRun(id: string): Promise<void> {
  const payload = await getJson<RunPayload>('/api/run', { run: id });
  performance.mark('run-loaded');
  current = new RunView(payload);
  clear(content);
  append(content, current.element);
  listen(current, id, payload.generation);
}

/** The compared runs' trial counts when last drawn, and the drawing of them (redrawn as they grow). */
let comparing: { ids: string[]; counts: string; plot: HTMLElement } | undefined;

async function drawCompare(ids: string[], plot: HTMLElement): Promise<void> {
  const loaded = await Promise.all(ids.map((id) => getJson<RunPayload>('/api/run', { run: id })));
  const compared = loaded.map((r) => ({ label: `${r.name} (${strategyOf(r)})`, points: runSeries(r).points }));
  await drawSpec(
    plot,
    compareSpec(
      compareRows(compared),
      compared.map((c) => c.label),
    ),
  );
}

const countsOf = (ids: string[]) => ids.map((id) => runs.find((r) => r.id === id)?.trials ?? 0).join(',');

async function showCompare(ids: string[]): Promise<void> {
  const plot = el('div', { class: 'plot' });
  clear(content);
  append(
    content,
    el('h1', {}, `Comparison of ${ids.length} run${ids.length === 1 ? '' : 's'}`),
    el(
      'p',
      { class: 'caption' },
      'Best validation accuracy so far, against episode and against the child training epochs spent (the fair axis when runs train children for different budgets). Updated as the runs grow.',
    ),
    plot,
  );
  await drawCompare(ids, plot);
  comparing = { ids, counts: countsOf(ids), plot };
  document.body.dataset.ready = 'compare';
}

/** On a new runs table: the comparison drawn again when one of its runs has more trials. */
function refreshCompare(): void {
  const c = comparing;
  if (!c || countsOf(c.ids) === c.counts) return;
  c.counts = countsOf(c.ids);
  void drawCompare(c.ids, c.plot);
}

async function show(): Promise<void> {
  const r = route();
  runsBody = undefined;
  current = undefined;
  comparing = undefined;
  delete document.body.dataset.ready;
  try {
    if (r.page === 'run') await showRun(r.id);
    else {
      listen();
      await (r.page === 'compare' ? showCompare(r.ids) : showRuns());
    }
  } catch (err) {
    clear(content);
    append(content, el('p', { class: 'warn', role: 'alert' }, (err as Error).message), el('p', {}, el('a', { href: '#/' }, 'all runs')));
    document.body.dataset.ready = 'error';
  }
}

window.addEventListener('hashchange', () => void show());
void show();
