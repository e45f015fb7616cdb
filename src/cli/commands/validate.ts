// `nascent validate FILE...`: checks cells files (best-cells.json, a bare {normal, reduction} pair,
// a trial record, or a whole trials.jsonl) and prints every problem with its JSON path. Each file
// is checked in its run's space: the one its own settings record, for a JSON-lines file the one
// the config.json beside it records, else the flags' NASNet space. trials.jsonl's lines are read
// through the trial record's schema, field by field, as a resume reads them.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { nasBench201Space } from '../../spaces/nas-bench-201/space.js';
import {
  JsonSyntaxError,
  checkBestCellsEnvelope,
  checkCellsDocument,
  parseJson,
  recordedSpaceOf,
  unreadableReason,
  type CellsDocument,
  type RecordedSpace,
} from '../../spaces/nasnet/cells-file.js';
import { cellsHash, keyHash } from '../../spaces/nasnet/key.js';
import { DEFAULT_SPACE, type CellSpace } from '../../spaces/nasnet/types.js';
import { CellsValidationError, type CellsIssue } from '../../spaces/nasnet/validate.js';
import { SpaceValidationError } from '../../spaces/types.js';
import { trialRecordIssues } from '../../store/records.js';
import { RUN_FILES } from '../../store/run-store.js';
import type { CommandSpec, ParsedArgs } from '../flags.js';

export const validateCommand: CommandSpec = {
  name: 'validate',
  brief: 'check cells files, printing every problem with its path',
  summary:
    'Check cells files: best-cells.json (docs/best-cells.md), a bare {normal, reduction} pair, or a\n' +
    "trials.jsonl line by line (every field of each record). Each file is checked in its run's space\n" +
    "(the file's own settings, or the config.json beside a .jsonl file). Prints `ok FILE: summary`, or\n" +
    'every problem as `FILE: PATH: MESSAGE`; exits 1 when any file is invalid.',
  positionals: [{ name: 'file', help: 'cells files to check', required: true, variadic: true }],
  flags: [
    {
      name: 'blocks',
      type: 'int',
      min: 1,
      max: 10,
      defaultLabel: "the file's settings.blocks, else 5",
      help: 'blocks per cell, for files that do not record it',
    },
    {
      name: 'hierarchical',
      type: 'bool',
      defaultLabel: "the file's settings.hierarchical, else off",
      help: 'blocks may read earlier blocks, for files that do not record it',
    },
    { name: 'json', type: 'bool', help: 'print one JSON object: every file checked, with its problems' },
  ],
  examples: ['nascent validate runs/*/best-cells.json', 'nascent validate --hierarchical my-cells.json', 'nascent validate runs/20250101-120000Z/trials.jsonl'],
};

/** The space for files that record none, from the flags. */
export function spaceFromFlags(args: ParsedArgs): CellSpace {
  return {
    blocks: (args.flags.blocks as number | undefined) ?? DEFAULT_SPACE.blocks,
    hierarchical: (args.flags.hierarchical as boolean | undefined) ?? DEFAULT_SPACE.hierarchical,
  };
}

const spaceText = (s: CellSpace) => `${s.blocks} ${s.hierarchical ? 'hierarchical' : 'flat'} block${s.blocks === 1 ? '' : 's'} per cell`;

/** One line saying what a valid document is. */
export function summarize(doc: CellsDocument): string {
  const key = `key ${cellsHash(doc.cells)}`;
  if (doc.kind === 'best-cells') {
    const b = doc.best!;
    return `best-cells v${b.version}, episode ${b.episode}, validation accuracy ${b.accuracy.toFixed(4)}, ${b.params} params, ${spaceText(doc.space)}, ${key}`;
  }
  if (doc.kind === 'wrapped') {
    const episode = typeof doc.wrapper?.episode === 'number' ? ` of episode ${doc.wrapper.episode}` : '';
    return `cells record${episode}, ${spaceText(doc.space)}, ${key}`;
  }
  return `cell pair, ${spaceText(doc.space)}, ${key}`;
}

/** One problem of a checked file: where (a line of a JSON-lines file, a column, a JSON path) and what. */
export interface FileProblem {
  line?: number;
  column?: number;
  path?: string;
  message: string;
}

/** What `nascent validate` found in one file (the elements of --json's `files`). */
export interface FileCheck {
  file: string;
  ok: boolean;
  /** The space the file was checked in: `nasnet` or `nas-bench-201`. */
  space?: string;
  /** For a valid file: what it is. */
  summary?: string;
  /** Records of a JSON-lines file. */
  records?: number;
  problems: FileProblem[];
}

/** A check as printed: `ok FILE: summary`, or a `FILE[:LINE[:COLUMN]]: [PATH: ]MESSAGE` line per problem. */
export function checkLines(check: FileCheck): string[] {
  if (check.ok) return [`ok ${check.file}: ${check.summary}`];
  return check.problems.map(
    (p) =>
      `${check.file}${p.line !== undefined ? `:${p.line}` : ''}${p.column !== undefined ? `:${p.column}` : ''}: ${p.path !== undefined ? `${p.path}: ` : ''}${p.message}`,
  );
}

/** Problems of one document; anything but a validation or syntax error is a bug and thrown. */
function problemsOf(err: unknown, line?: number): FileProblem[] {
  const at = line !== undefined ? { line } : {};
  if (err instanceof CellsValidationError) return err.errors.map((e) => ({ ...at, path: e.path, message: e.message }));
  if (err instanceof SpaceValidationError) return err.issues.map((e) => ({ ...at, path: e.path, message: e.message }));
  if (err instanceof JsonSyntaxError) return [{ line: line ?? err.line, column: err.column, message: `not valid JSON: ${err.reason}` }];
  throw err;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A NAS-Bench-201 architecture's issues, with paths under `prefix` (`cells`) where it is wrapped. */
function nb201Issues(value: unknown, prefix?: string): CellsIssue[] {
  try {
    nasBench201Space.validate(value);
    return [];
  } catch (err) {
    if (!(err instanceof SpaceValidationError)) throw err;
    return err.issues.map((i) => ({ path: prefix === undefined ? i.path : i.path === '(root)' ? prefix : `${prefix}.${i.path}`, message: i.message }));
  }
}

/** Checks a document of the NAS-Bench-201 space (best-cells file, record with `cells`, or bare cell); returns its summary. */
function checkNb201Document(json: unknown, source: string): string {
  const hasCells = isObject(json) && Object.hasOwn(json, 'cells');
  if (isObject(json) && Object.hasOwn(json, 'format')) {
    const issues = checkBestCellsEnvelope(json, source);
    issues.push(...(hasCells ? nb201Issues(json.cells, 'cells') : [{ path: 'cells', message: 'missing (expected {arch: the cell string})' }]));
    if (issues.length > 0) throw new CellsValidationError(issues, source);
    const cell = nasBench201Space.validate(json.cells);
    return `best-cells v${json.version}, episode ${json.episode}, accuracy ${(json.accuracy as number).toFixed(4)} (the table's test accuracy), NAS-Bench-201 cell, key ${keyHash(nasBench201Space.key(cell))}`;
  }
  const arch = hasCells ? json.cells : json;
  const issues = nb201Issues(arch, hasCells ? 'cells' : undefined);
  if (issues.length > 0) throw new CellsValidationError(issues, source);
  const key = `key ${keyHash(nasBench201Space.key(nasBench201Space.validate(arch)))}`;
  if (hasCells) return `cells record${typeof json.episode === 'number' ? ` of episode ${json.episode}` : ''}, NAS-Bench-201 cell, ${key}`;
  return `NAS-Bench-201 cell, ${key}`;
}

/** The space a document records in its `settings`, if it records one (problems of unreadable settings are pushed). */
function ownSpace(json: unknown, errors: CellsIssue[]): RecordedSpace | undefined {
  return isObject(json) && isObject(json.settings) ? recordedSpaceOf(json.settings, errors) : undefined;
}

/** Checks one document in `fallback` unless it records its own space; returns its summary and the space used. */
function checkDocument(json: unknown, fallback: RecordedSpace, source: string): { summary: string; space: string } {
  const errors: CellsIssue[] = [];
  const own = ownSpace(json, errors);
  const space = own ?? fallback;
  if (space.id === 'nas-bench-201') {
    if (errors.length > 0) throw new CellsValidationError(errors, source);
    return { summary: checkNb201Document(json, source), space: space.id };
  }
  // NASNet: the cells file reader checks the document's own settings itself (and says what is wrong with them).
  return { summary: summarize(checkCellsDocument(json, { space: space.shape, source })), space: space.id };
}

/** The space of the run a JSON-lines file lies in: its config.json's, when there is one beside it. */
function runSpaceBeside(file: string, fallback: RecordedSpace): { space: RecordedSpace; problems: FileProblem[] } {
  const config = join(dirname(file), RUN_FILES.config);
  if (!existsSync(config)) return { space: fallback, problems: [] };
  const fail = (message: string) => ({ space: fallback, problems: [{ message: `cannot read the run's space from ${config}: ${message}` }] });
  let json: unknown;
  try {
    json = parseJson(readFileSync(config, 'utf8'), config);
  } catch (err) {
    return fail(err instanceof JsonSyntaxError ? err.message : unreadableReason(err));
  }
  if (!isObject(json)) return fail('not a JSON object');
  const errors: CellsIssue[] = [];
  const space = recordedSpaceOf(json, errors);
  if (space === undefined) return fail(errors.map((e) => `${e.path.replace(/^settings\.?/, '') || '(root)'}: ${e.message}`).join('; '));
  return { space, problems: [] };
}

/** Checks one file in its run's space (`fallback` when it records none). */
export function validateFile(file: string, fallback: RecordedSpace | CellSpace): FileCheck {
  const given: RecordedSpace = 'id' in fallback ? fallback : { id: 'nasnet', shape: fallback };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { file, ok: false, problems: [{ message: `cannot read: ${unreadableReason(err)}` }] };
  }
  if (file.endsWith('.jsonl')) return validateLines(file, text, given);
  try {
    const { summary, space } = checkDocument(parseJson(text, file), given, file);
    return { file, ok: true, space, summary, problems: [] };
  } catch (err) {
    return { file, ok: false, problems: problemsOf(err) };
  }
}

/**
 * A JSON-lines file: every non-empty line is a record of its own. In trials.jsonl each is a trial
 * record, every field checked; in any, its cells are checked in the run's space.
 */
function validateLines(file: string, text: string, fallback: RecordedSpace): FileCheck {
  const { space, problems } = runSpaceBeside(file, fallback);
  const trials = basename(file) === RUN_FILES.trials;
  let records = 0;
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    records++;
    const where = `${file}:${i + 1}`;
    try {
      const json = parseJson(line, where);
      if (trials) for (const issue of trialRecordIssues(json)) problems.push({ line: i + 1, ...issue });
      // A trial record's cells are an object (or its schema said otherwise above): check them in the space.
      if (!trials || (isObject(json) && isObject(json.cells))) checkDocument(trials && isObject(json) ? { cells: json.cells } : json, space, where);
    } catch (err) {
      problems.push(...problemsOf(err, i + 1));
    }
  });
  if (records === 0) problems.push({ message: 'no records (the file is empty)' });
  if (problems.length > 0) return { file, ok: false, space: space.id, records, problems };
  return { file, ok: true, space: space.id, records, summary: `${records} record${records === 1 ? '' : 's'} with valid cells`, problems };
}

export async function runValidateCommand(args: ParsedArgs, log: (line: string) => void = console.log): Promise<number> {
  const fallback: RecordedSpace = { id: 'nasnet', shape: spaceFromFlags(args) };
  const checks = args.positionals.map((file) => validateFile(file, fallback));
  const ok = checks.every((c) => c.ok);
  if (args.flags.json === true) log(JSON.stringify({ ok, files: checks }, null, 2));
  else for (const check of checks) for (const line of checkLines(check)) log(line);
  return ok ? 0 : 1;
}
