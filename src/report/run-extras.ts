// What the views show beyond the trials' numbers, worked out on the node side where the run's space
// and files are at hand: each decision's choices among the latest proposals, and the warm-up's proxy
// scores joined with the accuracies the search later measured. The report and the dashboard's server
// both call these; the browser gets their rows.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NB201_OPS } from '../spaces/nas-bench-201/space.js';
import { inputName } from '../spaces/nasnet/format.js';
import { keyHash } from '../spaces/nasnet/key.js';
import { COMBINES, OPERATIONS } from '../spaces/nasnet/types.js';
import type { SearchSpace } from '../spaces/types.js';
import type { TrialRecord } from '../store/records.js';
import type { DecisionRow, ProxyRow } from './trial-plots.js';
import { combinedScores } from '../proxies/combine.js';

/** How many of the latest policy samples the decisions view counts. */
export const DECISION_SAMPLES = 100;

export function choiceName(space: SearchSpace, kind: string, action: number): string {
  if (space.id === 'nas-bench-201') return NB201_OPS[action] ?? String(action);
  if (kind === 'op') return OPERATIONS[action] ?? String(action);
  if (kind === 'combine') return COMBINES[action] ?? String(action);
  if (kind === 'input') return inputName(action);
  return String(action);
}

/**
 * The share of each choice at each decision among the last `limit` proposals the strategy made
 * itself (explored ones left out: they were drawn uniformly). Cells the space cannot read are skipped.
 */
export function decisionRows(
  trials: readonly TrialRecord[],
  space: SearchSpace,
  limit = DECISION_SAMPLES,
): { rows: DecisionRow[]; source: { kind: 'proposals'; samples: number } } {
  const recent = trials.filter((t) => !t.explored && !t.cached && (t.rung ?? 0) === 0).slice(-limit);
  const counts = space.decisions.map((d) => new Array<number>(d.choices).fill(0));
  let samples = 0;
  for (const t of recent) {
    let actions: number[];
    try {
      actions = space.encode(space.validate(t.cells));
    } catch {
      continue;
    }
    samples++;
    actions.forEach((a, i) => {
      if (counts[i] && a < counts[i].length) counts[i][a]++;
    });
  }
  if (samples === 0) return { rows: [], source: { kind: 'proposals', samples } };
  const rows = space.decisions.flatMap((d, i) =>
    counts[i].map((n, a) => ({ decision: d.label, order: i, choice: choiceName(space, d.kind, a), share: n / samples })),
  );
  return { rows, source: { kind: 'proposals', samples } };
}

/**
 * Proxy scores against accuracy, for a run that has them: each trained trial's own scores (a run
 * with --warmup or --proxy-rung records them; several proxies are shown as their mean rank among
 * these trials), or for older runs the warm-up's scores (warmup.jsonl) of what was then trained.
 */
export function proxyView(
  dir: string,
  trials: readonly TrialRecord[],
  space: SearchSpace,
  warmupProxy: string | undefined,
): { rows: ProxyRow[]; proxy: string } | undefined {
  const scored = trials.filter((t) => t.proxy && t.accuracy !== null && !t.rejected && !(t.rung !== undefined && t.rung > 0));
  if (scored.length > 0) {
    const names = Object.keys(scored[0].proxy!);
    const score = combinedScores(
      scored.map((t) => t.proxy!),
      names,
    );
    const proxy = names.length > 1 ? `mean rank of ${names.join('+')}` : names[0];
    const rows = scored.flatMap((t, i) =>
      Number.isFinite(score[i])
        ? [
            {
              score: score[i],
              accuracy: t.accuracy!,
              key: t.key,
              description: `episode ${t.episode}, key ${t.key}: ${proxy} ${score[i]}, accuracy ${t.accuracy}`,
            },
          ]
        : [],
    );
    return { rows, proxy };
  }
  return warmupProxy ? { rows: warmUpRows(dir, trials, space), proxy: warmupProxy } : undefined;
}

/** warmup.jsonl's scores of the architectures the search then trained, with their best accuracy. */
function warmUpRows(dir: string, trials: readonly TrialRecord[], space: SearchSpace): ProxyRow[] {
  const path = join(dir, 'warmup.jsonl');
  if (!existsSync(path)) return [];
  const accuracyByKey = new Map<string, number>();
  for (const t of trials) if (t.accuracy !== null && t.accuracy > (accuracyByKey.get(t.key) ?? -1)) accuracyByKey.set(t.key, t.accuracy);
  const rows: ProxyRow[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const { cells, score } = JSON.parse(line) as { cells: unknown; score: number | null };
      if (typeof score !== 'number') continue;
      const key = keyHash(space.key(space.validate(cells)));
      const accuracy = accuracyByKey.get(key);
      if (accuracy !== undefined) rows.push({ score, accuracy, key, description: `key ${key}: proxy score ${score}, accuracy ${accuracy}` });
    } catch {
      // A torn or foreign line says nothing about the proxy; the rest still do.
    }
  }
  return rows;
}
