// A small declarative flag parser: each command lists its flags once, and from that list come the
// parsing, the range checks, the error messages that name the flag, and the --help text.

export type FlagValue = number | string | boolean | number[];

interface FlagBase {
  name: string; // without the leading dashes
  help: string;
  /** Shown in --help instead of the default value when that would mislead (e.g. a timestamp). */
  defaultLabel?: string;
}
export type FlagSpec = FlagBase &
  (
    | { type: 'int'; default?: number; min?: number; max?: number }
    | { type: 'number'; default?: number; min?: number; max?: number; exclusiveMin?: boolean }
    | { type: 'string'; default?: string }
    | { type: 'bool'; default?: boolean }
    | { type: 'enum'; choices: readonly string[]; default?: string }
    | { type: 'int-list'; default?: number[]; length?: number; min?: number; max?: number }
  );

export interface PositionalSpec {
  name: string;
  help: string;
  required?: boolean;
  variadic?: boolean;
}

export interface CommandSpec {
  name: string;
  /** One line for the command overview. */
  brief: string;
  summary: string;
  positionals?: PositionalSpec[];
  flags: FlagSpec[];
  examples?: string[];
}

export interface ParsedArgs {
  flags: Record<string, FlagValue | undefined>;
  positionals: string[];
  /** Flags the user gave on the command line (as opposed to defaults). */
  given: Set<string>;
}

/** A mistake in how a command was called: printed with the usage, exit status 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: CommandSpec,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

export function closest(word: string, candidates: readonly string[]): string | undefined {
  // A truncated or extended name (--epoch for --epochs, --batch for --batch-size) is the likeliest slip.
  const prefixed = candidates.filter((c) => word.length >= 3 && (c.startsWith(word) || word.startsWith(c)));
  if (prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = editDistance(word, c);
    if (dist < bestD) [best, bestD] = [c, dist];
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function rangeText(min?: number, max?: number): string {
  if (min !== undefined && max !== undefined) return ` between ${min} and ${max}`;
  if (min !== undefined) return ` ≥ ${min}`;
  if (max !== undefined) return ` ≤ ${max}`;
  return '';
}

function parseValue(spec: FlagSpec, raw: string, cmd: CommandSpec): FlagValue {
  const fail = (what: string): never => {
    throw new UsageError(`--${spec.name}: expected ${what}, got ${JSON.stringify(raw)}`, cmd);
  };
  switch (spec.type) {
    case 'int': {
      if (!/^[+-]?\d+$/.test(raw.trim())) fail(`an integer${rangeText(spec.min, spec.max)}`);
      const v = Number(raw);
      if (!Number.isSafeInteger(v) || (spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max))
        fail(`an integer${rangeText(spec.min, spec.max)}`);
      return v;
    }
    case 'number': {
      const v = Number(raw);
      const lowOk = spec.min === undefined || (spec.exclusiveMin ? v > spec.min : v >= spec.min);
      if (raw.trim() === '' || !Number.isFinite(v) || !lowOk || (spec.max !== undefined && v > spec.max)) {
        const low = spec.min === undefined ? '' : spec.exclusiveMin ? ` > ${spec.min}` : ` ≥ ${spec.min}`;
        const high = spec.max === undefined ? '' : `${low ? ' and' : ''} ≤ ${spec.max}`;
        fail(`a number${low}${high}`);
      }
      return v;
    }
    case 'string':
      if (raw === '') fail('a non-empty value');
      return raw;
    case 'bool': {
      if (['true', '1', 'yes'].includes(raw)) return true;
      if (['false', '0', 'no'].includes(raw)) return false;
      return fail('true or false');
    }
    case 'enum':
      if (!spec.choices.includes(raw)) fail(`one of ${spec.choices.join(', ')}`);
      return raw;
    case 'int-list': {
      const parts = raw.split(',').map((s) => s.trim());
      const what = `${spec.length ? `${spec.length} ` : ''}comma-separated integers${rangeText(spec.min, spec.max)}`;
      if (parts.some((p) => !/^\d+$/.test(p))) fail(what);
      const vs = parts.map(Number);
      if (spec.length !== undefined && vs.length !== spec.length) fail(what);
      if (vs.some((v) => (spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max))) fail(what);
      return vs;
    }
  }
}

export function parseArgs(cmd: CommandSpec, argv: string[]): ParsedArgs {
  const byName = new Map(cmd.flags.map((f) => [f.name, f]));
  const flags: Record<string, FlagValue | undefined> = {};
  const given = new Set<string>();
  const positionals: string[] = [];
  for (const f of cmd.flags) flags[f.name] = f.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '--') {
      if (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg)) throw new UsageError(`unknown option ${arg} (flags are written --name)`, cmd);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    let name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    let spec = byName.get(name);
    if (!spec && name.startsWith('no-') && byName.get(name.slice(3))?.type === 'bool') {
      spec = byName.get(name.slice(3));
      name = name.slice(3);
      if (inline !== undefined) throw new UsageError(`--no-${name} takes no value`, cmd);
      inline = 'false';
    }
    if (!spec) {
      const hint = closest(name, [...byName.keys()]);
      throw new UsageError(`unknown flag --${name}${hint ? ` (did you mean --${hint}?)` : ''}`, cmd);
    }
    if (given.has(name)) throw new UsageError(`--${name} is given twice`, cmd);
    let raw = inline;
    if (raw === undefined) {
      if (spec.type === 'bool') raw = 'true';
      else {
        raw = argv[++i];
        if (raw === undefined || (raw.startsWith('--') && raw.length > 2)) throw new UsageError(`--${name} needs a value`, cmd);
      }
    }
    flags[name] = parseValue(spec, raw, cmd);
    given.add(name);
  }
  const specs = cmd.positionals ?? [];
  const required = specs.filter((p) => p.required).length;
  const variadic = specs.some((p) => p.variadic);
  if (positionals.length < required)
    throw new UsageError(
      `missing ${specs
        .filter((p) => p.required)
        .slice(positionals.length)
        .map((p) => `<${p.name}>`)
        .join(' ')}`,
      cmd,
    );
  if (!variadic && positionals.length > specs.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[specs.length])}`, cmd);
  return { flags, positionals, given };
}

function describeDefault(f: FlagSpec): string {
  if (f.defaultLabel) return ` (default ${f.defaultLabel})`;
  if (f.default === undefined || f.default === false) return '';
  return ` (default ${Array.isArray(f.default) ? f.default.join(',') : String(f.default)})`;
}

export function valueHint(f: FlagSpec): string {
  switch (f.type) {
    case 'bool':
      return '';
    case 'int':
      return ' N';
    case 'number':
      return ' X';
    case 'enum':
      return ` ${f.choices.join('|')}`;
    case 'int-list':
      return ' A,B,...';
    case 'string':
      return ' VALUE';
  }
}

export function usage(cmd: CommandSpec, program = 'nascent'): string {
  const pos = (cmd.positionals ?? []).map((p) => (p.required ? `<${p.name}>` : `[${p.name}]`) + (p.variadic ? '...' : '')).join(' ');
  const lines = [`usage: ${program} ${cmd.name}${pos ? ' ' + pos : ''} [flags]`, '', cmd.summary, ''];
  if (cmd.positionals?.length) {
    lines.push('arguments:');
    for (const p of cmd.positionals) lines.push(`  ${p.name.padEnd(26)} ${p.help}`);
    lines.push('');
  }
  lines.push('flags:');
  const rows = cmd.flags.map((f) => [`--${f.name}${valueHint(f)}`, `${f.help}${describeDefault(f)}`]);
  rows.push(['--help', 'show this help']);
  const width = Math.min(34, Math.max(...rows.map((r) => r[0].length)) + 2);
  for (const [l, r] of rows) lines.push(`  ${l.padEnd(width)} ${r}`.replace(/\s+$/, ''));
  if (cmd.examples?.length) lines.push('', 'examples:', ...cmd.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}
