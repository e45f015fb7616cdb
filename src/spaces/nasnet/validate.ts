// Cells come from files people edit by hand and from other programs, so validation reports every
// problem at once with the exact JSON path, and never lets a typo (an extra key) pass silently.
// Whatever JSON it is given, the only thing it throws is CellsValidationError.

import { CELL_KINDS, COMBINES, DEFAULT_SPACE, OPERATIONS, inputChoices, type Block, type Cell, type CellPair, type Combine, type CellSpace } from './types.js';

export interface CellsIssue {
  /** Where in the JSON, e.g. `normal[2].ops[1]`; `(root)` for the document itself. */
  path: string;
  message: string;
}

/** How many issues the error message lists; `.errors` always holds all of them. */
const MAX_LISTED = 40;

export class CellsValidationError extends Error {
  readonly errors: CellsIssue[];
  readonly source?: string;

  constructor(errors: CellsIssue[], source?: string) {
    const where = source === undefined ? '' : ` in ${source}`;
    const count = errors.length === 1 ? '1 error' : `${errors.length} errors`;
    const lines = errors.slice(0, MAX_LISTED).map((e) => `  ${e.path}: ${e.message}`);
    if (errors.length > MAX_LISTED) lines.push(`  ... and ${errors.length - MAX_LISTED} more`);
    super(`Invalid cells${where} (${count}):\n${lines.join('\n')}`);
    this.name = 'CellsValidationError';
    this.errors = errors;
    this.source = source;
  }
}

export const ROOT_PATH = '(root)';

const BLOCK_KEYS = ['inputs', 'ops', 'combine'] as const;
const PAIR_KEYS = CELL_KINDS;

/** The wrapper best-cells.json uses: `{format: "nascent.best-cells", version, cells, ...}`. */
export const BEST_CELLS_FORMAT = 'nascent.best-cells';

/** Throws RangeError for a malformed space: that is a programming error, not bad input. */
export function assertSpace(space: CellSpace): void {
  if (typeof space !== 'object' || space === null || !Number.isInteger(space.blocks) || space.blocks < 1 || typeof space.hierarchical !== 'boolean') {
    throw new RangeError(`invalid CellSpace ${safeJson(space)}: need {blocks: positive integer, hierarchical: boolean}`);
  }
}

/**
 * A clean, typed copy of the cells in `json`, which may be the bare `{normal, reduction}` object or
 * the best-cells wrapper `{cells: {normal, reduction}, ...}`. Throws CellsValidationError listing
 * every problem found.
 */
export function validateCells(json: unknown, space: CellSpace = DEFAULT_SPACE, source?: string): CellPair {
  return extractCells(json, space, source).cells;
}

export interface ExtractedCells {
  cells: CellPair;
  /** The rest of a best-cells wrapper (accuracy, episode, settings, ...), unvalidated; absent for bare cells. */
  wrapper?: Record<string, unknown>;
}

/** Like validateCells, but also hands back the wrapper's other fields when the document is wrapped. */
export function extractCells(json: unknown, space: CellSpace = DEFAULT_SPACE, source?: string): ExtractedCells {
  assertSpace(space);
  const errors: CellsIssue[] = [];
  let cells: CellPair | undefined;
  let wrapper: Record<string, unknown> | undefined;

  if (!isPlainObject(json)) {
    errors.push({ path: ROOT_PATH, message: `expected an object with "normal" and "reduction", got ${describe(json)}` });
  } else if (hasOwn(json, 'cells') && !hasOwn(json, 'normal') && !hasOwn(json, 'reduction')) {
    wrapper = {};
    for (const key of Object.keys(json)) if (key !== 'cells') wrapper[key] = json[key];
    if (hasOwn(json, 'format') && json.format !== BEST_CELLS_FORMAT) {
      errors.push({ path: 'format', message: `expected "${BEST_CELLS_FORMAT}", got ${describe(json.format)}` });
    }
    cells = checkPair(json.cells, 'cells', space, errors);
  } else {
    cells = checkPair(json, '', space, errors);
  }

  if (errors.length > 0 || cells === undefined) throw new CellsValidationError(errors, source);
  return wrapper === undefined ? { cells } : { cells, wrapper };
}

/**
 * One cell checked on its own, with as many blocks as it has (at least one): for code that builds
 * a cell outside a search space's fixed block count, such as the child network builder.
 */
export function validateCell(json: unknown, path: string, hierarchical: boolean): Cell {
  if (Array.isArray(json) && json.length === 0) throw new CellsValidationError([{ path, message: 'expected at least one block, got none' }]);
  const errors: CellsIssue[] = [];
  const blocks = Array.isArray(json) ? json.length : 1;
  const cell = checkCell({ cell: json }, 'cell', path, { blocks, hierarchical }, errors);
  if (errors.length > 0 || cell === undefined) throw new CellsValidationError(errors);
  return cell;
}

/** JSON text to validated cells; a syntax error names `source` (a file name) like any other issue. */
export function parseCellsJson(text: string, source?: string, space: CellSpace = DEFAULT_SPACE): CellPair {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new CellsValidationError([{ path: ROOT_PATH, message: `not valid JSON: ${reason}` }], source);
  }
  return validateCells(json, space, source);
}

function checkPair(value: unknown, prefix: string, space: CellSpace, errors: CellsIssue[]): CellPair | undefined {
  const at = (key: string) => (prefix === '' ? key : `${prefix}.${key}`);
  if (!isPlainObject(value)) {
    errors.push({
      path: prefix === '' ? ROOT_PATH : prefix,
      message: `expected an object with "normal" and "reduction", got ${describe(value)}`,
    });
    return undefined;
  }
  checkUnknownKeys(value, PAIR_KEYS, prefix, 'a cell pair has normal and reduction', errors);
  const normal = checkCell(value, 'normal', at('normal'), space, errors);
  const reduction = checkCell(value, 'reduction', at('reduction'), space, errors);
  return normal && reduction ? { normal, reduction } : undefined;
}

function checkCell(parent: Record<string, unknown>, key: string, path: string, space: CellSpace, errors: CellsIssue[]): Cell | undefined {
  if (!hasOwn(parent, key)) {
    errors.push({ path, message: `missing (expected an array of ${space.blocks} blocks)` });
    return undefined;
  }
  const value = parent[key];
  if (!Array.isArray(value)) {
    errors.push({ path, message: `expected an array of ${space.blocks} blocks, got ${describe(value)}` });
    return undefined;
  }
  let ok = true;
  if (value.length !== space.blocks) {
    errors.push({ path, message: `expected ${space.blocks} blocks, got ${value.length}` });
    ok = false;
  }
  const cell: Cell = [];
  for (let b = 0; b < value.length; b++) {
    const block = checkBlock(value[b], `${path}[${b}]`, b, space, errors);
    if (block === undefined) ok = false;
    else cell.push(block);
  }
  return ok ? cell : undefined;
}

function checkBlock(value: unknown, path: string, b: number, space: CellSpace, errors: CellsIssue[]): Block | undefined {
  if (!isPlainObject(value)) {
    errors.push({ path, message: `expected a block object {inputs, ops, combine}, got ${describe(value)}` });
    return undefined;
  }
  const before = errors.length;
  checkUnknownKeys(value, BLOCK_KEYS, path, 'a block has inputs, ops and combine', errors);

  const inputs = checkPairField(value, 'inputs', path, 'input indices', errors, (v, p) => checkInput(v, p, b, space, errors));
  const ops = checkPairField(value, 'ops', path, 'operations', errors, (v, p) => checkChoice(v, p, OPERATIONS, 'an operation', errors));
  let combine: Combine | undefined;
  if (!hasOwn(value, 'combine')) {
    errors.push({ path: `${path}.combine`, message: `missing (expected ${COMBINES.join(' or ')})` });
  } else {
    combine = checkChoice(value.combine, `${path}.combine`, COMBINES, 'a combine step', errors);
  }

  if (errors.length > before || !inputs || !ops || !combine) return undefined;
  return { inputs, ops, combine };
}

function checkPairField<T>(
  block: Record<string, unknown>,
  key: string,
  path: string,
  what: string,
  errors: CellsIssue[],
  check: (v: unknown, path: string) => T | undefined,
): [T, T] | undefined {
  const p = `${path}.${key}`;
  if (!hasOwn(block, key)) {
    errors.push({ path: p, message: `missing (expected an array of 2 ${what})` });
    return undefined;
  }
  const value = block[key];
  if (!Array.isArray(value)) {
    errors.push({ path: p, message: `expected an array of 2 ${what}, got ${describe(value)}` });
    return undefined;
  }
  let ok = true;
  if (value.length !== 2) {
    errors.push({ path: p, message: `expected 2 ${what}, got ${value.length}` });
    ok = false;
  }
  const out: T[] = [];
  for (let i = 0; i < value.length; i++) {
    const v = check(value[i], `${p}[${i}]`);
    if (v === undefined) ok = false;
    else out.push(v);
  }
  return ok ? [out[0], out[1]] : undefined;
}

function checkInput(value: unknown, path: string, b: number, space: CellSpace, errors: CellsIssue[]): number | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    errors.push({ path, message: `expected an integer input index, got ${describe(value)}` });
    return undefined;
  }
  const n = inputChoices(space, b);
  if (value < 0 || value >= n) {
    errors.push({ path, message: `${value} is out of range: ${inputRangeText(space, b)}` });
    return undefined;
  }
  return value + 0; // turns -0 into 0
}

function inputRangeText(space: CellSpace, b: number): string {
  if (!space.hierarchical) return 'flat cells take inputs 0 (h[i-1]) or 1 (h[i])';
  if (b === 0) return 'block 0 of a hierarchical cell takes inputs 0 (h[i-1]) or 1 (h[i])';
  const blocks = b === 1 ? 'block 0' : `blocks 0..${b - 1}`;
  return `block ${b} of a hierarchical cell takes inputs 0..${1 + b} (h[i-1], h[i], then ${blocks} of the same cell)`;
}

function checkChoice<T extends string>(value: unknown, path: string, choices: readonly T[], what: string, errors: CellsIssue[]): T | undefined {
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
  const expected = choices.length === 2 ? `${choices[0]} or ${choices[1]}` : `one of ${choices.join(', ')}`;
  const got = typeof value === 'string' ? `${describe(value)} is not ${what}` : `expected ${what}, got ${describe(value)}`;
  errors.push({ path, message: `${got} (expected ${expected})` });
  return undefined;
}

function checkUnknownKeys(value: Record<string, unknown>, known: readonly string[], path: string, hint: string, errors: CellsIssue[]): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const near = known.find((k) => editDistance(k, key) <= 2);
    const suggestion = near === undefined ? '' : `; did you mean "${near}"?`;
    const k = keyPath(key);
    const at = path === '' || k.startsWith('[') ? `${path}${k}` : `${path}.${k}`;
    errors.push({ path: at, message: `unknown key (${hint}${suggestion})` });
  }
}

/** A key as it would appear in a path: plain identifiers bare, anything else quoted. */
function keyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : `[${safeJson(key)}]`;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hasOwn(o: object, key: string): boolean {
  return Object.hasOwn(o, key);
}

/** A short description of any value that cannot itself throw (no String() on exotic objects). */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  switch (typeof v) {
    case 'undefined':
      return 'undefined';
    case 'string':
      return safeJson(v.length > 40 ? `${v.slice(0, 40)}...` : v);
    case 'number':
    case 'boolean':
      return String(v);
    case 'bigint':
      return `${v.toString()}n`;
    case 'object':
      return 'an object';
    default:
      return `a ${typeof v}`;
  }
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? describe(v);
  } catch {
    return 'an unprintable value';
  }
}
