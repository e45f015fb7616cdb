// Which of `nascent search`'s flags apply to which problem. A table search (nas-bench-201) looks each
// architecture's accuracy up, so the flags of trained children and of their images mean nothing to
// it; --table and --dataset mean nothing to a search that trains children. A flag that would be
// ignored is refused (whoever passes --epochs 50 to a table search expects it to matter), left out of
// config.json, and skipped when an older run's config.json, which recorded every default, is
// replayed on resume. (--image-size, which only a folder takes, has its own check in dataset-flags.ts.)
import { type CommandSpec, type ParsedArgs, UsageError } from '../flags.js';
import { DATA_FLAG_NAMES } from '../data-flags.js';

export const TABLE_PROBLEMS = ['nas-bench-201'] as const;

const isTable = (problem: string) => (TABLE_PROBLEMS as readonly string[]).includes(problem);

/** Flags of trained children and of image data, which a table search has no use for. */
const CHILD_FLAGS = [
  'epochs',
  'batch-size',
  'lr',
  'channels',
  'blocks',
  'hierarchical',
  'train-limit',
  'val-limit',
  'val-fraction',
  'micro-batch',
  'retrain-duplicates',
  ...DATA_FLAG_NAMES,
];
/** Flags only a table search reads. */
const TABLE_FLAGS = ['table', 'dataset'];

/** The flags `problem`'s search would ignore. */
export const unusedFlagsOf = (problem: string): readonly string[] => (isTable(problem) ? CHILD_FLAGS : TABLE_FLAGS);

const why = (problem: string, flag: string) =>
  isTable(problem)
    ? `--${flag} does not apply to ${problem}: each architecture's accuracy is looked up in the table (the benchmark's own training), no child is trained and no image read`
    : `--${flag} only applies to ${TABLE_PROBLEMS.join(', ')} (a search on ${problem} trains its children)`;

/** Refuses the first flag on the command line that `problem`'s search would ignore. */
export function checkProblemFlags(args: ParsedArgs, problem: string, command: CommandSpec): void {
  const unused = unusedFlagsOf(problem).find((name) => args.given.has(name));
  if (unused) throw new UsageError(why(problem, unused), command);
}
