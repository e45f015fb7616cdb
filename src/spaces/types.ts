// The SearchSpace seam (see docs/design/seams.md): what a space of architectures must give the
// rest of nascent. A strategy sees only `decisions` and action sequences; an evaluator sees only
// the architecture; the store and the report go through toJSON/describe. The NASNet cell space
// (src/spaces/nasnet) and NAS-Bench-201's (src/spaces/nas-bench-201/space.ts) sit behind it.
import type { Rng } from '../util/random.js';

/** One categorical decision of the sequence a strategy makes. */
export interface Decision {
  /**
   * Decisions of one kind share a controller head (e.g. 'input', 'op', 'combine' in NASNet;
   * 'op' for NAS-Bench-201's six edges). Strategies never interpret it.
   */
  kind: string;
  /** Number of valid actions: 0..choices-1. */
  choices: number;
  /** For people: "normal block 2 op 1", "edge 1->3". */
  label: string;
}

/** One problem found while validating an architecture: a JSON path and what is wrong there. */
export interface SpaceIssue {
  path: string;
  message: string;
}

/** Every problem of an invalid architecture, each with its path. */
export class SpaceValidationError extends Error {
  constructor(
    readonly issues: SpaceIssue[],
    what = 'architecture',
  ) {
    super(`invalid ${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.name = 'SpaceValidationError';
  }
}

export interface SearchSpace<A = unknown> {
  /** Stable name, recorded in config.json and best-cells.json: 'nasnet', 'nas-bench-201'. */
  readonly id: string;
  /** The space's own settings (NASNet: blocks, hierarchical), recorded beside its id. */
  readonly settings: Record<string, unknown>;
  /** The decision sequence, in the order actions are given. */
  readonly decisions: readonly Decision[];
  /** The actions that produce `arch` (throws on an architecture outside the space). */
  encode(arch: A): number[];
  /** The architecture of a complete, in-range action sequence (throws a clear error otherwise). */
  decode(actions: readonly number[]): A;
  /** Uniform over the decisions (every action sequence equally likely). */
  sample(rng: Rng): A;
  /** Changes one decision to a different valid value. */
  mutate(arch: A, rng: Rng): A;
  /** Canonical key: architectures that compute the same function share it. */
  key(arch: A): string;
  /** `value` as an architecture of this space, or a SpaceValidationError naming every bad path. */
  validate(value: unknown): A;
  /** Plain JSON, read back by validate. */
  toJSON(arch: A): unknown;
  /** A few lines for logs and the report. */
  describe(arch: A): string[];
}
