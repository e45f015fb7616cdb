// One run's page: what it is and how far it got, what is missing, the children in flight and the
// workers, every view of views.ts (the report's plots, drawn here in the browser), the trial table,
// and an opened trial's curve and cells. Trials pushed by the server are appended and the page redrawn,
// at most as often as drawing it allows, so a run growing by the second stays responsive.
import { epochCurveSpec } from '../../report/trial-plots.js';
import { runViews, type View } from '../../report/views.js';
import type { TrialSummary } from '../../report/series.js';
import { actionsAllowed, apiUrl, postAction, type RunPayload, type RunState } from './api.js';
import { append, clear, duration, el, pct } from './dom.js';
import { drawLive } from './live-panel.js';
import { drawSpec } from './plot.js';
import { statusOf, TrialTable } from './trial-table.js';

/** The evaluator as a person says it. */
const EVALUATORS: Record<string, string> = { child: 'trained children', table: 'table lookups', 'weight-sharing': 'weight sharing' };

/** Up to this many trials every view is drawn (and redrawn) whether in sight or not. */
const EAGER_TRIALS = 5000;

export class RunView {
  readonly element: HTMLElement;
  private readonly header = el('div', { class: 'run-header' });
  private readonly live = el('section', { class: 'live', 'aria-label': 'in flight and workers' });
  private readonly plots = el('div', { class: 'views' });
  private readonly detail = el('section', { class: 'detail', 'aria-live': 'polite', 'aria-label': 'trial' });
  private readonly table: TrialTable;
  private readonly panels = new Map<
    string,
    { box: HTMLElement; heading: HTMLElement; caption: HTMLElement; plot: HTMLElement; visible: boolean; stale: boolean }
  >();
  private observer: IntersectionObserver;
  private drawing = false;
  private pending = false;
  private lastDrawMs = 0;
  private lastDrawAt = 0;
  private views: View[] = [];

  constructor(private run: RunPayload) {
    this.table = new TrialTable(run.id, (t) => this.open(t));
    this.observer = new IntersectionObserver((entries) => {
      for (const e of entries) {
        const panel = [...this.panels.values()].find((p) => p.box === e.target);
        if (!panel) continue;
        panel.visible = e.isIntersecting || this.run.trials.length <= EAGER_TRIALS;
        if (panel.visible && panel.stale) this.schedule();
      }
    });
    this.element = el(
      'main',
      { class: 'run', 'data-run': run.id },
      this.header,
      this.live,
      this.plots,
      el('h2', {}, 'Trials'),
      // A weight-sharing search trains one shared network, not children: it has no trials to list.
      run.steps
        ? el(
            'p',
            { class: 'muted' },
            'A weight-sharing search trains one shared network instead of children, so it has no trials: its strategy steps are plotted above, and ws-steps.jsonl, final-samples.jsonl and top-cells.jsonl hold the details; best-cells.json the answer.',
          )
        : this.table.element,
      this.detail,
    );
    this.update(run, true);
  }

  /** The run's trials (what the server has pushed so far). */
  get trials(): readonly TrialSummary[] {
    return this.run.trials;
  }

  /** Appends trials pushed by the server; false when they do not follow on (the page must load the run again). */
  append(from: number, trials: TrialSummary[]): boolean {
    if (from !== this.run.trials.length) return from < this.run.trials.length && from + trials.length <= this.run.trials.length;
    this.run.trials.push(...trials);
    this.table.setTrials(this.run.trials);
    this.element.dataset.trials = String(this.run.trials.length);
    this.markStale();
    return true;
  }

  appendSteps(from: number, steps: NonNullable<RunPayload['steps']>): void {
    if (!this.run.steps || from !== this.run.steps.length) return;
    this.run.steps.push(...steps);
    this.element.dataset.trials = String(this.run.steps.length);
    this.markStale();
  }

  setState(state: RunState): void {
    const extrasChanged = JSON.stringify(state.extras) !== JSON.stringify(this.run.extras);
    this.run = { ...this.run, ...state };
    this.drawHeader();
    this.drawLive();
    // New decision shares or proxy rows: the views that show them are redrawn with the rest.
    if (extrasChanged) this.markStale();
  }

  private update(run: RunPayload, first: boolean): void {
    this.run = run;
    this.drawHeader();
    this.drawLive();
    this.table.setTrials(run.trials);
    this.element.dataset.trials = String(run.steps ? run.steps.length : run.trials.length);
    if (first) this.markStale();
  }

  private viewInput() {
    const r = this.run;
    return { name: r.name, config: r.config, settings: r.settings, trials: r.trials, ...(r.extras ?? {}), ...(r.steps ? { wsSteps: r.steps } : {}) };
  }

  private markStale(): void {
    for (const p of this.panels.values()) p.stale = true;
    this.schedule();
  }

  /**
   * Redraws the visible stale views, after a pause of 1.5× the last drawing's time (0.2 s to 1 s): a
   * run growing fast is redrawn about every second, and the page keeps at least 40% of its time for
   * the person using it.
   */
  private schedule(): void {
    if (this.drawing) {
      this.pending = true;
      return;
    }
    const wait = Math.max(0, this.lastDrawAt + Math.min(1000, Math.max(200, 1.5 * this.lastDrawMs)) - performance.now());
    this.drawing = true;
    if (this.panels.size === 0)
      // The first drawing waits for a frame: the header and the trial table are on screen before the plots are drawn.
      requestAnimationFrame(() => {
        performance.mark('table-shown'); // bench/dashboard.ts: the page usable, before its plots
        setTimeout(() => void this.draw(), 0);
      });
    else setTimeout(() => void this.draw(), wait);
  }

  private async draw(): Promise<void> {
    const started = performance.now();
    try {
      this.views = runViews(this.viewInput(), `${this.run.name} · ${this.run.summary.strategy}`);
      performance.mark('views-built');
      this.layoutPanels();
      for (const v of this.views) {
        const panel = this.panels.get(v.id)!;
        if (!panel.stale || !panel.visible) continue;
        panel.stale = false;
        try {
          await drawSpec(panel.plot, v.spec);
          performance.mark(`drawn-${v.id}`);
          panel.box.dataset.drawn = String(this.run.trials.length);
        } catch (err) {
          panel.plot.replaceChildren(el('p', { class: 'warn' }, `cannot draw this view: ${(err as Error).message}`));
        }
      }
      this.element.dataset.drawn = String(this.run.steps ? this.run.steps.length : this.run.trials.length);
      if (document.body.dataset.ready !== 'run') performance.mark('ready'); // bench/dashboard.ts times the open by it
      document.body.dataset.ready = 'run';
    } finally {
      this.lastDrawMs = performance.now() - started;
      this.lastDrawAt = performance.now();
      this.drawing = false;
      if (this.pending) {
        this.pending = false;
        this.schedule();
      }
    }
  }

  /** One panel per view, in the catalogue's order; a view that appears later (a first pruned child) gets its panel then. */
  private layoutPanels(): void {
    for (const v of this.views) {
      const shown = this.panels.get(v.id);
      if (shown) {
        // A view's words can change with the run (the decisions view once the controller's checkpoint is read).
        if (shown.heading.textContent !== v.heading) shown.heading.textContent = v.heading;
        if (shown.caption.textContent !== v.caption) shown.caption.textContent = v.caption;
        continue;
      }
      const plot = el('div', { class: 'plot', role: 'img', 'aria-label': v.heading });
      const heading = el('h2', {}, v.heading);
      const caption = el('p', { class: 'caption' }, v.caption);
      const box = el('section', { class: 'view', id: `view-${v.id}`, 'data-view': v.id }, heading, caption, plot);
      // A run of a few thousand trials draws every view at once; a bigger one draws the views in
      // sight first and the others as they are scrolled to (the observer says which).
      this.panels.set(v.id, { box, heading, caption, plot, visible: this.panels.size === 0 || this.run.trials.length <= EAGER_TRIALS, stale: true });
      append(this.plots, box);
      this.observer.observe(box);
    }
  }

  private drawHeader(): void {
    const s = this.run.summary;
    clear(this.header);
    const stop = actionsAllowed && s.status === 'running' ? el('button', { type: 'button', class: 'stop' }, 'Stop search gracefully') : undefined;
    stop?.addEventListener('click', async () => {
      if (!confirm(`Stop ${s.name}? The search finishes or hands back the child in hand, then exits; it can be resumed.`)) return;
      const answer = await postAction('/api/stop', { run: this.run.id });
      message.textContent = answer.message ?? answer.error ?? '';
    });
    const message = el('span', { class: 'muted', role: 'status' });
    append(
      this.header,
      el('h1', {}, s.name, ' ', el('span', { class: `badge ${s.status}` }, s.status === 'running' ? `running (pid ${s.pid})` : s.status)),
      el(
        'p',
        { class: 'facts' },
        `${s.space} · ${s.strategy} · ${EVALUATORS[s.evaluator] ?? s.evaluator} · ${s.scheduler === 'full' ? 'full fidelity' : s.scheduler} · backend ${s.backend} · `,
        el('b', {}, `best ${pct(s.best)}`),
        ` · ${s.trials}${s.planned !== null ? ` of ${s.planned}` : ''} ${this.run.steps ? 'strategy steps' : 'trials'} · ${s.childEpochs.toFixed(this.run.steps ? 2 : 0)} child-epochs · ${duration(s.wallSeconds)} wall time`,
      ),
      el('p', { class: 'muted' }, s.dir),
      el('p', { class: 'actions' }, el('a', { href: apiUrl('/api/best-cells', { run: this.run.id }), download: true }, 'Download best cells'), stop, message),
    );
    if (s.status === 'stopped') append(this.header, el('p', { class: 'note' }, `Stopped before its end: resume with nascent search --resume ${s.dir}`));
    if (s.problems.length > 0) append(this.header, el('ul', { class: 'problems', 'aria-label': 'problems' }, ...s.problems.map((p) => el('li', {}, p))));
  }

  private drawLive(): void {
    drawLive(this.live, this.run);
  }

  /** Shows one trial: its status, its per-epoch curve, its cells as graphs, and its record to download. */
  private async open(t: TrialSummary): Promise<void> {
    clear(this.detail);
    const curve = el('div', { class: 'plot' });
    const cell = (kind: string) =>
      el('img', { src: apiUrl('/api/cell', { run: this.run.id, episode: t.episode, kind }), alt: `${kind} cell of episode ${t.episode}`, class: 'cell' });
    const nb201 = this.run.settings?.problem.space === 'nas-bench-201';
    append(
      this.detail,
      el('h2', {}, `Episode ${t.episode}`),
      el(
        'p',
        {},
        `${statusOf(t)} · accuracy ${pct(t.accuracy)} · reward ${t.reward.toFixed(4)} (baseline ${t.baseline.toFixed(4)}) · ${t.params.toLocaleString('en-US')} params · ${t.seconds.toFixed(1)} s`,
        t.failed ? ` · failed: ${t.failed}` : '',
        ' · ',
        el('a', { href: apiUrl('/api/trial', { run: this.run.id, episode: t.episode, download: 1 }), download: true }, 'Download this trial’s record'),
      ),
      curve,
      el('div', { class: 'cells' }, cell('normal'), nb201 ? null : cell('reduction')),
    );
    await drawSpec(curve, epochCurveSpec(t));
    this.detail.dataset.episode = String(t.episode);
  }
}
