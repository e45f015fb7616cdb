// The server's API as the page calls it. Where the dashboard needs its token (bound off loopback),
// the page was opened with ?token=… and every request carries it; actions always send it, as a header.
import type { SearchConfig } from '../../config/schema.js';
import type { TrialSummary } from '../../report/series.js';
import type { DecisionRow, DecisionSource, ProxyRow } from '../../report/trial-plots.js';
import type { WsStepPoint } from '../../report/ws-plot.js';
import type { WorkerBeat } from '../../workers/worker.js';
import type { RunSummary } from '../watch.js';

export type { RunSummary };

export interface InFlight {
  child: number;
  budget?: number;
  rung?: number;
  bracket?: number;
  explored?: boolean;
}

export interface RunState {
  summary: RunSummary;
  /** The workers' heartbeats on the run's Redis queue, while it runs. */
  heartbeats?: { url: string; workers: WorkerBeat[]; read?: string; error?: string };
  inflight: InFlight[];
  workers: Array<{ name: string; trials: number; last: string }>;
  extras?: { decisions: { rows: DecisionRow[]; source: DecisionSource }; proxies?: { rows: ProxyRow[]; proxy: string } };
}

export interface RunPayload extends RunState {
  id: string;
  name: string;
  config: Record<string, unknown>;
  settings?: SearchConfig;
  generation: number;
  trials: TrialSummary[];
  steps?: WsStepPoint[];
}

const queryToken = new URLSearchParams(location.search).get('token');
export const pageToken = document.querySelector<HTMLMetaElement>('meta[name="nascent-token"]')?.content ?? '';
export const actionsAllowed = document.querySelector<HTMLMetaElement>('meta[name="nascent-actions"]')?.content === 'allowed';

/** `path` with its query, plus the token when the page was opened with one. */
export function apiUrl(path: string, params: Record<string, string | number> = {}): string {
  const q = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
  if (queryToken) q.set('token', queryToken);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export async function getJson<T>(path: string, params: Record<string, string | number> = {}): Promise<T> {
  const res = await fetch(apiUrl(path, params));
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

export async function postAction(path: string, params: Record<string, string>): Promise<{ message?: string; error?: string }> {
  const res = await fetch(apiUrl(path, params), { method: 'POST', headers: { 'X-Nascent-Token': pageToken } });
  return (await res.json()) as { message?: string; error?: string };
}
