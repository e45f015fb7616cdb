// `nascent search`'s flags, read off the SearchConfig schema (src/config/fields.ts), and the one
// step from a command line (and maybe a --config file) to a SearchConfig. A flag that the chosen
// kind of search would ignore is refused, naming why; a resume may change only where and how far
// the run goes.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { configFields, type ConfigField } from '../config/fields.js';
import { issueText, resolveSearchConfig, SearchConfigError } from '../config/resolve.js';
import type { SearchConfig } from '../config/schema.js';
import { upgradeConfig } from '../config/upgrade.js';
import { applyOverrides, recordedConfigOf, type ResumeOverrides } from '../run/runner.js';
import { parseJson } from '../spaces/nasnet/cells-file.js';
import { DATASET_HELP, datasetNameFromArg } from './dataset-flags.js';
import { type CommandSpec, type FlagSpec, type ParsedArgs, UsageError } from './flags.js';

export const TABLE_PROBLEMS = ['nas-bench-201'] as const;
const isTable = (problem: string) => (TABLE_PROBLEMS as readonly string[]).includes(problem);

/** Flags of `nascent search` that are not settings of the search: where it goes and how it is shown. */
export const COMMAND_FLAGS: FlagSpec[] = [
  {
    name: 'weight-sharing',
    type: 'bool',
    default: false,
    help: 'ENAS: train one shared network (a step per training batch on an architecture the strategy proposes), score children on validation batches with its weights',
  },
  { name: 'config', type: 'string', help: "start from this SearchConfig file (a run's config.json, or one of your own); flags given beside it override it" },
  { name: 'out', type: 'string', defaultLabel: 'runs/<timestamp>', help: 'run directory to write' },
  {
    name: 'report',
    type: 'bool',
    default: true,
    help: 'rewrite <run>/report/ (plots, cell diagrams, index.html) as episodes finish (taking at most 5% of the time) and at the end; --no-report to skip',
  },
  { name: 'resume', type: 'string', help: "continue the run in this directory from its last finished episode, with the run's own settings" },
  { name: 'json', type: 'bool', default: false, help: 'print one JSON object with the result at the end (progress goes to stderr)' },
];

/** What a resumed run may change: how far it goes and where and how it computes. */
const RESUMABLE = new Set([
  'resume',
  'episodes',
  'backend',
  'micro-batch',
  'report',
  'json',
  'table',
  'data-dir',
  'data-url',
  'data-md5',
  'allow-http',
  'parallel',
  'redis',
]);

/** The flag that sets `field`, with its type, range and default from the schema. */
export function flagSpecOf(field: ConfigField): FlagSpec {
  const base = { name: field.flag, help: field.help, ...(field.defaultLabel ? { defaultLabel: field.defaultLabel } : {}) };
  const k = field.kind;
  const d = field.default;
  switch (k.type) {
    case 'int':
      return {
        ...base,
        type: 'int',
        ...(typeof d === 'number' ? { default: d } : {}),
        ...(k.min !== undefined ? { min: k.min } : {}),
        ...(k.max !== undefined ? { max: k.max } : {}),
      };
    case 'number':
      return {
        ...base,
        type: 'number',
        ...(typeof d === 'number' ? { default: d } : {}),
        ...(k.min !== undefined ? { min: k.min } : {}),
        ...(k.max !== undefined ? { max: k.max } : {}),
        ...(k.exclusiveMin ? { exclusiveMin: true } : {}),
      };
    case 'bool':
      return { ...base, type: 'bool', ...(typeof d === 'boolean' ? { default: d } : {}) };
    case 'enum':
      return { ...base, type: 'enum', choices: k.choices, ...(typeof d === 'string' ? { default: d } : {}) };
    case 'int-list':
      return {
        ...base,
        type: 'int-list',
        ...(Array.isArray(d) ? { default: d as number[] } : {}),
        ...(k.length !== undefined ? { length: k.length } : {}),
        ...(k.min !== undefined ? { min: k.min } : {}),
        ...(k.max !== undefined ? { max: k.max } : {}),
      };
    default:
      return { ...base, type: 'string', ...(typeof d === 'string' ? { default: d } : {}) };
  }
}

// The order --help lists them in: what a user sets first (how many children, how long each trains)
// before the finer settings, rather than the order of the config's sections.
const HELP_ORDER = (f: ConfigField): number =>
  f.path.length === 1
    ? 0
    : f.path[0] === 'evaluator'
      ? f.variant.evaluator === 'child'
        ? 1
        : 6
      : ['problem', 'strategy', 'scheduler', 'objective'].indexOf(f.path[0]) + 2;

/** The schema's flags, each once (a flag several variants share, like --channels, is one flag). */
export function settingFlags(): FlagSpec[] {
  const seen = new Set<string>(['problem']);
  const out: FlagSpec[] = [];
  const fields = configFields()
    .map((field, i) => ({ field, i }))
    .sort((a, b) => HELP_ORDER(a.field) - HELP_ORDER(b.field) || a.i - b.i)
    .map(({ field }) => field);
  for (const field of fields) {
    if (seen.has(field.flag)) continue;
    seen.add(field.flag);
    out.push(flagSpecOf(field));
  }
  return out;
}

export const searchCommand: CommandSpec = {
  name: 'search',
  brief: 'search for cells on a data set (CIFAR-10, Fashion-MNIST, MNIST, a folder) or the NAS-Bench-201 table, or --resume a run',
  summary:
    'Search for a normal and a reduction cell on a data set (each episode trains the child the cells\n' +
    "define), or for a NAS-Bench-201 cell looked up in the benchmark's table. The strategy is rewarded\n" +
    "with each architecture's accuracy minus a moving baseline. Every setting is a field of the run's\n" +
    'config.json (docs/reference/config.md); --config FILE starts from such a file.',
  positionals: [{ name: 'problem', help: `${DATASET_HELP} or nas-bench-201 (may be left out with --resume or --config)` }],
  flags: [...settingFlags(), ...COMMAND_FLAGS],
  examples: [
    'npm run search:cifar',
    'npm run search:cifar -- --episodes 3 --epochs 1 --train-limit 2000 --val-limit 1000 --channels 8,16,16,32,32',
    'nascent search cifar10 --strategy random --seed 7 --out runs/random-7',
    'nascent search fashion-mnist --episodes 2 --epochs 1 --train-limit 10000',
    'nascent search folder:photos --image-size 32',
    'nascent search nas-bench-201 --table nats_bench.csv --strategy evolution',
    'nascent search --config runs/random-7/config.json --seed 8 --out runs/random-8',
    'nascent search --resume runs/random-7 --episodes 300',
  ],
};

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

function setAt(root: Json, path: readonly string[], value: unknown): void {
  let at = root;
  for (const key of path.slice(0, -1)) {
    if (!isObject(at[key])) at[key] = {};
    at = at[key] as Json;
  }
  at[path[path.length - 1]] = value;
}

function getAt(root: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((v, k) => (isObject(v) ? v[k] : undefined), root);
}

const shown = (v: unknown): string => (Array.isArray(v) ? v.join(',') : v === undefined ? '(not set)' : String(v));

/** Flags of trained children that weight sharing would otherwise take and ignore, with why. */
const WS_UNUSED: Record<string, string> = {
  episodes: '--ws-epochs passes and --controller-steps steps after each set its length',
  epochs: 'no child is trained on its own (--ws-epochs sets the passes of the shared network)',
  'retrain-duplicates': 'no child is trained on its own',
  'micro-batch': 'the shared network takes each batch whole',
};

/** Why `flag` means nothing to a search of `variant` on `problem`. */
function whyNot(flag: string, variant: { problem: string; evaluator: string }, problem: string, resuming: boolean): string {
  if (variant.evaluator === 'weight-sharing' && WS_UNUSED[flag])
    return resuming
      ? `--${flag} does not apply when resuming a weight-sharing run: ${WS_UNUSED[flag]}`
      : `--${flag} does not apply with --weight-sharing: ${WS_UNUSED[flag]}`;
  const fields = configFields().filter((f) => f.flag === flag);
  if (variant.problem === 'nas-bench-201')
    return `--${flag} does not apply to ${problem}: each architecture's accuracy is looked up in the table (the benchmark's own training), no child is trained and no image read`;
  if (fields.every((f) => f.variant.problem === 'nas-bench-201'))
    return `--${flag} only applies to ${TABLE_PROBLEMS.join(', ')} (a search on ${problem} trains its children)`;
  if (fields.every((f) => f.variant.evaluator === 'weight-sharing')) return `--${flag} only applies with --weight-sharing`;
  if (flag === 'image-size') return `--image-size applies to folder:DIR data sets; ${problem}'s images have their own size`;
  return `--${flag} does not apply to this search`;
}

/** The field `flag` sets in a search of `variant`, if any. */
function fieldFor(flag: string, variant: { problem: string; evaluator: string }): ConfigField | undefined {
  return configFields().find(
    (f) => f.flag === flag && (f.variant.problem ?? variant.problem) === variant.problem && (f.variant.evaluator ?? variant.evaluator) === variant.evaluator,
  );
}

/** A config error in the words of the command line: each field named by its flag (by its path where it has none). */
export function usageErrorOf(err: SearchConfigError, command: CommandSpec, what?: string): UsageError {
  const byPath = new Map(configFields().map((f) => [f.path.join('.'), f.flag]));
  const name = (path: string) => {
    const flag = byPath.get(path);
    return flag && flag !== 'problem' ? `--${flag}` : path || 'config';
  };
  const parts = err.issues.map((i) => issueText(i, name, shown));
  return new UsageError(`${what ? `${what}: ` : ''}${parts.join('; ')}`, command);
}

/** Reads a --config file: any version of a search config, without the facts of the run that wrote it. */
export function readConfigFile(path: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--config ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, searchCommand);
  }
  const upgraded = upgradeConfig(parseJson(text, path), path) as Json;
  const { run: _run, $schema: _schema, ...settings } = upgraded;
  return settings;
}

/** The SearchConfig a command line describes (for a new run). */
export function configFromArgs(args: ParsedArgs, command: CommandSpec = searchCommand): SearchConfig {
  const f = args.flags;
  const fromFile = f.config !== undefined ? readConfigFile(resolve(f.config as string)) : undefined;
  const input: Json = structuredClone(fromFile ?? {});
  const positional = args.positionals[0];
  if (positional === undefined && !fromFile)
    throw new UsageError(`missing <problem> (${DATASET_HELP} or nas-bench-201), or --resume DIR to continue a run`, command);
  const baseProblem = isObject(input.problem) ? input.problem : {};
  let problemName: string;
  if (positional !== undefined) {
    problemName = datasetNameFromArg(positional, command, TABLE_PROBLEMS);
    if (isTable(problemName)) input.problem = baseProblem.space === 'nas-bench-201' ? baseProblem : { space: 'nas-bench-201' };
    else {
      const keep = baseProblem.space === 'nasnet' ? baseProblem : {};
      // The file's data settings (directory, limits, split) carry over only to the same data set.
      const data = isObject(keep.data) && keep.data.dataset === problemName ? keep.data : {};
      input.problem = { ...keep, space: 'nasnet', data: { ...data, dataset: problemName } };
    }
  } else {
    problemName =
      baseProblem.space === 'nas-bench-201' ? 'nas-bench-201' : String((isObject(baseProblem.data) ? baseProblem.data.dataset : undefined) ?? 'cifar10');
    if (!isObject(input.problem)) input.problem = { space: 'nasnet' };
  }
  const space = isTable(problemName) ? 'nas-bench-201' : 'nasnet';
  const baseKind = isObject(input.evaluator) ? String(input.evaluator.kind) : undefined;
  let kind = space === 'nas-bench-201' ? 'table' : baseKind === 'weight-sharing' ? 'weight-sharing' : 'child';
  if (args.given.has('weight-sharing')) {
    if (f['weight-sharing'] === true && space === 'nas-bench-201')
      throw new UsageError('--weight-sharing trains a shared network on images: it applies to an image data set, not the nas-bench-201 table', command);
    kind = f['weight-sharing'] === true ? 'weight-sharing' : space === 'nas-bench-201' ? 'table' : 'child';
  }
  // Another kind than the file's starts from that kind's defaults: the file's settings were the other kind's.
  if (!isObject(input.evaluator) || input.evaluator.kind !== kind) input.evaluator = { kind };
  // A weight-sharing search has no episodes: its passes and controller steps set its length.
  if (kind === 'weight-sharing') delete input.episodes;
  const variant = { problem: space, evaluator: kind };
  for (const flag of args.given) {
    if (COMMAND_FLAGS.some((c) => c.name === flag)) continue;
    // With weight sharing, --lr sets the shared weights' learning rate unless --ws-lr does.
    if (flag === 'lr' && kind === 'weight-sharing') {
      if (!args.given.has('ws-lr')) setAt(input, ['evaluator', 'lr'], f.lr);
      continue;
    }
    if ((kind === 'weight-sharing' && WS_UNUSED[flag]) || (kind === 'table' && flag === 'retrain-duplicates'))
      throw new UsageError(whyNot(flag, variant, problemName, false), command);
    if (flag === 'image-size' && !problemName.startsWith('folder:')) throw new UsageError(whyNot(flag, variant, problemName, false), command);
    const field = fieldFor(flag, variant);
    if (!field) throw new UsageError(whyNot(flag, variant, problemName, false), command);
    const value = flag === 'data-dir' || flag === 'table' ? resolve(f[flag] as string) : f[flag];
    setAt(input, field.path, value);
  }
  try {
    return resolveSearchConfig(input, { source: fromFile ? `--config ${f.config}` : 'search' });
  } catch (err) {
    if (err instanceof SearchConfigError) throw usageErrorOf(err, command);
    throw err;
  }
}

/** What a command line may change of a run being resumed; every other setting given must equal the run's. */
export function resumeOverridesFromArgs(args: ParsedArgs, recorded: SearchConfig, configPath: string, command: CommandSpec = searchCommand): ResumeOverrides {
  if (args.given.has('out')) throw new UsageError('--out cannot be used with --resume: a resumed run stays in its own directory', command);
  if (args.given.has('config')) throw new UsageError('--config cannot be used with --resume: a resumed run keeps its own config.json', command);
  const space = recorded.problem.space;
  const recordedProblem = space === 'nas-bench-201' ? 'nas-bench-201' : recorded.problem.space === 'nasnet' ? recorded.problem.data.dataset : space;
  const given = args.positionals[0];
  if (given !== undefined) {
    const problem = datasetNameFromArg(given, command, TABLE_PROBLEMS);
    if (problem !== recordedProblem) throw new UsageError(`${problem} conflicts with the run's ${recordedProblem}`, command);
  }
  const variant = { problem: space, evaluator: recorded.evaluator.kind };
  const conflicts: string[] = [];
  for (const flag of args.given) {
    if (COMMAND_FLAGS.some((c) => c.name === flag) && flag !== 'weight-sharing') continue;
    if (flag === 'weight-sharing') {
      if ((args.flags[flag] === true) !== (recorded.evaluator.kind === 'weight-sharing'))
        conflicts.push(`--weight-sharing ${args.flags[flag]} conflicts with the run's ${recorded.evaluator.kind === 'weight-sharing'}`);
      continue;
    }
    if (variant.evaluator === 'weight-sharing' && WS_UNUSED[flag]) throw new UsageError(whyNot(flag, variant, recordedProblem, true), command);
    const field = fieldFor(flag, variant);
    if (!field) throw new UsageError(whyNot(flag, variant, recordedProblem, true), command);
    if (RESUMABLE.has(flag)) continue;
    const value = args.flags[flag];
    const before = getAt(recorded, field.path);
    if (JSON.stringify(value) !== JSON.stringify(before)) conflicts.push(`--${flag} ${shown(value)} conflicts with the run's ${shown(before)}`);
  }
  if (conflicts.length > 0) {
    throw new UsageError(
      `${conflicts.join('; ')} (${configPath}). A resumed search keeps its settings; only --episodes, --backend, --parallel, --redis, --micro-batch, --report, --table and the --data-* flags may change.`,
      command,
    );
  }
  const f = args.flags;
  return {
    ...(args.given.has('episodes') ? { episodes: f.episodes as number } : {}),
    ...(args.given.has('backend') ? { backend: f.backend as ResumeOverrides['backend'] } : {}),
    ...(args.given.has('data-dir') ? { dataDir: resolve(f['data-dir'] as string) } : {}),
    ...(args.given.has('micro-batch') ? { microBatch: f['micro-batch'] as number } : {}),
    ...(args.given.has('table') ? { table: resolve(f.table as string) } : {}),
    ...(args.given.has('parallel') ? { parallel: f.parallel as number } : {}),
    ...(args.given.has('redis') ? { redis: f.redis as string } : {}),
  };
}

/** The config a resume runs with: the recorded one (config.json of any version), with the command line's changes. */
export function resumedConfig(args: ParsedArgs, raw: unknown, configPath: string, command: CommandSpec = searchCommand): SearchConfig {
  const recorded = recordedConfigOf(raw, configPath);
  return applyOverrides(recorded, resumeOverridesFromArgs(args, recorded, configPath, command));
}
