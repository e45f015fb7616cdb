// From a config as written (any field with a default left out) to the whole SearchConfig a run
// records: the schema's checks, the rules between fields, and the defaults that depend on other
// fields. Every problem is reported with the path of the field, in one error.
import type { z } from 'zod';
import { maxBracket } from '../schedulers/hyperband.js';
import { defaultPreset, PRESETS } from './presets.js';
import { SearchConfigSchema, WS_STRATEGIES, type SearchConfig } from './schema.js';

export interface ConfigIssue {
  /** The field's path, dotted: `evaluator.epochs`, `problem.data.trainLimit`. */
  path: string;
  /**
   * What is wrong. A rule between fields is phrased to follow the field's name (`only applies
   * with {scheduler.fidelity} hyperband`), `{a.b}` naming another field and `{value}` this field's
   * value, so that each reader names fields its own way: the library by path, the CLI by flag.
   */
  message: string;
  /** The message continues the field's name (a rule between fields) rather than following a colon. */
  phrase?: boolean;
  /** The field's value, for `{value}`. */
  value?: unknown;
}

/** `issue` in words, each field named by `name` (its path by default). */
export function issueText(issue: ConfigIssue, name: (path: string) => string = (p) => p, show: (v: unknown) => string = (v) => JSON.stringify(v)): string {
  const body = issue.message.replace(/\{value\}/g, show(issue.value)).replace(/\{([a-zA-Z.]+)\}/g, (_, path: string) => name(path));
  if (!issue.path) return body;
  return issue.phrase ? `${name(issue.path)} ${body}` : `${name(issue.path)}: ${body}`;
}

/** A config that is not a valid SearchConfig: every issue with its path. */
export class SearchConfigError extends Error {
  constructor(
    readonly issues: ConfigIssue[],
    readonly source = 'search config',
  ) {
    super(`${source}: ${issues.map((i) => issueText(i)).join('; ')}`);
    this.name = 'SearchConfigError';
  }
}

const dotted = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)), '');

const valueAt = (root: unknown, path: readonly PropertyKey[]): unknown =>
  path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined), root);

const shown = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));

/** One zod issue in words a user reads: what was expected at the path, and what was there. */
function describeIssue(issue: z.core.$ZodIssue, input: unknown): ConfigIssue {
  const got = valueAt(input, issue.path);
  const path = dotted(issue.path);
  switch (issue.code) {
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const op = issue.code === 'too_small' ? (issue.inclusive ? '≥' : '>') : issue.inclusive ? '≤' : '<';
      if (issue.origin === 'array')
        return { path, message: `expected ${issue.code === 'too_small' ? 'at least' : 'at most'} ${bound} values, got ${shown(got)}` };
      if (issue.origin === 'string') return { path, message: `expected a non-empty string, got ${shown(got)}` };
      return { path, message: `expected a number ${op} ${bound}, got ${shown(got)}` };
    }
    case 'invalid_type':
      return { path, message: `expected ${issue.expected === 'int' ? 'an integer' : issue.expected}, got ${shown(got)}` };
    case 'invalid_value':
      return { path, message: `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${shown(got)}` };
    case 'unrecognized_keys':
      return {
        path: issue.keys.length === 1 ? dotted([...issue.path, issue.keys[0]]) : path,
        message: `unknown field${issue.keys.length === 1 ? '' : `s ${issue.keys.join(', ')}`}`,
      };
    case 'invalid_union': {
      const note = (issue as { note?: string }).note;
      if (note === 'No matching discriminator') return { path, message: `unknown kind ${shown(got)}` };
      return { path, message: issue.message };
    }
    case 'invalid_format':
      return { path, message: `${issue.message.replace(/^Invalid string: /, '')}, got ${shown(got)}` };
    default:
      return { path, message: issue.message };
  }
}

const isFolder = (dataset: string) => dataset.startsWith('folder:');

/** The rules between fields that the schema alone cannot say. */
function crossChecks(c: SearchConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  // A rule between fields: `message` follows the field's name ({value} is its value, {a.b} another field).
  const add = (path: string, message: string, value?: unknown) => issues.push({ path, message, phrase: true, ...(value !== undefined ? { value } : {}) });
  const { problem, evaluator, scheduler, objective, strategy } = c;
  const table = problem.space === 'nas-bench-201';
  if (table && evaluator.kind !== 'table')
    add('evaluator.kind', "{value} does not apply to nas-bench-201: each architecture's accuracy is looked up in the table", evaluator.kind);
  if (!table && evaluator.kind === 'table') add('evaluator.kind', `{value} applies to the nas-bench-201 space, not ${problem.space}`, 'table');
  if (problem.space === 'nasnet' && problem.data.imageSize !== undefined && !isFolder(problem.data.dataset))
    add('problem.data.imageSize', `applies to folder:DIR data sets; ${problem.data.dataset}'s images have their own size`);
  // A URL that is no https or http one is the schema's to refuse; plain http is a choice to make.
  if (problem.space === 'nasnet' && problem.data.url?.startsWith('http:') && !problem.data.allowHttp)
    add('problem.data.url', '{value} is plain http; pass {problem.data.allowHttp} to use it', problem.data.url);
  if (strategy.name === 'evolution' && strategy.evolution.tournament > strategy.evolution.population)
    add(
      'strategy.evolution.tournament',
      `{value} is larger than {strategy.evolution.population} ${strategy.evolution.population}`,
      strategy.evolution.tournament,
    );
  if (evaluator.kind === 'weight-sharing') {
    if (!(WS_STRATEGIES as readonly string[]).includes(strategy.name))
      add('strategy.name', `{value} does not learn from weight sharing's scores: it works with ${WS_STRATEGIES.join(' or ')}`, strategy.name);
    if (c.episodes !== undefined) add('episodes', 'does not apply to weight sharing: {evaluator.passes} and {evaluator.controllerSteps} set its length');
  }
  if (evaluator.kind !== 'child') {
    const why =
      evaluator.kind === 'table'
        ? 'the NAS-Bench-201 table holds one accuracy per cell, there is no shorter training to schedule or stop'
        : 'no child is trained on its own';
    if (scheduler.retrainDuplicates)
      add('scheduler.retrainDuplicates', `does not apply to ${evaluator.kind} evaluation: ${evaluator.kind === 'table' ? 'no child is trained' : why}`);
    if (scheduler.fidelity !== 'full') add('scheduler.fidelity', `{value} does not apply to ${evaluator.kind} evaluation: ${why}`, scheduler.fidelity);
    if (scheduler.prune !== 'none') add('scheduler.prune', `{value} does not apply to ${evaluator.kind} evaluation: ${why}`, scheduler.prune);
    if (objective.name !== 'accuracy')
      add(
        'objective.name',
        `${objective.name} does not apply to ${evaluator.kind} evaluation: ${evaluator.kind === 'table' ? 'the table records no parameter count or latency of its cells' : why}`,
      );
  }
  if (scheduler.fidelity === 'full') {
    if (scheduler.maxEpochs !== undefined) add('scheduler.maxEpochs', 'only applies with {scheduler.fidelity} hyperband or successive-halving');
    if (scheduler.factor !== undefined && !scheduler.proxyRung)
      add('scheduler.factor', 'only applies with {scheduler.fidelity} hyperband or successive-halving, or with {scheduler.proxyRung}');
  } else if (scheduler.prune !== 'none') {
    add(
      'scheduler.prune',
      `{value} works with {scheduler.fidelity} full; {scheduler.fidelity} ${scheduler.fidelity} already stops the weaker children at each rung`,
      scheduler.prune,
    );
  }
  if (strategy.warmup.dataDir !== undefined && (problem.space !== 'nas-bench-201' || (strategy.warmup.count === 0 && !scheduler.proxyRung)))
    add(
      'strategy.warmup.dataDir',
      'only applies to a nas-bench-201 search with {strategy.warmup.count} N or {scheduler.proxyRung} (a search on images scores on its own)',
    );
  if (strategy.warmup.count > 0 && evaluator.kind === 'weight-sharing')
    add('strategy.warmup.count', 'does not apply to weight sharing: its controller learns from the shared network from the start');
  // In a table search a rejection saves a query; with trained children, the rung goes before Hyperband's.
  if (scheduler.proxyRung && scheduler.fidelity === 'full' && evaluator.kind !== 'table')
    add('scheduler.proxyRung', 'only applies with {scheduler.fidelity} hyperband or successive-halving (it is their zeroth rung), or to a table search');
  if (scheduler.proxyRung && evaluator.kind === 'weight-sharing') add('scheduler.proxyRung', 'does not apply to weight sharing');
  if (scheduler.rungProxy !== undefined && !scheduler.proxyRung) add('scheduler.rungProxy', 'only applies with {scheduler.proxyRung}');
  if (scheduler.synchronous && scheduler.fidelity === 'full')
    add('scheduler.synchronous', 'only applies with {scheduler.fidelity} hyperband or successive-halving');
  if (evaluator.kind !== 'child') {
    const why = evaluator.kind === 'table' ? 'a table lookup takes no time' : 'weight sharing trains one shared network';
    if (c.parallel > 1) add('parallel', `{value} does not apply to ${evaluator.kind} evaluation: ${why}`, c.parallel);
    if (c.redis !== undefined) add('redis', `does not apply to ${evaluator.kind} evaluation: ${why}`);
  }
  if (scheduler.prune === 'none') {
    if (scheduler.pruneWarmup !== undefined) add('scheduler.pruneWarmup', 'only applies with {scheduler.prune} median');
    if (scheduler.pruneStartup !== undefined) add('scheduler.pruneStartup', 'only applies with {scheduler.prune} median');
  }
  if (objective.name === 'mnas') {
    if ((objective.targetParams === undefined) === (objective.targetLatencyMs === undefined))
      add('objective.name', '{value} needs one target: {objective.targetParams} N or {objective.targetLatencyMs} T', 'mnas');
  } else {
    for (const key of ['targetParams', 'targetLatencyMs', 'w', 'latencyOn'] as const)
      if (objective[key] !== undefined) add(`objective.${key}`, 'only applies with {objective.name} mnas');
  }
  return issues;
}

/** Fills the defaults that depend on other fields; `c` is valid and has its evaluator. */
function fillDefaults(c: SearchConfig): SearchConfig {
  const ws = c.evaluator.kind === 'weight-sharing';
  const preset = c.strategy.preset ?? defaultPreset(ws);
  const p = PRESETS[preset];
  const controller = {
    ...p.controller,
    ...(c.strategy.warmup.count > 0 ? p.warmStarted : {}),
    ...Object.fromEntries(Object.entries(c.strategy.controller).filter(([, v]) => v !== undefined)),
  } as SearchConfig['strategy']['controller'];
  const scheduler = { ...c.scheduler };
  if (scheduler.fidelity !== 'full') {
    const epochs = c.evaluator.kind === 'child' ? c.evaluator.epochs : 1;
    scheduler.maxEpochs ??= epochs;
    scheduler.factor ??= 3;
  }
  if (scheduler.proxyRung) scheduler.factor ??= 3;
  if (scheduler.prune === 'median') {
    scheduler.pruneWarmup ??= 0;
    scheduler.pruneStartup ??= 5;
  }
  const objective = c.objective.name === 'mnas' ? { ...c.objective, w: c.objective.w ?? -0.07 } : c.objective;
  return {
    ...c,
    ...(ws ? {} : { episodes: c.episodes ?? 150 }),
    strategy: { ...c.strategy, preset, controller, baseline: { ...c.strategy.baseline, decay: c.strategy.baseline.decay ?? p.baselineDecay } },
    scheduler,
    objective,
  };
}

/** The evaluator a config means when it names none: table lookups for a table space, trained children otherwise. */
const defaultEvaluator = (space: string) => (space === 'nas-bench-201' ? { kind: 'table' as const } : { kind: 'child' as const });

export interface ResolveOptions {
  /** Named in errors: a file's path, `--config FILE`, `search()`. */
  source?: string;
  /** The seed when the config has none (default: a random one). */
  seed?: () => number;
}

/**
 * Checks `input` against the SearchConfig schema and the rules between its fields and returns the
 * whole config, every default filled in; throws a SearchConfigError naming each bad field.
 */
export function resolveSearchConfig(input: unknown, options: ResolveOptions = {}): SearchConfig {
  const source = options.source ?? 'search config';
  const withEvaluator =
    input !== null && typeof input === 'object' && !Array.isArray(input) && (input as { evaluator?: unknown }).evaluator === undefined
      ? { ...input, evaluator: defaultEvaluator(String((input as { problem?: { space?: unknown } }).problem?.space ?? 'nasnet')) }
      : input;
  const parsed = SearchConfigSchema.safeParse(withEvaluator);
  if (!parsed.success)
    throw new SearchConfigError(
      parsed.error.issues.map((i) => describeIssue(i, withEvaluator)),
      source,
    );
  const seed = parsed.data.seed ?? (options.seed ?? (() => Math.floor(Math.random() * 2 ** 31)))();
  const config = { ...parsed.data, seed } as SearchConfig;
  const issues = crossChecks(config);
  if (issues.length > 0) throw new SearchConfigError(issues, source);
  if (config.scheduler.fidelity !== 'full') {
    const filled = fillDefaults(config);
    if (maxBracket(filled.scheduler.maxEpochs!, filled.scheduler.factor!) === 0)
      throw new SearchConfigError(
        [
          {
            path: 'scheduler.maxEpochs',
            phrase: true,
            value: filled.scheduler.maxEpochs,
            message: `{value} is below {scheduler.factor} ${filled.scheduler.factor}: ${config.scheduler.fidelity} would train every child ${filled.scheduler.maxEpochs} epochs, as {scheduler.fidelity} full does; raise {scheduler.maxEpochs} (e.g. ${filled.scheduler.factor! ** 2})`,
          },
        ],
        source,
      );
    return filled;
  }
  return fillDefaults(config);
}

/** The config as another search would start from it: the run's own facts (`run`) left out. */
export function settingsOnly(config: SearchConfig): SearchConfig {
  const { run: _run, $schema: _schema, ...rest } = config;
  return rest as SearchConfig;
}
