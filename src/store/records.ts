// The shapes of what a run directory holds. trials.jsonl is the source of truth; best-cells.json
// and the checkpoint can always be rebuilt from it plus the search's own state.
import { z } from 'zod';

/**
 * An architecture as its space writes it (SearchSpace.toJSON): a NASNet cell pair, a NAS-Bench-201
 * cell, ... The store keeps it as given; readers that know the space say which (`TrialRecord<CellPair>`).
 */
export type ArchitectureJson = unknown;

export interface TrialRecord<A = ArchitectureJson> {
  episode: number; // 1-based
  strategy: string;
  cells: A; // the architecture as its space writes it (SearchSpace.toJSON)
  key: string; // short hash of the canonical architecture
  explored: boolean; // drawn uniformly (epsilon) rather than from the policy
  accuracy: number | null; // best validation accuracy; null when the child failed
  valAccuracies: number[];
  reward: number;
  baseline: number;
  params: number;
  seconds: number;
  backend: string;
  failed?: string;
  time: string; // ISO timestamp at which the trial was recorded
  // Multi-fidelity fields (absent in runs from before them: those trained every child --epochs epochs).
  budget?: number; // epochs the child has had once this trial is done (its rung's budget)
  rung?: number; // Hyperband rung (Keras Tuner's tuner/round); 0 for a new proposal
  bracket?: number; // Hyperband bracket s (Keras Tuner's tuner/bracket)
  epochsTrained?: number; // epochs actually trained in this trial (0 when cached)
  cached?: boolean; // the result of an earlier trial of the same key and budget, not trained again
  cachedFrom?: number; // that earlier trial's episode
  inheritedFrom?: number; // the episode whose saved weights and optimizer state this child continued
  state?: string; // saved weights and optimizer state (relative to the run), while they may be continued
  pruned?: { epoch: number; reason: string }; // stopped early by the pruner after this epoch
  latencyMs?: number; // median batch-1 inference latency on the search's backend
  browserLatencyMs?: number; // the same in headless Chromium (--latency-on browser:<backend>)
  objective?: number | null; // with --objective mnas: ACC x (cost/T)^w, what the search ranks by
  worker?: string; // the worker process that trained it (parallel searches)
  proxy?: Record<string, number | null>; // zero-cost proxy scores of the untrained network (null: could not be scored)
  rejected?: string; // why the proxy rung did not train it (it trained nothing; accuracy is null)
}

const fraction = z.number().min(0).max(1);
const episodeNumber = z.int().min(1);

/**
 * A line of trials.jsonl as it must be read back: every field of TrialRecord with its type and
 * range (the type below is held equal to TrialRecord), no field it does not know. Its architecture
 * is only checked to be an object here; whether it is one of the run's space is the space's to say.
 */
export const TrialRecordSchema = z.strictObject({
  episode: episodeNumber,
  strategy: z.string().min(1),
  cells: z.custom<ArchitectureJson>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'expected an object (the architecture)'),
  key: z.string().min(1),
  explored: z.boolean(),
  accuracy: fraction.nullable(),
  valAccuracies: z.array(fraction),
  reward: z.number(),
  baseline: z.number(),
  params: z.int().min(0),
  seconds: z.number().min(0),
  backend: z.string(),
  failed: z.string().optional(),
  time: z.string(),
  budget: z.int().min(0).optional(),
  rung: z.int().min(0).optional(),
  bracket: z.int().min(0).optional(),
  epochsTrained: z.int().min(0).optional(),
  cached: z.boolean().optional(),
  cachedFrom: episodeNumber.optional(),
  inheritedFrom: episodeNumber.optional(),
  state: z.string().min(1).optional(),
  pruned: z.strictObject({ epoch: z.int().min(0), reason: z.string() }).optional(),
  latencyMs: z.number().min(0).optional(),
  browserLatencyMs: z.number().min(0).optional(),
  objective: z.number().nullable().optional(),
  worker: z.string().min(1).optional(),
  proxy: z.record(z.string(), z.number().nullable()).optional(),
  rejected: z.string().min(1).optional(),
});

// The schema and the interface say the same thing, or this does not compile.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _sameShape: Same<z.output<typeof TrialRecordSchema>, TrialRecord> = true;
void _sameShape;

/** One problem of a record: the field's path (`accuracy`, `pruned.epoch`, `valAccuracies[2]`) and what is wrong. */
export interface RecordIssue {
  path: string;
  message: string;
}

const shown = (v: unknown): string => (v === undefined ? 'nothing' : (JSON.stringify(v) ?? String(v)));

/** Every problem of `value` as a trial record, each with its field path; empty when it is one. */
export function trialRecordIssues(value: unknown): RecordIssue[] {
  const parsed = TrialRecordSchema.safeParse(value);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => {
    const at = (path: readonly PropertyKey[]) =>
      path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)), '') || '(root)';
    const got = issue.path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined), value);
    switch (issue.code) {
      case 'invalid_type':
        return {
          path: at(issue.path),
          message: got === undefined ? 'missing' : `expected ${issue.expected === 'int' ? 'an integer' : issue.expected}, got ${shown(got)}`,
        };
      case 'too_small':
      case 'too_big': {
        const op = issue.code === 'too_small' ? (issue.inclusive ? '≥' : '>') : issue.inclusive ? '≤' : '<';
        const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
        const what = issue.origin === 'string' ? `a string of length ${op} ${bound}` : `a number ${op} ${bound}`;
        return { path: at(issue.path), message: `expected ${what}, got ${shown(got)}` };
      }
      case 'unrecognized_keys':
        return {
          path: at(issue.keys.length === 1 ? [...issue.path, issue.keys[0]] : issue.path),
          message: `unknown field${issue.keys.length === 1 ? '' : `s ${issue.keys.join(', ')}`}`,
        };
      default:
        return { path: at(issue.path), message: `${issue.message}, got ${shown(got)}` };
    }
  });
}

export const BEST_CELLS_FORMAT = 'nascent.best-cells';
/**
 * 2 since the search configuration (issue 25): `settings` holds the run's SearchConfig (version 2),
 * where blocks and channels moved under problem and evaluator. Version 1 files (flat settings) are
 * still read.
 */
export const BEST_CELLS_VERSION = 2;
/** The versions of best-cells.json this nascent reads. */
export const BEST_CELLS_VERSIONS_READ: readonly number[] = [1, 2];

export interface BestCellsFile<A = ArchitectureJson> {
  format: typeof BEST_CELLS_FORMAT;
  /** 2 for files written now; 1 for files written before the search configuration. */
  version: 1 | 2;
  cells: A;
  key: string;
  accuracy: number;
  episode: number;
  params: number;
  settings: Record<string, unknown>;
  /** With --objective mnas: the value ranked by, the latency, and the accuracy/cost Pareto front. */
  objective?: number;
  latencyMs?: number;
  browserLatencyMs?: number;
  front?: ParetoPoint[];
}

/** A trial on the Pareto front of validation accuracy (higher) against cost (lower). */
export interface ParetoPoint {
  episode: number;
  key: string;
  accuracy: number;
  params: number;
  latencyMs?: number;
  browserLatencyMs?: number;
  cells: ArchitectureJson;
}
