import { describe, expect, it } from 'vitest';
import { CellsValidationError, cellsKey, mutateCells, sampleCells, validateCells, type Mutation, type CellSpace } from '../../../src/spaces/nasnet/index.js';
import { Rng } from '../../../src/util/random.js';
import { EXAMPLE, clone, diffChoices } from './helpers.js';

const FLAT: CellSpace = { blocks: 5, hierarchical: false };
const HIER: CellSpace = { blocks: 5, hierarchical: true };

describe('mutateCells', () => {
  for (const space of [FLAT, HIER]) {
    it(`changes exactly one choice to another valid value (${space.hierarchical ? 'hierarchical' : 'flat'})`, () => {
      const rng = new Rng(21);
      for (let t = 0; t < 300; t++) {
        const parent = sampleCells(rng, space);
        const before = clone(parent);
        const logged: Mutation[] = [];
        const child = mutateCells(parent, rng, space, { onMutation: (m) => logged.push(m) });
        expect(parent).toEqual(before); // the parent is left alone
        expect(validateCells(child, space)).toEqual(child);
        const diff = diffChoices(parent, child);
        expect(diff).toHaveLength(1);
        expect(logged).toHaveLength(1);
        const m = logged[0];
        expect(diff[0]).toBe(`${m.cell}[${m.block}].${m.field}`);
        expect(m.from).not.toBe(m.to);
        if (!space.hierarchical) expect(cellsKey(child)).not.toBe(cellsKey(parent));
      }
    });
  }

  it('reaches every kind of choice in both cells, and block references in hierarchical cells', () => {
    const rng = new Rng(3);
    const seen = new Set<string>();
    let refs = 0;
    for (let t = 0; t < 400; t++) {
      mutateCells(EXAMPLE, rng, HIER, {
        onMutation: (m) => {
          seen.add(`${m.cell}.${m.field}`);
          if (typeof m.to === 'number' && m.to >= 2) refs++;
        },
      });
    }
    expect(seen.size).toBe(10);
    expect(refs).toBeGreaterThan(0);
  });

  it('is deterministic for a given seed', () => {
    const a = mutateCells(EXAMPLE, new Rng(99), FLAT, { mutations: 3 });
    const b = mutateCells(EXAMPLE, new Rng(99), FLAT, { mutations: 3 });
    expect(a).toEqual(b);
  });

  it('applies the requested number of mutations', () => {
    const rng = new Rng(4);
    const logged: Mutation[] = [];
    const child = mutateCells(EXAMPLE, rng, FLAT, { mutations: 4, onMutation: (m) => logged.push(m) });
    expect(logged).toHaveLength(4);
    expect(diffChoices(EXAMPLE, child).length).toBeLessThanOrEqual(4);
    expect(diffChoices(EXAMPLE, child).length).toBeGreaterThan(0);
    expect(mutateCells(EXAMPLE, rng, FLAT, { mutations: 0 })).toEqual(EXAMPLE);
    expect(() => mutateCells(EXAMPLE, rng, FLAT, { mutations: -1 })).toThrow(RangeError);
  });

  it('rejects a parent that does not fit the space', () => {
    const bad = clone(EXAMPLE);
    bad.normal[3].inputs[0] = 4;
    expect(() => mutateCells(bad, new Rng(1), FLAT)).toThrow(CellsValidationError);
    expect(() => mutateCells(EXAMPLE, new Rng(1), { blocks: 4, hierarchical: false })).toThrow(/expected 4 blocks, got 5/);
  });
});
