// NAS-Bench-201's space: the benchmark's string format, actions, sampling, mutation, the canonical
// key (checked against the table's own UniqueString on all 15,625 cells) and validation by path.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalNb201, formatNb201, nasBench201Space as space, NB201_OPS, parseNb201 } from '../../src/spaces/nas-bench-201.js';
import { SpaceValidationError } from '../../src/spaces/types.js';
import { Rng } from '../../src/util/random.js';
import { haveShared, NB201_TABLE } from '../helpers/shared.js';

const EXAMPLE = '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|';

describe('the NAS-Bench-201 space', () => {
  it('reads and writes the benchmark notation, and maps cells to six actions of five choices', () => {
    const cell = parseNb201(EXAMPLE);
    expect(cell.edges).toEqual(['nor_conv_3x3', 'nor_conv_3x3', 'avg_pool_3x3', 'skip_connect', 'nor_conv_3x3', 'skip_connect']);
    expect(formatNb201(cell)).toBe(EXAMPLE);
    expect(space.decisions.map((d) => d.choices)).toEqual([5, 5, 5, 5, 5, 5]);
    expect(space.decisions.map((d) => d.label)).toEqual(['edge 0->1', 'edge 0->2', 'edge 1->2', 'edge 0->3', 'edge 1->3', 'edge 2->3']);
    const actions = space.encode(cell);
    expect(actions).toEqual([3, 3, 4, 1, 3, 1]);
    expect(space.decode(actions)).toEqual(cell);
    expect(space.toJSON(cell)).toEqual({ arch: EXAMPLE });
    expect(space.validate(space.toJSON(cell))).toEqual(cell);
    expect(() => space.decode([0, 1, 2, 3, 4])).toThrow(/6 actions in \[0, 5\)/);
    expect(() => space.decode([0, 1, 2, 3, 4, 5])).toThrow(/6 actions/);
  });

  it('samples uniformly and mutates exactly one edge to another operation', () => {
    const rng = new Rng(3);
    const counts = new Array(NB201_OPS.length).fill(0);
    for (let i = 0; i < 5000; i++) counts[NB201_OPS.indexOf(space.sample(rng).edges[2])]++;
    for (const c of counts) expect(Math.abs(c / 5000 - 0.2)).toBeLessThan(0.03);
    for (let i = 0; i < 200; i++) {
      const parent = space.sample(rng);
      const child = space.mutate(parent, rng);
      expect(child.edges.filter((op, k) => op !== parent.edges[k])).toHaveLength(1);
    }
  });

  it('gives cells that compute the same function one key', () => {
    // an edge out of a node nothing reaches, and the 1<->2 symmetry when edge 1->2 is none
    const dead = parseNb201('|none~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|');
    const pruned = parseNb201('|none~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|none~1|skip_connect~2|');
    expect(space.key(dead)).toBe(space.key(pruned));
    const a = parseNb201('|nor_conv_1x1~0|+|nor_conv_3x3~0|none~1|+|none~0|avg_pool_3x3~1|skip_connect~2|');
    const b = parseNb201('|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|none~0|skip_connect~1|avg_pool_3x3~2|');
    expect(space.key(a)).toBe(space.key(b));
    expect(space.key(parseNb201(EXAMPLE))).not.toBe(space.key(a));
    expect(canonicalNb201(canonicalNb201(a))).toEqual(canonicalNb201(a));
  });

  it('names every bad path of an invalid cell', () => {
    const err = (v: unknown) => {
      try {
        space.validate(v);
      } catch (e) {
        expect(e).toBeInstanceOf(SpaceValidationError);
        return (e as SpaceValidationError).issues;
      }
      throw new Error('accepted');
    };
    expect(err({ edges: ['none', 'conv', 'none', 'none', 'none'] })).toEqual([
      { path: 'edges', message: 'expected 6 edges, got 5' },
      { path: 'edges[1]', message: expect.stringMatching(/unknown operation "conv"/) },
    ]);
    expect(err('|none~0|+|none~0|')[0].message).toMatch(/expected 3 nodes/);
    expect(err('|none~0|+|none~0|none~1|+|none~0|none~2|none~2|')[0]).toEqual({ path: '(root) node 3 edge 1', message: 'expected input ~1, got ~2' });
    expect(err({ arch: '|pool~0|+|none~0|none~1|+|none~0|none~1|none~2|' })[0].path).toBe('arch node 1 edge 0');
    expect(err(42)[0].message).toMatch(/expected a cell string/);
  });

  if (haveShared(NB201_TABLE, 'the NAS-Bench-201 table')) {
    it('round-trips every cell of the table; its key merges cells with dead edges or swapped nodes', () => {
      const rows = readFileSync(NB201_TABLE, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
      expect(rows).toHaveLength(15625);
      const keys = new Set<string>();
      const uniques = new Set<string>();
      for (const [, , , arch, unique] of rows) {
        const cell = parseNb201(arch);
        expect(formatNb201(cell)).toBe(arch);
        keys.add(space.key(cell));
        uniques.add(unique);
      }
      // The benchmark's UniqueString is another partition (it keeps ops on unreached nodes apart and
      // merges some sums algebraically): 6,466 classes against our 8,765, neither finer than the other.
      console.log(`NAS-Bench-201 key: ${keys.size} classes, the table's UniqueString ${uniques.size}`);
      expect(keys.size).toBe(8765);
      expect(uniques.size).toBe(6466);
    });
  }
});
