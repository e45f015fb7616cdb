// Reading any file that holds cells: a best-cells file (docs/best-cells.md, checked field by field
// like schema/best-cells.schema.json, plus the checks a schema cannot make), a bare
// {normal, reduction} pair such as cells-example.json, or another record wrapping `cells` (a line
// of trials.jsonl). Every problem is reported at once with its JSON path, as CellsValidationError.
import { readFileSync } from 'node:fs';
import { SEARCH_CONFIG_FORMAT } from '../../config/schema.js';
import { ConfigVersionError, upgradeConfig } from '../../config/upgrade.js';
import { jsonErrorOffset, lineAndColumn } from '../../util/json-syntax.js';
import { BEST_CELLS_FORMAT, BEST_CELLS_VERSION, BEST_CELLS_VERSIONS_READ, type BestCellsFile } from '../../store/records.js';
import { DEFAULT_SPACE, type CellPair, type CellSpace } from './types.js';
import { CellsValidationError, describe, extractCells, type CellsIssue } from './validate.js';

/** best-cells: a best-cells.json; wrapped: another record with a `cells` field; pair: bare cells. */
export type CellsDocumentKind = 'best-cells' | 'wrapped' | 'pair';

export interface CellsDocument {
  kind: CellsDocumentKind;
  cells: CellPair;
  /** The space the cells were checked against: the file's own settings, else the caller's. */
  space: CellSpace;
  /** The whole checked record, for best-cells files. */
  best?: BestCellsFile;
  /** The fields beside `cells` of a best-cells file or other wrapper, as found. */
  wrapper?: Record<string, unknown>;
}

export interface CellsDocumentOptions {
  /** Space for documents that do not record one (bare pairs, trial lines); default 5 flat blocks. */
  space?: CellSpace;
  /** Names the file in error messages. */
  source?: string;
}

/** The JSON text of a cells file is not JSON; line and column are 1-based. */
export class JsonSyntaxError extends Error {
  constructor(
    readonly source: string,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`${source}:${line}:${column}: not valid JSON: ${reason}`);
    this.name = 'JsonSyntaxError';
  }
}

/** JSON.parse whose syntax errors say at which line and column (Node's say so only at times). */
export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // Node's reason without its offset or its quoted snippet of the text, both replaced by line:column.
    const reason = message.replace(/\s*in JSON at position \d+[\s\S]*$/, '').replace(/, "[\s\S]*" is not valid JSON$/, '');
    const offset = jsonErrorOffset(text);
    const { line, column } = lineAndColumn(text, Math.max(offset, 0));
    throw new JsonSyntaxError(source, line, column, reason);
  }
}

/** Why a cells file could not be read, in words. */
export function unreadableReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory, not a cells file' : e.message;
}

/** Reads and checks a cells file; a file that cannot be read or parsed throws an error naming it. */
export function readCellsFile(path: string, opts: Omit<CellsDocumentOptions, 'source'> = {}): CellsDocument {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read cells file ${path}: ${unreadableReason(err)}`);
  }
  return checkCellsDocument(parseJson(text, path), { ...opts, source: path });
}

/** Checks parsed JSON as whichever kind of cells document it is. */
export function checkCellsDocument(json: unknown, opts: CellsDocumentOptions = {}): CellsDocument {
  const { source } = opts;
  if (isObject(json) && hasOwn(json, 'format')) return checkBestCells(json, source);
  if (isObject(json) && hasOwn(json, 'cells') && !hasOwn(json, 'normal') && !hasOwn(json, 'reduction')) {
    // A record of some other kind (a trial line): its settings, when it has usable ones, say the space.
    const recorded = isObject(json.settings) ? spaceOfSettings(json.settings, []) : undefined;
    const space = recorded ?? opts.space ?? DEFAULT_SPACE;
    const { cells, wrapper } = extractCells(json, space, source);
    return { kind: 'wrapped', cells, space, wrapper };
  }
  const space = opts.space ?? DEFAULT_SPACE;
  return { kind: 'pair', cells: extractCells(json, space, source).cells, space };
}

/**
 * A best-cells file checked as schema/best-cells.schema.json describes it, plus the two checks only
 * code can make: each cell has settings.blocks blocks, and hierarchical inputs name earlier blocks.
 */
export function checkBestCellsFile(json: unknown, source?: string): BestCellsFile {
  if (!isObject(json)) throw new CellsValidationError([{ path: '(root)', message: `expected a best-cells object, got ${describe(json)}` }], source);
  return checkBestCells(json, source).best!;
}

/**
 * The checks of a best-cells file that its space plays no part in: format, version, key, accuracy,
 * episode, params, and settings being an object. Throws at once (one issue) for another format or a
 * newer version, whose other fields would be misread; otherwise returns the issues found.
 */
export function checkBestCellsEnvelope(json: Record<string, unknown>, source?: string): CellsIssue[] {
  const errors: CellsIssue[] = [];
  const fail = (path: string, message: string) => errors.push({ path, message });
  // A file of another format, or of a version this code does not know, would be misread field by
  // field: say only that, and nothing about its other fields.
  if (json.format !== BEST_CELLS_FORMAT) {
    fail('format', `${describe(json.format)} is not a cells file format (expected "${BEST_CELLS_FORMAT}")`);
    throw new CellsValidationError(errors, source);
  }
  const version = json.version;
  if (!hasOwn(json, 'version')) fail('version', `missing (expected ${BEST_CELLS_VERSION})`);
  else if (typeof version === 'number' && Number.isInteger(version) && version > BEST_CELLS_VERSION) {
    fail('version', `version ${version} is newer than this nascent reads (version ${BEST_CELLS_VERSION}); upgrade nascent to read this file`);
    throw new CellsValidationError(errors, source);
  } else if (typeof version !== 'number' || !BEST_CELLS_VERSIONS_READ.includes(version))
    fail('version', `expected ${BEST_CELLS_VERSIONS_READ.join(' or ')}, got ${describe(version)}`);

  requireField(json, 'key', errors, (v) => (typeof v === 'string' && v.length > 0 ? undefined : `expected a non-empty string, got ${describe(v)}`));
  requireField(json, 'accuracy', errors, (v) => (typeof v === 'number' && v >= 0 && v <= 1 ? undefined : `expected a number from 0 to 1, got ${describe(v)}`));
  requireField(json, 'episode', errors, (v) => (isInteger(v) && v >= 1 ? undefined : `expected an integer ≥ 1 (episodes count from 1), got ${describe(v)}`));
  requireField(json, 'params', errors, (v) => (isInteger(v) && v >= 0 ? undefined : `expected an integer ≥ 0, got ${describe(v)}`));
  if (!hasOwn(json, 'settings')) fail('settings', 'missing (expected the search settings object)');
  else if (!isObject(json.settings)) fail('settings', `expected an object, got ${describe(json.settings)}`);
  return errors;
}

function checkBestCells(json: Record<string, unknown>, source?: string): CellsDocument {
  const errors = checkBestCellsEnvelope(json, source);
  let space = DEFAULT_SPACE;
  if (isObject(json.settings)) {
    const recorded = recordedSpaceOf(json.settings, errors);
    // Another space's architecture is no malformed cell pair: say that alone.
    if (recorded !== undefined && recorded.id !== 'nasnet') {
      errors.push(otherSpace(recorded.id));
      throw new CellsValidationError(errors, source);
    }
    space = recorded?.shape ?? DEFAULT_SPACE;
    checkChannels(json.settings, errors);
  }

  let cells: CellPair | undefined;
  if (!hasOwn(json, 'cells')) errors.push({ path: 'cells', message: 'missing (expected {normal, reduction})' });
  else {
    try {
      // Wrapped so that paths read cells.normal[0]..., and so a `cells` that is itself a wrapper is refused.
      cells = extractCells({ cells: json.cells }, space).cells;
    } catch (err) {
      if (!(err instanceof CellsValidationError)) throw err;
      errors.push(...err.errors);
    }
  }
  if (errors.length > 0 || cells === undefined) throw new CellsValidationError(errors, source);
  const wrapper: Record<string, unknown> = {};
  for (const key of Object.keys(json)) if (key !== 'cells') wrapper[key] = json[key];
  return { kind: 'best-cells', cells, space, best: { ...(json as unknown as BestCellsFile), cells }, wrapper };
}

/** A search's recorded settings in the current SearchConfig's shape; see upgradeSettings. */
export interface UpgradedSettings {
  /** The settings as a current SearchConfig document (not validated: readers check what they use). */
  config: Record<string, unknown>;
  /** They were version 1's flat keys (`blocks`, `channels`, `dataDir`): errors name those keys. */
  flat: boolean;
}

/**
 * A search's recorded settings (a run's config.json, best-cells.json's `settings`) of any version,
 * through upgradeConfig, so that version 1's flat keys are read where the current version keeps
 * them (blocks at problem.blocks, channels at evaluator.channels, dataDir at problem.data.dir).
 * Settings without `format` are version 1's flat keys, as best-cells.json documents them
 * (settings.blocks, .hierarchical, .channels; the data set cifar10 unless they name one), unless
 * they hold the current sections. Throws
 * ConfigVersionError for settings of another format or an unknown version.
 */
export function upgradeSettings(settings: Record<string, unknown>): UpgradedSettings {
  const current = settings.format !== undefined || isObject(settings.problem) || isObject(settings.evaluator);
  // Hand-written flat settings may leave the data set out: cifar10, as for a search.
  const raw = current ? settings : { dataset: 'cifar10', ...settings, format: SEARCH_CONFIG_FORMAT, version: 1 };
  return { config: upgradeConfig(raw, 'settings') as Record<string, unknown>, flat: raw.version === 1 };
}

/** The space recorded settings say a search ran in: NASNet cells of some shape, or NAS-Bench-201's cells. */
export type RecordedSpace = { id: 'nasnet'; shape: CellSpace } | { id: 'nas-bench-201' };

/**
 * The space recorded in settings of any version (NASNet with 5 flat blocks where they say
 * nothing); undefined, with issues pushed, when it is unreadable or blocks or hierarchical is
 * there but malformed.
 */
export function recordedSpaceOf(settings: Record<string, unknown>, errors: CellsIssue[]): RecordedSpace | undefined {
  let upgraded: UpgradedSettings;
  try {
    upgraded = upgradeSettings(settings);
  } catch (err) {
    if (!(err instanceof ConfigVersionError)) throw err;
    errors.push({ path: 'settings', message: err.message.replace(/^settings: /, '') });
    return undefined;
  }
  const { config, flat } = upgraded;
  const problem = isObject(config.problem) ? config.problem : {};
  const at = (key: string) => (flat ? `settings.${key}` : `settings.problem.${key}`);
  const id = problem.space ?? 'nasnet';
  if (id === 'nas-bench-201') return { id };
  if (id !== 'nasnet') {
    errors.push({ path: flat ? 'settings' : 'settings.problem.space', message: `unknown search space ${describe(id)}` });
    return undefined;
  }
  const before = errors.length;
  const { blocks = DEFAULT_SPACE.blocks, hierarchical = DEFAULT_SPACE.hierarchical } = problem;
  if (!isInteger(blocks) || blocks < 1) errors.push({ path: at('blocks'), message: `expected an integer ≥ 1, got ${describe(blocks)}` });
  if (typeof hierarchical !== 'boolean') errors.push({ path: at('hierarchical'), message: `expected true or false, got ${describe(hierarchical)}` });
  if (errors.length > before) return undefined;
  return { id, shape: { blocks: blocks as number, hierarchical: hierarchical as boolean } };
}

/**
 * The NASNet space recorded in settings of any version (blocks 5 and flat where absent);
 * undefined, with issues pushed, when it is unreadable, malformed, or another space's.
 */
export function spaceOfSettings(settings: Record<string, unknown>, errors: CellsIssue[]): CellSpace | undefined {
  const recorded = recordedSpaceOf(settings, errors);
  if (recorded === undefined) return undefined;
  if (recorded.id !== 'nasnet') {
    errors.push(otherSpace(recorded.id));
    return undefined;
  }
  return recorded.shape;
}

const otherSpace = (id: string): CellsIssue => ({ path: 'settings', message: `records a search of the ${id} space, whose architectures are not NASNet cells` });

/** The channels recorded in settings (settings.channels, or evaluator.channels), which `nascent train` reads: absent, or the filters of the five cells. */
function checkChannels(settings: Record<string, unknown>, errors: CellsIssue[]): void {
  let upgraded: UpgradedSettings;
  try {
    upgraded = upgradeSettings(settings);
  } catch {
    return; // recordedSpaceOf has said so
  }
  const evaluator = isObject(upgraded.config.evaluator) ? upgraded.config.evaluator : {};
  const path = upgraded.flat ? 'settings.channels' : 'settings.evaluator.channels';
  const { channels } = evaluator;
  if (channels === undefined) return;
  if (!Array.isArray(channels) || channels.length !== 5) {
    errors.push({ path, message: `expected 5 channel counts, got ${describe(channels)}` });
    return;
  }
  channels.forEach((c, i) => {
    if (!isInteger(c) || c < 1) errors.push({ path: `${path}[${i}]`, message: `expected an integer ≥ 1, got ${describe(c)}` });
  });
}

function requireField(json: Record<string, unknown>, key: string, errors: CellsIssue[], check: (v: unknown) => string | undefined): void {
  if (!hasOwn(json, key)) {
    errors.push({ path: key, message: 'missing' });
    return;
  }
  const problem = check(json[key]);
  if (problem !== undefined) errors.push({ path: key, message: problem });
}

function isInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hasOwn(o: object, key: string): boolean {
  return Object.hasOwn(o, key);
}
