import { describe, expect, it } from 'vitest';
import { COMBINES, OPERATIONS, sampleCells, validateCells, type CellSpace } from '../../../src/spaces/nasnet/index.js';
import { Rng } from '../../../src/util/random.js';

describe('sampleCells', () => {
  it('is deterministic by seed and differs across seeds', () => {
    expect(sampleCells(new Rng(7))).toEqual(sampleCells(new Rng(7)));
    expect(sampleCells(new Rng(7))).not.toEqual(sampleCells(new Rng(8)));
  });

  for (const space of [
    { blocks: 5, hierarchical: false },
    { blocks: 5, hierarchical: true },
    { blocks: 2, hierarchical: true },
    { blocks: 8, hierarchical: false },
  ] as CellSpace[]) {
    it(`samples valid cells for ${JSON.stringify(space)}`, () => {
      const rng = new Rng(1);
      for (let t = 0; t < 200; t++) {
        const pair = sampleCells(rng, space);
        expect(validateCells(pair, space)).toEqual(pair);
      }
    });
  }

  it('covers every operation, combine and (hierarchical) every input of the last block', () => {
    const rng = new Rng(2);
    const ops = new Set<string>();
    const combines = new Set<string>();
    const lastInputs = new Set<number>();
    for (let t = 0; t < 300; t++) {
      const pair = sampleCells(rng, { blocks: 5, hierarchical: true });
      for (const block of [...pair.normal, ...pair.reduction]) {
        block.ops.forEach((o) => ops.add(o));
        combines.add(block.combine);
      }
      pair.normal[4].inputs.forEach((i) => lastInputs.add(i));
    }
    expect([...ops].sort()).toEqual([...OPERATIONS].sort());
    expect([...combines].sort()).toEqual([...COMBINES].sort());
    expect([...lastInputs].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
