import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  COMBINES,
  CellsValidationError,
  OPERATIONS,
  cellsKey,
  mutateCells,
  parseCellsJson,
  sampleCells,
  validateCells,
  type Block,
  type Cell,
  type CellPair,
  type CellSpace,
} from '../../../src/spaces/nasnet/index.js';
import { Rng } from '../../../src/util/random.js';
import { EXAMPLE, isomorphicCells, shuffleCell, shufflePair } from './helpers.js';

const SPACES: CellSpace[] = [
  { blocks: 5, hierarchical: false },
  { blocks: 5, hierarchical: true },
  { blocks: 3, hierarchical: true },
];

/** Calls validateCells and fails on any exception other than CellsValidationError. */
function validatesOrReports(json: unknown, space?: CellSpace): CellPair | CellsValidationError {
  try {
    return validateCells(json, space);
  } catch (e) {
    if (!(e instanceof CellsValidationError)) throw e;
    expect(e.errors.length).toBeGreaterThan(0);
    for (const issue of e.errors) {
      expect(typeof issue.path).toBe('string');
      expect(issue.message.length).toBeGreaterThan(0);
    }
    return e;
  }
}

/** An independent statement of what a valid bare cell pair is. */
function oracleValid(json: unknown, space: CellSpace): boolean {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const cellOk = (c: unknown) =>
    Array.isArray(c) &&
    c.length === space.blocks &&
    c.every((b, k) => {
      if (!isObj(b) || Object.keys(b).sort().join() !== 'combine,inputs,ops') return false;
      const { inputs, ops, combine } = b;
      const limit = space.hierarchical ? 2 + k : 2;
      return (
        Array.isArray(inputs) &&
        inputs.length === 2 &&
        inputs.every((i) => Number.isInteger(i) && i >= 0 && i < limit) &&
        Array.isArray(ops) &&
        ops.length === 2 &&
        ops.every((o) => (OPERATIONS as readonly unknown[]).includes(o)) &&
        (COMBINES as readonly unknown[]).includes(combine)
      );
    });
  return isObj(json) && Object.keys(json).sort().join() === 'normal,reduction' && cellOk(json.normal) && cellOk(json.reduction);
}

// Mostly-plausible values with junk mixed in, so that random documents get deep into validation.
const junk = fc.oneof(fc.constant(null), fc.boolean(), fc.double(), fc.string({ maxLength: 6 }), fc.constant([]), fc.constant({}));
const anInput = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: -1, max: 6 }) }, { weight: 1, arbitrary: junk });
const anOp = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...OPERATIONS) },
  { weight: 1, arbitrary: fc.constantFrom('sep_9x9', 'conv') },
  { weight: 1, arbitrary: junk },
);
const aCombine = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...COMBINES) }, { weight: 1, arbitrary: junk });
const aBlock = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record(
      { inputs: fc.array(anInput, { minLength: 1, maxLength: 3 }), ops: fc.array(anOp, { minLength: 1, maxLength: 3 }), combine: aCombine },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.record({ inputs: fc.tuple(anInput, anInput), ops: fc.tuple(anOp, anOp), combine: aCombine, combin: aCombine }) },
  { weight: 1, arbitrary: junk },
);
const aCell = fc.oneof({ weight: 8, arbitrary: fc.array(aBlock, { minLength: 2, maxLength: 6 }) }, { weight: 1, arbitrary: junk });
const aPair = fc.oneof(
  { weight: 10, arbitrary: fc.record({ normal: aCell, reduction: aCell }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.record({ normal: aCell, reduction: aCell, extra: junk }) },
  { weight: 1, arbitrary: fc.record({ format: fc.constant('nascent.best-cells'), cells: fc.record({ normal: aCell, reduction: aCell }) }) },
);

// A sampled (valid) pair with a few random edits: near the boundary between valid and invalid.
const anEdit = fc.record({
  cell: fc.constantFrom('normal', 'reduction'),
  block: fc.nat(6),
  field: fc.constantFrom('inputs', 'ops', 'combine', 'combin', 'block', 'cell'),
  index: fc.nat(2),
  value: fc.oneof(anInput, anOp, aCombine, fc.constant(undefined)),
});
const anEditedPair = fc.tuple(fc.integer(), fc.constantFrom(...SPACES), fc.array(anEdit, { maxLength: 3 })).map(([seed, space, edits]) => {
  const json: any = JSON.parse(JSON.stringify(sampleCells(new Rng(seed), space)));
  for (const e of edits) {
    const cell = json[e.cell];
    const block = cell[e.block % cell.length];
    if (typeof block !== 'object' || block === null) continue; // an earlier edit replaced it
    if (e.field === 'cell') json[e.cell] = e.value === undefined ? cell.slice(1) : [...cell, block];
    else if (e.field === 'block') cell[e.block % cell.length] = e.value;
    else if (e.value === undefined) delete block[e.field];
    else if ((e.field === 'inputs' || e.field === 'ops') && Array.isArray(block[e.field])) block[e.field][e.index] = e.value;
    else block[e.field] = e.value;
  }
  return json as unknown;
});

describe('validateCells never throws anything but CellsValidationError', () => {
  it('for arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(...SPACES), (json, space) => {
        validatesOrReports(json, space);
      }),
      { numRuns: 1000 },
    );
  });

  it('for arbitrary JSON text, including invalid text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string()), (text) => {
        try {
          parseCellsJson(text, 'prop.json');
        } catch (e) {
          if (!(e instanceof CellsValidationError)) throw e;
          expect(e.message).toContain('prop.json');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('for arbitrary JS values, exotic objects included', () => {
    fc.assert(
      fc.property(
        fc.anything({
          withNullPrototype: true,
          withBigInt: true,
          withMap: true,
          withSet: true,
          withSparseArray: true,
          withTypedArray: true,
          withDate: true,
          withObjectString: true,
          withBoxedValues: true,
        }),
        (value) => {
          validatesOrReports(value);
          validatesOrReports({ normal: [value], reduction: value });
          validatesOrReports({ normal: [{ inputs: [value, 0], ops: [value, 'identity'], combine: value }], reduction: [] });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('and accepts exactly the documents an independent oracle accepts', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(aPair, anEditedPair), fc.constantFrom(...SPACES), (json, space) => {
        const out = validatesOrReports(json, space);
        const bare = typeof json === 'object' && json !== null && 'cells' in json ? json.cells : json;
        expect(!(out instanceof CellsValidationError)).toBe(oracleValid(bare, space));
        if (!(out instanceof CellsValidationError)) {
          accepted++;
          expect(out).toEqual(bare);
        }
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(100);
  });
});

describe('sampled and mutated cells', () => {
  it('always validate', () => {
    fc.assert(
      fc.property(fc.integer(), fc.constantFrom(...SPACES), fc.integer({ min: 1, max: 5 }), (seed, space, mutations) => {
        const rng = new Rng(seed);
        const pair = sampleCells(rng, space);
        expect(validateCells(pair, space)).toEqual(pair);
        const child = mutateCells(pair, rng, space, { mutations });
        expect(validateCells(child, space)).toEqual(child);
      }),
      { numRuns: 300 },
    );
  });

  it('keep their key under any valid reordering', () => {
    fc.assert(
      fc.property(fc.integer(), fc.constantFrom(...SPACES), (seed, space) => {
        const rng = new Rng(seed);
        const pair = sampleCells(rng, space);
        expect(cellsKey(shufflePair(pair, rng))).toBe(cellsKey(pair));
      }),
      { numRuns: 300 },
    );
  });
});

describe('cellsKey is exact on a tiny vocabulary where collisions are common', () => {
  // Two ops, one combine, 4 hierarchical blocks: random cells are often isomorphic without being
  // equal, and often nearly so, which tests both directions of "same key iff same architecture".
  const tinyCell = fc
    .tuple(
      ...[0, 1, 2, 3].map((b) =>
        fc.record({
          i: fc.integer({ min: 0, max: 1 + b }),
          j: fc.integer({ min: 0, max: 1 + b }),
          x: fc.constantFrom('identity', 'sep_3x3'),
          y: fc.constantFrom('identity', 'sep_3x3'),
        }),
      ),
    )
    .map((bs): Cell => bs.map(({ i, j, x, y }): Block => ({ inputs: [i, j], ops: [x, y] as Block['ops'], combine: 'add' })));
  const key = (c: Cell) => cellsKey({ normal: c, reduction: EXAMPLE.reduction });

  it('agrees with brute-force isomorphism', () => {
    let same = 0;
    fc.assert(
      fc.property(tinyCell, tinyCell, fc.integer(), fc.boolean(), (a, other, seed, related) => {
        const b = related ? shuffleCell(a, new Rng(seed)) : other;
        const iso = isomorphicCells(a, b);
        if (iso) same++;
        expect(key(a) === key(b)).toBe(iso);
      }),
      { numRuns: 2000 },
    );
    expect(same).toBeGreaterThan(100);
  });
});
