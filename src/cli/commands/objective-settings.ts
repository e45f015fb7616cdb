// The flags of `nascent search` that say what a child is rewarded for (src/search/objective.ts):
// its accuracy, or MnasNet's accuracy x (cost/target)^w. Appended to the search's flags by
// search-settings.ts; the mnas settings are recorded in config.json only when the objective is mnas.
import { type CommandSpec, type FlagSpec, type ParsedArgs, UsageError } from '../flags.js';
import { accuracyObjective, mnasObjective, type Objective } from '../../search/objective.js';
import type { CostName } from '../../search/pareto.js';

export const OBJECTIVES = ['accuracy', 'mnas'] as const;

export const OBJECTIVE_FLAGS: FlagSpec[] = [
  {
    name: 'objective',
    type: 'enum',
    choices: OBJECTIVES,
    default: 'accuracy',
    help: 'what children are ranked by: validation accuracy, or mnas: accuracy x (cost/target)^w (MnasNet)',
  },
  { name: 'target-params', type: 'int', min: 1, max: 1e12, help: 'mnas: the target parameter count T (cost = parameters)' },
  {
    name: 'target-latency-ms',
    type: 'number',
    min: 0,
    exclusiveMin: true,
    max: 1e7,
    help: 'mnas: the target batch-1 latency T in ms on the search backend (cost = measured latency)',
  },
  { name: 'mnas-w', type: 'number', min: -10, max: 0, defaultLabel: '-0.07', help: 'mnas: the exponent w; more negative punishes cost harder' },
];

export interface ObjectiveSettings {
  objective: (typeof OBJECTIVES)[number];
  /** Only with --objective mnas, one of the two. */
  targetParams?: number;
  targetLatencyMs?: number;
  mnasW?: number;
}

export function objectiveSettingsFromArgs(args: ParsedArgs, problem: string, command: CommandSpec): ObjectiveSettings {
  const f = args.flags;
  const objective = f.objective as ObjectiveSettings['objective'];
  const given = ['target-params', 'target-latency-ms', 'mnas-w'].filter((n) => args.given.has(n));
  if (objective !== 'mnas') {
    if (given.length > 0) throw new UsageError(`--${given[0]} only applies with --objective mnas`, command);
    return { objective };
  }
  if (problem === 'nas-bench-201')
    throw new UsageError('--objective mnas: the NAS-Bench-201 table records no parameter count or latency of its cells', command);
  const p = f['target-params'] as number | undefined;
  const l = f['target-latency-ms'] as number | undefined;
  if ((p === undefined) === (l === undefined)) throw new UsageError('--objective mnas needs one target: --target-params N or --target-latency-ms T', command);
  return { objective, ...(p !== undefined ? { targetParams: p } : { targetLatencyMs: l }), mnasW: (f['mnas-w'] as number | undefined) ?? -0.07 };
}

/** The objective, and the cost its Pareto front is drawn against (none for plain accuracy). */
export function objectiveOf(s: ObjectiveSettings): { objective: Objective; cost?: CostName } {
  if (s.objective !== 'mnas') return { objective: accuracyObjective };
  const cost: CostName = s.targetParams !== undefined ? 'params' : 'latency';
  return { objective: mnasObjective({ cost, target: (s.targetParams ?? s.targetLatencyMs)!, w: s.mnasW ?? -0.07 }), cost };
}
