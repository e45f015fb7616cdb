import { describe, expect, it } from 'vitest';
import {
  canonicalCell,
  canonicalCells,
  cellsHash,
  cellsKey,
  sameArchitecture,
  sampleCells,
  validateCells,
  type Cell,
  type CellPair,
  type CellSpace,
} from '../../../src/spaces/nasnet/index.js';
import { Rng } from '../../../src/util/random.js';
import { EXAMPLE, clone, isomorphicPairs, shufflePair } from './helpers.js';

const HIER: CellSpace = { blocks: 5, hierarchical: true };

function swapBranches(pair: CellPair, kind: 'normal' | 'reduction', b: number): CellPair {
  const out = clone(pair);
  const block = out[kind][b];
  block.inputs.reverse();
  block.ops.reverse();
  return out;
}

describe('cellsKey on flat cells', () => {
  it('is readable and fixed for the reference example', () => {
    expect(cellsKey(EXAMPLE)).toBe(
      'normal: add(0:identity,1:sep_7x7) add(0:sep_3x3,1:identity) add(1:avg_3x3,1:sep_5x5) ' +
        'concat(0:avg_3x3,1:sep_3x3) concat(0:max_3x3,0:sep_3x3) | ' +
        'reduction: add(0:max_3x3,0:sep_3x3) add(0:max_3x3,1:sep_5x5) add(1:avg_3x3,1:identity) ' +
        'concat(0:sep_3x3,1:sep_7x7) concat(0:sep_5x5,1:identity)',
    );
    expect(cellsHash(EXAMPLE)).toMatch(/^[0-9a-f]{12}$/);
  });

  it('ignores block order', () => {
    const reversed = { normal: [...EXAMPLE.normal].reverse(), reduction: [...EXAMPLE.reduction].reverse() };
    expect(cellsKey(reversed)).toBe(cellsKey(EXAMPLE));
    expect(cellsHash(reversed)).toBe(cellsHash(EXAMPLE));
  });

  it('ignores branch order for add and for concat', () => {
    expect(EXAMPLE.normal[0].combine).toBe('add');
    expect(EXAMPLE.normal[2].combine).toBe('concat');
    expect(cellsKey(swapBranches(EXAMPLE, 'normal', 0))).toBe(cellsKey(EXAMPLE));
    expect(cellsKey(swapBranches(EXAMPLE, 'normal', 4))).toBe(cellsKey(EXAMPLE));
    expect(cellsHash(swapBranches(EXAMPLE, 'reduction', 1))).toBe(cellsHash(EXAMPLE));
  });

  it('is invariant under random reorderings of sampled pairs', () => {
    const rng = new Rng(11);
    for (let t = 0; t < 50; t++) {
      const pair = sampleCells(rng);
      const key = cellsKey(pair);
      for (let s = 0; s < 3; s++) expect(cellsKey(shufflePair(pair, rng))).toBe(key);
    }
  });

  it('distinguishes truly different cells', () => {
    const variants: CellPair[] = [];
    const op = clone(EXAMPLE);
    op.normal[0].ops[1] = 'sep_5x5';
    variants.push(op);
    const input = clone(EXAMPLE);
    input.normal[1].inputs[0] = 0;
    variants.push(input);
    const combine = clone(EXAMPLE);
    combine.reduction[2].combine = 'concat';
    variants.push(combine);
    // Same branches, but re-paired: (0:a, 1:b) + (0:c, 1:d) vs (0:a, 1:d) + (0:c, 1:b).
    const repaired = clone(EXAMPLE);
    [repaired.normal[0].ops[1], repaired.normal[4].ops[1]] = [repaired.normal[4].ops[1], repaired.normal[0].ops[1]];
    variants.push(repaired);
    // Normal and reduction swapped: a different network.
    variants.push({ normal: EXAMPLE.reduction, reduction: EXAMPLE.normal });
    // One op moved to the other input of its own block: (0:sep_3x3, 1:identity) -> (0:identity, 1:sep_3x3).
    const moved = clone(EXAMPLE);
    moved.normal[0].ops.reverse();
    variants.push(moved);

    const keys = new Set([cellsKey(EXAMPLE), ...variants.map(cellsKey)]);
    expect(keys.size).toBe(variants.length + 1);
    const hashes = new Set([cellsHash(EXAMPLE), ...variants.map(cellsHash)]);
    expect(hashes.size).toBe(variants.length + 1);
  });

  it('keeps multiplicity: a repeated block is not the same as a single one', () => {
    const a = clone(EXAMPLE);
    const b = clone(EXAMPLE);
    b.normal[1] = clone(b.normal[0]); // blocks 0 and 1 now equal, block 1's original gone
    const c = clone(EXAMPLE);
    c.normal[0] = clone(c.normal[1]);
    expect(new Set([cellsKey(a), cellsKey(b), cellsKey(c)]).size).toBe(3);
  });
});

describe('cellsKey on hierarchical cells', () => {
  // Blocks: 0 = f(h0) + f(h1), 1 = its twin, 2 reads block 0, 3 and 4 are independent.
  const twin = { inputs: [0, 1] as [number, number], ops: ['sep_3x3', 'sep_5x5'] as ['sep_3x3', 'sep_5x5'], combine: 'add' as const };
  function cell(refs: [number, number]): Cell {
    return [
      clone(twin),
      clone(twin),
      { inputs: refs, ops: ['max_3x3', 'max_3x3'], combine: 'concat' },
      { inputs: [1, 1], ops: ['identity', 'avg_3x3'], combine: 'add' },
      { inputs: [0, 4], ops: ['sep_7x7', 'identity'], combine: 'add' },
    ];
  }

  it('treats reading either of two identical blocks as the same architecture', () => {
    const a = { normal: cell([2, 2]), reduction: EXAMPLE.reduction };
    const b = { normal: cell([3, 3]), reduction: EXAMPLE.reduction };
    expect(validateCells(a, HIER)).toEqual(a);
    expect(cellsKey(a)).toBe(cellsKey(b));
  });

  it('keeps sharing: reading one block twice differs from reading two identical blocks once each', () => {
    const shared = { normal: cell([2, 2]), reduction: EXAMPLE.reduction };
    const split = { normal: cell([2, 3]), reduction: EXAMPLE.reduction };
    expect(cellsKey(shared)).not.toBe(cellsKey(split));
  });

  it('follows references when blocks are reordered', () => {
    const a = { normal: cell([2, 3]), reduction: EXAMPLE.reduction };
    // Move block 3 (identity+avg) to the front and renumber every reference.
    const moved: Cell = [a.normal[3], a.normal[0], a.normal[1], { ...a.normal[2], inputs: [3, 4] }, { ...a.normal[4], inputs: [0, 5] }];
    expect(validateCells({ normal: moved, reduction: EXAMPLE.reduction }, HIER)).toBeTruthy();
    expect(cellsKey({ normal: moved, reduction: EXAMPLE.reduction })).toBe(cellsKey(a));
    // The same moves without renumbering point at different blocks: a different architecture.
    const stale: Cell = [a.normal[3], a.normal[0], a.normal[1], a.normal[2], a.normal[4]];
    expect(cellsKey({ normal: stale, reduction: EXAMPLE.reduction })).not.toBe(cellsKey(a));
  });

  it('is invariant under random valid reorderings and agrees with brute-force isomorphism', () => {
    const rng = new Rng(5);
    for (let t = 0; t < 40; t++) {
      const pair = sampleCells(rng, HIER);
      const shuffled = shufflePair(pair, rng);
      expect(validateCells(shuffled, HIER)).toEqual(shuffled);
      expect(cellsKey(shuffled)).toBe(cellsKey(pair));
      expect(isomorphicPairs(pair, shuffled)).toBe(true);
    }
  });

  it('canonical form is itself a valid cell with the same key (idempotent)', () => {
    const rng = new Rng(8);
    for (let t = 0; t < 30; t++) {
      const pair = sampleCells(rng, HIER);
      const canon = canonicalCells(pair);
      expect(validateCells(canon, HIER)).toEqual(canon);
      expect(canonicalCells(canon)).toEqual(canon);
      expect(cellsKey(canon)).toBe(cellsKey(pair));
    }
  });

  it('handles many identical blocks without blowing up', () => {
    const same: Cell = Array.from({ length: 12 }, (_, b) => ({
      inputs: [0, b === 0 ? 1 : 2] as [number, number],
      ops: ['identity', 'identity'] as ['identity', 'identity'],
      combine: 'add' as const,
    }));
    const t0 = performance.now();
    expect(canonicalCell(same)).toHaveLength(12);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('sameArchitecture compares by key', () => {
    expect(sameArchitecture(EXAMPLE, swapBranches(EXAMPLE, 'normal', 3))).toBe(true);
    expect(sameArchitecture(EXAMPLE, { normal: EXAMPLE.reduction, reduction: EXAMPLE.normal })).toBe(false);
  });
});
