// A run's "in flight and workers" section: the children its checkpoint says are out, each worker as
// the trials tell of it, and, for a search on a Redis queue, the workers' heartbeats.
import type { RunState } from './api.js';
import { ago, append, clear, el } from './dom.js';

export function drawLive(live: HTMLElement, run: RunState): void {
  clear(live);
  const { inflight, workers, heartbeats } = run;
  if (inflight.length === 0 && workers.length === 0 && !heartbeats) return;
  append(live, el('h2', {}, 'In flight and workers'));
  if (inflight.length > 0)
    append(
      live,
      el('p', {}, `${inflight.length} child${inflight.length === 1 ? '' : 'ren'} in flight (from checkpoint.json): `),
      el(
        'ul',
        { class: 'inflight' },
        ...inflight.map((c) =>
          el(
            'li',
            {},
            `child ${c.child}`,
            c.budget !== undefined ? ` · ${c.budget} epochs` : '',
            c.bracket !== undefined && c.rung ? ` · bracket ${c.bracket} rung ${c.rung}` : '',
            c.explored ? ' · explored' : '',
          ),
        ),
      ),
    );
  if (workers.length > 0)
    append(
      live,
      el(
        'table',
        { class: 'workers' },
        el('thead', {}, el('tr', {}, el('th', {}, 'worker'), el('th', {}, 'children finished'), el('th', {}, 'last child finished'))),
        el('tbody', {}, ...workers.map((w) => el('tr', {}, el('td', {}, w.name), el('td', { class: 'num' }, w.trials), el('td', {}, ago(w.last))))),
      ),
    );
  if (heartbeats) {
    append(live, el('p', {}, `Heartbeats on ${heartbeats.url}`, heartbeats.read ? ` (read ${ago(heartbeats.read)})` : '', ':'));
    if (heartbeats.error) append(live, el('p', { class: 'warn' }, heartbeats.error));
    else if (heartbeats.workers.length === 0)
      append(live, el('p', { class: 'muted' }, 'no worker has a live heartbeat (start one with nascent worker --redis URL)'));
    else
      append(
        live,
        el(
          'table',
          { class: 'heartbeats' },
          el('thead', {}, el('tr', {}, ...['worker', 'backend', 'child', 'done', 'busy', 'heartbeat'].map((h) => el('th', {}, h)))),
          el(
            'tbody',
            {},
            ...heartbeats.workers.map((b) =>
              el(
                'tr',
                {},
                el('td', {}, b.name),
                el('td', {}, b.backend),
                el('td', {}, b.job ? `${b.job} · epoch ${b.epoch ?? 0}` : 'waiting'),
                el('td', { class: 'num' }, b.jobsDone),
                el('td', { class: 'num' }, `${(100 * b.busy).toFixed(1)}%`),
                el('td', {}, ago(b.beat)),
              ),
            ),
          ),
        ),
      );
  }
}
