import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CellsValidationError, extractCells, parseCellsJson, validateCells, type CellsIssue, type CellSpace } from '../../../src/spaces/nasnet/index.js';
import { EXAMPLE, clone } from './helpers.js';

const HIER: CellSpace = { blocks: 5, hierarchical: true };

function issues(json: unknown, space?: CellSpace): CellsIssue[] {
  try {
    validateCells(json, space);
  } catch (e) {
    expect(e).toBeInstanceOf(CellsValidationError);
    return (e as CellsValidationError).errors;
  }
  throw new Error('expected validation to fail');
}

function paths(json: unknown, space?: CellSpace): string[] {
  return issues(json, space).map((e) => e.path);
}

describe('validateCells: valid input', () => {
  it('accepts the reference example file and returns an equal, independent copy', () => {
    const json = JSON.parse(readFileSync('/work/shared/reference/cells-example.json', 'utf8'));
    const cells = validateCells(json);
    expect(cells).toEqual(EXAMPLE);
    cells.normal[0].ops[0] = 'identity';
    expect(json.normal[0].ops[0]).toBe('sep_3x3');
  });

  it('honours the block count of the space', () => {
    const three = { normal: EXAMPLE.normal.slice(0, 3), reduction: EXAMPLE.reduction.slice(0, 3) };
    expect(validateCells(three, { blocks: 3, hierarchical: false }).normal).toHaveLength(3);
    expect(paths(three)).toEqual(['normal', 'reduction']);
  });

  it('accepts hierarchical references to earlier blocks only in a hierarchical space', () => {
    const pair = clone(EXAMPLE);
    pair.normal[4].inputs = [5, 2]; // blocks 3 and 0
    pair.reduction[1].inputs = [2, 2];
    expect(validateCells(pair, HIER)).toEqual(pair);
    expect(paths(pair)).toEqual(['normal[4].inputs[0]', 'normal[4].inputs[1]', 'reduction[1].inputs[0]', 'reduction[1].inputs[1]']);
  });
});

describe('validateCells: messages', () => {
  it('names a bad operation and lists the valid ones', () => {
    const pair = clone(EXAMPLE) as any;
    pair.normal[2].ops[1] = 'sep_9x9';
    expect(issues(pair)).toEqual([
      {
        path: 'normal[2].ops[1]',
        message: '"sep_9x9" is not an operation (expected one of sep_3x3, sep_5x5, sep_7x7, avg_3x3, max_3x3, identity)',
      },
    ]);
  });

  it('reports a wrong block count', () => {
    const pair = clone(EXAMPLE);
    pair.reduction.pop();
    expect(issues(pair)).toEqual([{ path: 'reduction', message: 'expected 5 blocks, got 4' }]);
  });

  it('reports a flat input out of range', () => {
    const pair = clone(EXAMPLE);
    pair.normal[0].inputs[1] = 3;
    expect(issues(pair)).toEqual([{ path: 'normal[0].inputs[1]', message: '3 is out of range: flat cells take inputs 0 (h[i-1]) or 1 (h[i])' }]);
  });

  it('checks hierarchical ranges per block: block b takes 0..1+b', () => {
    const pair = clone(EXAMPLE);
    pair.normal[0].inputs[0] = 2; // block 0 may not read any block
    pair.normal[1].inputs[1] = 2; // ok: block 0
    pair.normal[3].inputs[0] = 4; // ok: block 2
    pair.normal[3].inputs[1] = 5; // itself
    pair.reduction[4].inputs[0] = 6; // itself
    pair.reduction[4].inputs[1] = 5; // ok: block 3
    expect(issues(pair, HIER)).toEqual([
      {
        path: 'normal[0].inputs[0]',
        message: '2 is out of range: block 0 of a hierarchical cell takes inputs 0 (h[i-1]) or 1 (h[i])',
      },
      {
        path: 'normal[3].inputs[1]',
        message: '5 is out of range: block 3 of a hierarchical cell takes inputs 0..4 (h[i-1], h[i], then blocks 0..2 of the same cell)',
      },
      {
        path: 'reduction[4].inputs[0]',
        message: '6 is out of range: block 4 of a hierarchical cell takes inputs 0..5 (h[i-1], h[i], then blocks 0..3 of the same cell)',
      },
    ]);
  });

  it('rejects negative and non-integer inputs', () => {
    const pair = clone(EXAMPLE) as any;
    pair.normal[1].inputs = [-1, 0.5];
    pair.normal[2].inputs = ['0', null];
    expect(issues(pair)).toEqual([
      { path: 'normal[1].inputs[0]', message: '-1 is out of range: flat cells take inputs 0 (h[i-1]) or 1 (h[i])' },
      { path: 'normal[1].inputs[1]', message: 'expected an integer input index, got 0.5' },
      { path: 'normal[2].inputs[0]', message: 'expected an integer input index, got "0"' },
      { path: 'normal[2].inputs[1]', message: 'expected an integer input index, got null' },
    ]);
  });

  it('reports a bad combine step, by value or by type', () => {
    const pair = clone(EXAMPLE) as any;
    pair.normal[1].combine = 'mul';
    pair.normal[2].combine = 1;
    expect(issues(pair)).toEqual([
      { path: 'normal[1].combine', message: '"mul" is not a combine step (expected add or concat)' },
      { path: 'normal[2].combine', message: 'expected a combine step, got 1 (expected add or concat)' },
    ]);
  });

  it('treats unknown keys as errors and suggests the near miss', () => {
    const pair = clone(EXAMPLE) as any;
    pair.normal[1].combin = pair.normal[1].combine;
    delete pair.normal[1].combine;
    pair.reductoin = [];
    pair.normal[3]['weird key'] = true;
    expect(issues(pair)).toEqual([
      { path: 'reductoin', message: 'unknown key (a cell pair has normal and reduction; did you mean "reduction"?)' },
      { path: 'normal[1].combin', message: 'unknown key (a block has inputs, ops and combine; did you mean "combine"?)' },
      { path: 'normal[1].combine', message: 'missing (expected add or concat)' },
      { path: 'normal[3]["weird key"]', message: 'unknown key (a block has inputs, ops and combine)' },
    ]);
  });

  it('reports wrong types at every level', () => {
    expect(issues([1, 2])).toEqual([{ path: '(root)', message: 'expected an object with "normal" and "reduction", got an array of length 2' }]);
    expect(paths(null)).toEqual(['(root)']);
    expect(paths('cells')).toEqual(['(root)']);
    expect(issues({ normal: {}, reduction: [1, [], null, 'x', EXAMPLE.normal[0]] })).toEqual([
      { path: 'normal', message: 'expected an array of 5 blocks, got an object' },
      { path: 'reduction[0]', message: 'expected a block object {inputs, ops, combine}, got 1' },
      { path: 'reduction[1]', message: 'expected a block object {inputs, ops, combine}, got an array of length 0' },
      { path: 'reduction[2]', message: 'expected a block object {inputs, ops, combine}, got null' },
      { path: 'reduction[3]', message: 'expected a block object {inputs, ops, combine}, got "x"' },
    ]);
    const pair = clone(EXAMPLE) as any;
    pair.normal[0].inputs = 0;
    pair.normal[1].ops = ['sep_3x3'];
    pair.normal[2].ops = ['sep_3x3', 'sep_3x3', 'sep_3x3'];
    expect(issues(pair)).toEqual([
      { path: 'normal[0].inputs', message: 'expected an array of 2 input indices, got 0' },
      { path: 'normal[1].ops', message: 'expected 2 operations, got 1' },
      { path: 'normal[2].ops', message: 'expected 2 operations, got 3' },
    ]);
  });

  it('reports missing cells and missing block fields', () => {
    expect(issues({})).toEqual([
      { path: 'normal', message: 'missing (expected an array of 5 blocks)' },
      { path: 'reduction', message: 'missing (expected an array of 5 blocks)' },
    ]);
    const pair = clone(EXAMPLE) as any;
    pair.reduction[2] = {};
    expect(paths(pair)).toEqual(['reduction[2].inputs', 'reduction[2].ops', 'reduction[2].combine']);
  });
});

describe('validateCells: collects every error', () => {
  it('reports all problems across both cells in document order, and lists them in the message', () => {
    const pair = clone(EXAMPLE) as any;
    pair.normal[0].inputs[0] = 7;
    pair.normal[2].ops[1] = 'conv';
    pair.normal[4].combine = 'sum';
    pair.reduction.push(clone(EXAMPLE.reduction[0]));
    pair.reduction[1].inputs = [0];
    let err: CellsValidationError | undefined;
    try {
      validateCells(pair);
    } catch (e) {
      err = e as CellsValidationError;
    }
    expect(err).toBeInstanceOf(CellsValidationError);
    expect(err!.name).toBe('CellsValidationError');
    expect(err!.errors.map((e) => e.path)).toEqual(['normal[0].inputs[0]', 'normal[2].ops[1]', 'normal[4].combine', 'reduction', 'reduction[1].inputs']);
    expect(err!.message.split('\n')[0]).toBe('Invalid cells (5 errors):');
    for (const e of err!.errors) expect(err!.message).toContain(`  ${e.path}: ${e.message}`);
  });

  it('keeps every error in .errors but caps the message listing', () => {
    const many = { normal: Array(100).fill(0), reduction: [] };
    try {
      validateCells(many);
      expect.unreachable();
    } catch (e) {
      const err = e as CellsValidationError;
      expect(err.errors).toHaveLength(102);
      expect(err.message).toContain('... and 62 more');
      expect(err.message.split('\n')).toHaveLength(42);
    }
  });
});

describe('wrapped best-cells format', () => {
  const wrapped = {
    format: 'nascent.best-cells',
    version: 1,
    cells: EXAMPLE,
    accuracy: 0.71,
    episode: 42,
    settings: { seed: 1 },
  };

  it('validateCells and extractCells accept the wrapper', () => {
    expect(validateCells(clone(wrapped))).toEqual(EXAMPLE);
    const out = extractCells(clone(wrapped));
    expect(out.cells).toEqual(EXAMPLE);
    expect(out.wrapper).toEqual({ format: 'nascent.best-cells', version: 1, accuracy: 0.71, episode: 42, settings: { seed: 1 } });
  });

  it('extractCells gives no wrapper for bare cells', () => {
    const out = extractCells(clone(EXAMPLE));
    expect(out.cells).toEqual(EXAMPLE);
    expect(out.wrapper).toBeUndefined();
  });

  it('prefixes paths inside the wrapper with cells.', () => {
    const bad = clone(wrapped) as any;
    bad.cells.normal[2].ops[1] = 'sep_9x9';
    bad.cells.extra = 1;
    expect(paths(bad)).toEqual(['cells.extra', 'cells.normal[2].ops[1]']);
    expect(issues({ ...wrapped, cells: null })).toEqual([{ path: 'cells', message: 'expected an object with "normal" and "reduction", got null' }]);
  });

  it('rejects a wrapper of another format', () => {
    expect(issues({ ...wrapped, format: 'something-else' })).toEqual([{ path: 'format', message: 'expected "nascent.best-cells", got "something-else"' }]);
  });

  it('treats cells next to normal/reduction as an unknown key, not a wrapper', () => {
    expect(paths({ ...clone(EXAMPLE), cells: EXAMPLE })).toEqual(['cells']);
  });
});

describe('parseCellsJson', () => {
  it('parses and validates text', () => {
    const text = readFileSync('/work/shared/reference/cells-example.json', 'utf8');
    expect(parseCellsJson(text, 'cells-example.json')).toEqual(EXAMPLE);
    expect(parseCellsJson(JSON.stringify({ format: 'nascent.best-cells', cells: EXAMPLE }))).toEqual(EXAMPLE);
  });

  it('names the file in syntax errors', () => {
    try {
      parseCellsJson('{"normal": [', 'runs/best-cells.json');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CellsValidationError);
      const err = e as CellsValidationError;
      expect(err.source).toBe('runs/best-cells.json');
      expect(err.errors).toHaveLength(1);
      expect(err.errors[0].path).toBe('(root)');
      expect(err.errors[0].message).toMatch(/^not valid JSON: /);
      expect(err.message).toMatch(/^Invalid cells in runs\/best-cells\.json \(1 error\):\n {2}\(root\): not valid JSON/);
    }
  });

  it('names the file in validation errors', () => {
    expect(() => parseCellsJson('{"normal": [], "reduction": []}', 'mine.json')).toThrow(
      /^Invalid cells in mine\.json \(2 errors\):\n {2}normal: expected 5 blocks, got 0\n {2}reduction: expected 5 blocks, got 0$/,
    );
  });
});

describe('bad search spaces', () => {
  it('are programming errors (RangeError), not validation errors', () => {
    expect(() => validateCells(EXAMPLE, { blocks: 0, hierarchical: false })).toThrow(RangeError);
    expect(() => validateCells(EXAMPLE, { blocks: 2.5, hierarchical: false })).toThrow(/invalid CellSpace/);
  });
});
