// The trial table: every trial of a run, sortable by any column, filtered by text and status, and
// drawn a screenful at a time (a run of 20,000 trials keeps ~40 rows in the DOM). Keyboard: the table
// takes focus with Tab; ↑/↓, Page Up/Down, Home/End move the selected row; Enter opens it.
import type { TrialSummary } from '../../report/series.js';
import { append, clear, el, pct } from './dom.js';

const ROW_HEIGHT = 26;
const VISIBLE_ROWS = 18;

export function statusOf(t: TrialSummary): string {
  if (t.rejected) return 'rejected';
  if (t.accuracy === null) return 'failed';
  if (t.pruned) return 'pruned';
  if (t.cached) return 'cached';
  if (t.inheritedFrom !== undefined) return 'continued';
  return t.explored ? 'explored' : 'proposed';
}

interface Column {
  id: string;
  /** Shown only when some trial has it (a run without Hyperband has no rungs, one without workers no worker). */
  used?: (t: TrialSummary) => boolean;
  title: string;
  value: (t: TrialSummary) => number | string;
  text: (t: TrialSummary) => string;
  numeric?: boolean;
}

const COLUMNS: Column[] = [
  { id: 'episode', title: 'episode', value: (t) => t.episode, text: (t) => String(t.episode), numeric: true },
  { id: 'accuracy', title: 'accuracy', value: (t) => t.accuracy ?? -1, text: (t) => pct(t.accuracy), numeric: true },
  { id: 'reward', title: 'reward', value: (t) => t.reward, text: (t) => t.reward.toFixed(4), numeric: true },
  { id: 'params', title: 'parameters', value: (t) => t.params, text: (t) => t.params.toLocaleString('en-US'), numeric: true },
  {
    id: 'epochs',
    title: 'epochs trained',
    value: (t) => t.epochsTrained ?? t.valAccuracies.length,
    text: (t) => String(t.epochsTrained ?? t.valAccuracies.length),
    numeric: true,
  },
  {
    id: 'rung',
    title: 'bracket/rung',
    used: (t) => (t.rung ?? 0) > 0 || (t.bracket ?? 0) > 0,
    value: (t) => (t.bracket ?? 0) * 100 + (t.rung ?? 0),
    text: (t) => (t.bracket !== undefined && (t.bracket > 0 || (t.rung ?? 0) > 0) ? `${t.bracket}/${t.rung ?? 0}` : ''),
    numeric: true,
  },
  { id: 'status', title: 'status', value: statusOf, text: statusOf },
  { id: 'seconds', title: 'train time (s)', value: (t) => t.seconds, text: (t) => t.seconds.toFixed(1), numeric: true },
  { id: 'worker', title: 'worker', value: (t) => t.worker ?? '', text: (t) => t.worker ?? '', used: (t) => t.worker !== undefined },
  { id: 'key', title: 'key', value: (t) => t.key, text: (t) => t.key },
];

export class TrialTable {
  readonly element: HTMLElement;
  private trials: readonly TrialSummary[] = [];
  private rows: TrialSummary[] = [];
  private columns: Column[] = COLUMNS.filter((c) => !c.used);
  private sortBy = 'episode';
  private descending = false;
  private filterText = '';
  private filterStatus = '';
  private selected = -1;
  private readonly scroller: HTMLDivElement;
  private readonly body: HTMLTableSectionElement;
  private readonly headRow: HTMLTableRowElement;
  private readonly count: HTMLSpanElement;

  constructor(
    private readonly runId: string,
    private readonly onOpen: (t: TrialSummary) => void,
  ) {
    const search = el('input', { type: 'search', placeholder: 'filter: episode, key, worker, status', 'aria-label': 'filter trials', class: 'filter' });
    search.addEventListener('input', () => {
      this.filterText = search.value.trim().toLowerCase();
      this.refresh(true);
    });
    const status = el('select', { 'aria-label': 'trial status' }, el('option', { value: '' }, 'every status'));
    for (const s of ['proposed', 'explored', 'failed', 'rejected', 'pruned', 'cached', 'continued']) append(status, el('option', { value: s }, s));
    status.addEventListener('change', () => {
      this.filterStatus = status.value;
      this.refresh(true);
    });
    this.count = el('span', { class: 'muted' });
    this.headRow = el('tr', { role: 'row' });
    this.body = el('tbody');
    const table = el('table', { class: 'trials', role: 'grid', 'aria-label': 'trials' }, el('thead', {}, this.headRow), this.body);
    this.scroller = el(
      'div',
      { class: 'trial-scroller', tabindex: 0, role: 'presentation', style: `max-height:${ROW_HEIGHT * (VISIBLE_ROWS + 1) + 4}px` },
      table,
    );
    this.scroller.addEventListener('scroll', () => this.drawRows());
    this.scroller.addEventListener('keydown', (e) => this.key(e));
    this.element = el(
      'div',
      { class: 'trial-table' },
      el('div', { class: 'toolbar' }, search, status, this.count, el('span', { class: 'muted' }, ' · ↑/↓ to move, Enter to open a trial')),
      this.scroller,
    );
    this.drawHead();
  }

  /** Shows `trials` (the run's, as they grow); keeps the sort, filter and selection. */
  setTrials(trials: readonly TrialSummary[]): void {
    this.trials = trials;
    const columns = COLUMNS.filter((c) => !c.used || trials.some(c.used));
    if (columns.length !== this.columns.length) {
      this.columns = columns;
      this.drawHead();
    }
    this.refresh(false);
  }

  private drawHead(): void {
    clear(this.headRow);
    for (const c of this.columns) {
      const sorted = this.sortBy === c.id;
      const button = el('button', { type: 'button', class: 'sort' }, c.title, sorted ? (this.descending ? ' ▼' : ' ▲') : '');
      button.addEventListener('click', () => {
        this.descending = sorted ? !this.descending : c.numeric === true && c.id !== 'episode';
        this.sortBy = c.id;
        this.drawHead();
        this.refresh(true);
      });
      append(
        this.headRow,
        el('th', { role: 'columnheader', 'aria-sort': sorted ? (this.descending ? 'descending' : 'ascending') : 'none', scope: 'col' }, button),
      );
    }
  }

  private refresh(resetSelection: boolean): void {
    const keep = this.rows[this.selected]?.episode;
    const column = this.columns.find((c) => c.id === this.sortBy) ?? this.columns[0];
    const text = this.filterText;
    this.rows = this.trials.filter(
      (t) =>
        (!this.filterStatus || statusOf(t) === this.filterStatus) &&
        (!text || String(t.episode) === text || t.key.includes(text) || (t.worker ?? '').toLowerCase().includes(text) || statusOf(t).includes(text)),
    );
    const sign = this.descending ? -1 : 1;
    this.rows.sort((a, b) => {
      const x = column.value(a);
      const y = column.value(b);
      return (x < y ? -1 : x > y ? 1 : 0) * sign || a.episode - b.episode;
    });
    this.selected = resetSelection || keep === undefined ? -1 : this.rows.findIndex((t) => t.episode === keep);
    this.count.textContent = `${this.rows.length.toLocaleString('en-US')} of ${this.trials.length.toLocaleString('en-US')} trials`;
    this.drawRows();
  }

  private drawRows(): void {
    const first = Math.max(0, Math.floor(this.scroller.scrollTop / ROW_HEIGHT) - 5);
    const last = Math.min(this.rows.length, first + VISIBLE_ROWS + 10);
    clear(this.body);
    const spacer = (rows: number) => el('tr', { 'aria-hidden': 'true', class: 'spacer', style: `height:${rows * ROW_HEIGHT}px` });
    if (first > 0) append(this.body, spacer(first));
    for (let i = first; i < last; i++) {
      const t = this.rows[i];
      const row = el(
        'tr',
        {
          role: 'row',
          id: `trial-${this.runId.replace(/[^A-Za-z0-9_-]/g, '_')}-${t.episode}`,
          'data-episode': t.episode,
          'aria-selected': i === this.selected ? 'true' : 'false',
          class: `status-${statusOf(t)}`,
        },
        ...this.columns.map((c) => el('td', { role: 'gridcell', class: c.numeric ? 'num' : undefined }, c.text(t))),
      );
      row.addEventListener('click', () => {
        this.select(i);
        this.onOpen(t);
      });
      append(this.body, row);
    }
    if (last < this.rows.length) append(this.body, spacer(this.rows.length - last));
    const active = this.rows[this.selected];
    if (active) this.scroller.setAttribute('aria-activedescendant', `trial-${this.runId.replace(/[^A-Za-z0-9_-]/g, '_')}-${active.episode}`);
    else this.scroller.removeAttribute('aria-activedescendant');
  }

  private select(index: number): void {
    this.selected = Math.max(0, Math.min(this.rows.length - 1, index));
    // Keep the selected row in view: under the sticky header, above the bottom edge.
    const top = (this.selected + 1) * ROW_HEIGHT;
    if (top - ROW_HEIGHT < this.scroller.scrollTop) this.scroller.scrollTop = top - ROW_HEIGHT;
    else if (top + ROW_HEIGHT > this.scroller.scrollTop + this.scroller.clientHeight) this.scroller.scrollTop = top + ROW_HEIGHT - this.scroller.clientHeight;
    this.drawRows();
  }

  /** The selected trial, if any. */
  current(): TrialSummary | undefined {
    return this.rows[this.selected];
  }

  private key(e: KeyboardEvent): void {
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: VISIBLE_ROWS, PageUp: -VISIBLE_ROWS };
    if (this.rows.length === 0) return;
    if (e.key in moves) this.select(this.selected < 0 ? 0 : this.selected + moves[e.key]);
    else if (e.key === 'Home') this.select(0);
    else if (e.key === 'End') this.select(this.rows.length - 1);
    else if (e.key === 'Enter' && this.current()) this.onOpen(this.current()!);
    else return;
    e.preventDefault();
  }
}
