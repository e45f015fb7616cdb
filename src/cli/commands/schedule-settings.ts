// The flags of `nascent search` that say how much each child is trained: caching of duplicates,
// the multi-fidelity scheduler (src/schedulers) and the pruner. Kept apart from search-settings.ts,
// which only appends them; each is recorded in config.json, and only when it applies, so a run's
// config names no setting it did not use (a resume passes them all back through the parser).
import { type FlagSpec, type ParsedArgs, UsageError, type CommandSpec } from '../flags.js';
import { maxBracket } from '../../schedulers/hyperband.js';

export const FIDELITIES = ['full', 'successive-halving', 'hyperband'] as const;
export type Fidelity = (typeof FIDELITIES)[number];
export const PRUNERS = ['none', 'median'] as const;
export type PrunerName = (typeof PRUNERS)[number];

export const SCHEDULE_FLAGS: FlagSpec[] = [
  {
    name: 'retrain-duplicates',
    type: 'bool',
    default: false,
    help: 'train an architecture again when its canonical key was already trained at the same budget (default: reuse that result, marked cached)',
  },
  {
    name: 'fidelity',
    type: 'enum',
    choices: FIDELITIES,
    default: 'full',
    help: 'full: every child --epochs epochs; hyperband or successive-halving: short trainings first, the best continued from their saved weights',
  },
  { name: 'max-epochs', type: 'int', min: 1, max: 10000, defaultLabel: 'the value of --epochs', help: 'hyperband/successive-halving: the largest budget (R)' },
  {
    name: 'factor',
    type: 'int',
    min: 2,
    max: 100,
    defaultLabel: '3',
    help: 'hyperband/successive-halving: keep the best 1/factor of each rung, at factor times the epochs (eta)',
  },
  {
    name: 'prune',
    type: 'enum',
    choices: PRUNERS,
    default: 'none',
    help: "median: stop a child whose accuracy after an epoch is below the median of earlier children's at that epoch",
  },
  { name: 'prune-warmup', type: 'int', min: 0, max: 10000, defaultLabel: '0', help: 'median pruning: epochs of each child never pruned' },
  { name: 'prune-startup', type: 'int', min: 0, max: 100000, defaultLabel: '5', help: 'median pruning: children trained to the end before any is pruned' },
];

export interface ScheduleSettings {
  retrainDuplicates: boolean;
  fidelity: Fidelity;
  /** Only with a fidelity other than full. */
  maxEpochs?: number;
  factor?: number;
  prune: PrunerName;
  /** Only with --prune median. */
  pruneWarmup?: number;
  pruneStartup?: number;
}

export function scheduleSettingsFromArgs(args: ParsedArgs, problem: string, command: CommandSpec): ScheduleSettings {
  const f = args.flags;
  const fidelity = f.fidelity as Fidelity;
  const prune = f.prune as PrunerName;
  const onlyWith = (flags: string[], what: string, ok: boolean) => {
    const bad = flags.filter((n) => args.given.has(n));
    if (!ok && bad.length > 0) throw new UsageError(`--${bad[0]} only applies with ${what}`, command);
  };
  onlyWith(['max-epochs', 'factor'], '--fidelity hyperband or successive-halving', fidelity !== 'full');
  onlyWith(['prune-warmup', 'prune-startup'], '--prune median', prune === 'median');
  if (problem === 'nas-bench-201' && (fidelity !== 'full' || prune !== 'none')) {
    throw new UsageError(
      `--fidelity ${fidelity} and --prune ${prune}: the NAS-Bench-201 table holds one accuracy per cell, there is no shorter training to schedule or stop`,
      command,
    );
  }
  if (fidelity !== 'full' && prune !== 'none')
    throw new UsageError(`--prune ${prune} works with --fidelity full; --fidelity ${fidelity} already stops the weaker children at each rung`, command);
  const out: ScheduleSettings = { retrainDuplicates: f['retrain-duplicates'] as boolean, fidelity, prune };
  if (fidelity !== 'full') {
    const maxEpochs = (f['max-epochs'] as number | undefined) ?? (f.epochs as number);
    const factor = (f.factor as number | undefined) ?? 3;
    if (maxBracket(maxEpochs, factor) === 0) {
      throw new UsageError(
        `--max-epochs ${maxEpochs} is below --factor ${factor}: ${fidelity} would train every child ${maxEpochs} epochs, as --fidelity full does; raise --max-epochs (e.g. ${factor ** 2})`,
        command,
      );
    }
    Object.assign(out, { maxEpochs, factor });
  }
  if (prune === 'median')
    Object.assign(out, { pruneWarmup: (f['prune-warmup'] as number | undefined) ?? 0, pruneStartup: (f['prune-startup'] as number | undefined) ?? 5 });
  return out;
}
