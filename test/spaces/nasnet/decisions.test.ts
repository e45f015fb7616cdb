import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sampleCells } from '../../../src/spaces/nasnet/sample.js';
import { DEFAULT_SPACE, type CellPair, type CellSpace } from '../../../src/spaces/nasnet/types.js';
import { checkActions, decisionIndex, decisionSequence, decodeActions, encodeCells, maxChoices } from '../../../src/spaces/nasnet/decisions.js';
import { Rng } from '../../../src/util/random.js';

const HIER: CellSpace = { blocks: 5, hierarchical: true };

describe('decisionSequence', () => {
  it('asks input 1, input 2, op 1, op 2, combine per block, normal cell first: 50 decisions by default', () => {
    const seq = decisionSequence(DEFAULT_SPACE);
    expect(seq).toHaveLength(50);
    expect(seq.slice(0, 5).map((d) => [d.kind, d.slot, d.choices])).toEqual([
      ['input', 0, 2],
      ['input', 1, 2],
      ['op', 0, 6],
      ['op', 1, 6],
      ['combine', 0, 2],
    ]);
    expect(seq.slice(0, 25).every((d) => d.cell === 'normal')).toBe(true);
    expect(seq.slice(25).every((d) => d.cell === 'reduction')).toBe(true);
    expect(seq[49]).toMatchObject({ cell: 'reduction', block: 4, kind: 'combine' });
    seq.forEach((d, i) => expect(d.index).toBe(i));
  });

  it('gives block b of a hierarchical space 2 + b input choices, in both cells', () => {
    const seq = decisionSequence(HIER);
    for (const d of seq.filter((d) => d.kind === 'input')) expect(d.choices).toBe(2 + d.block);
    expect(maxChoices(HIER, 'input')).toBe(6);
    expect(maxChoices(DEFAULT_SPACE, 'input')).toBe(2);
  });

  it('decisionIndex agrees with the sequence', () => {
    const seq = decisionSequence(HIER);
    for (const d of seq) expect(decisionIndex(HIER, d.cell, d.block, d.kind, d.slot)).toBe(d.index);
    expect(decisionIndex(DEFAULT_SPACE, 'normal', 0, 'op', 0)).toBe(2);
    expect(() => decisionIndex(DEFAULT_SPACE, 'normal', 5, 'op', 0)).toThrow(/block/);
  });

  it('rejects a malformed space', () => {
    expect(() => decisionSequence({ blocks: 0, hierarchical: false })).toThrow(/blocks/);
    expect(() => decisionSequence({ blocks: 2, hierarchical: 'yes' as unknown as boolean })).toThrow(/hierarchical/);
  });
});

describe('encodeCells / decodeActions', () => {
  it('round-trips the reference example cells', () => {
    const cells = JSON.parse(readFileSync('/work/shared/reference/cells-example.json', 'utf8')) as CellPair;
    const actions = encodeCells(cells, DEFAULT_SPACE);
    expect(actions.slice(0, 5)).toEqual([0, 1, 0, 5, 0]); // sep_3x3, identity, add
    expect(decodeActions(actions, DEFAULT_SPACE)).toEqual(cells);
  });

  for (const space of [DEFAULT_SPACE, HIER, { blocks: 2, hierarchical: true }]) {
    it(`round-trips random cells and random action arrays (${JSON.stringify(space)})`, () => {
      const seq = decisionSequence(space);
      fc.assert(
        fc.property(fc.integer(), (seed) => {
          const cells = sampleCells(new Rng(seed), space);
          const actions = encodeCells(cells, space);
          expect(actions).toHaveLength(seq.length);
          checkActions(actions, space);
          expect(decodeActions(actions, space)).toEqual(cells);
        }),
        { numRuns: 200 },
      );
      fc.assert(
        fc.property(fc.tuple(...seq.map((d) => fc.integer({ min: 0, max: d.choices - 1 }))), (actions) => {
          expect(encodeCells(decodeActions(actions, space), space)).toEqual(actions);
        }),
        { numRuns: 200 },
      );
    });
  }

  it('names what is wrong in bad input', () => {
    const actions = encodeCells(sampleCells(new Rng(3), DEFAULT_SPACE), DEFAULT_SPACE);
    expect(() => decodeActions(actions.slice(1), DEFAULT_SPACE)).toThrow(/expected 50 actions/);
    const bad = [...actions];
    bad[27] = 6; // reduction block 0, op 1
    expect(() => decodeActions(bad, DEFAULT_SPACE)).toThrow(/action 27 \(reduction block 0 op 1\)/);
    const hierActions = encodeCells(sampleCells(new Rng(3), HIER), HIER);
    hierActions[0] = 2; // block 0 has only inputs 0 and 1
    expect(() => decodeActions(hierActions, HIER)).toThrow(/action 0/);

    const cells = sampleCells(new Rng(4), DEFAULT_SPACE);
    expect(() => encodeCells({ ...cells, normal: cells.normal.slice(1) }, DEFAULT_SPACE)).toThrow(/normal cell has 4 blocks/);
    const withBadOp = structuredClone(cells);
    (withBadOp.reduction[2].ops as string[])[1] = 'conv_9x9';
    expect(() => encodeCells(withBadOp, DEFAULT_SPACE)).toThrow(/reduction block 2: unknown operation "conv_9x9"/);
    const withBadInput = structuredClone(cells);
    withBadInput.normal[1].inputs[0] = 2;
    expect(() => encodeCells(withBadInput, DEFAULT_SPACE)).toThrow(/normal block 1: input 2 is out of range/);
  });
});
