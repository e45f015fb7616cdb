// The Pareto front of validation accuracy (higher is better) against a cost (lower is better):
// the trials no other trial beats on both. MnasNet's reward picks one point of it; the front shows
// the whole trade-off, in the report and in best-cells.json.
import type { ParetoPoint, TrialRecord } from '../store/records.js';

export type CostName = 'params' | 'latency' | 'browser-latency';

export const costOf = (t: { params: number; latencyMs?: number; browserLatencyMs?: number }, cost: CostName): number | undefined =>
  cost === 'params' ? t.params : cost === 'latency' ? t.latencyMs : t.browserLatencyMs;

/** Non-dominated trials, one per key (the first), sorted by cost; failed ones and ones without the cost left out. */
export function paretoFront(trials: ReadonlyArray<TrialRecord | ParetoPoint>, cost: CostName): ParetoPoint[] {
  const seen = new Set<string>();
  const points: ParetoPoint[] = [];
  for (const t of trials) {
    const c = costOf(t, cost);
    if (t.accuracy === null || c === undefined || seen.has(t.key)) continue;
    seen.add(t.key);
    points.push({
      episode: t.episode,
      key: t.key,
      accuracy: t.accuracy,
      params: t.params,
      ...(t.latencyMs !== undefined ? { latencyMs: t.latencyMs } : {}),
      ...(t.browserLatencyMs !== undefined ? { browserLatencyMs: t.browserLatencyMs } : {}),
      cells: t.cells,
    });
  }
  // By cost, then best accuracy first: a point is on the front when it beats every cheaper one.
  points.sort((a, b) => costOf(a, cost)! - costOf(b, cost)! || b.accuracy - a.accuracy || a.episode - b.episode);
  const front: ParetoPoint[] = [];
  for (const p of points) if (front.length === 0 || p.accuracy > front[front.length - 1].accuracy) front.push(p);
  return front;
}
