// NAS-Bench-201's space: the benchmark's string format, actions, sampling, mutation, the canonical
// key (over the whole space, and against the table's own UniqueString on all 15,625 cells) and
// validation by path.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  formatNb201,
  nasBench201Space as space,
  nb201Key,
  nb201UniqueString,
  NB201_EDGES,
  NB201_OPS,
  parseNb201,
  type Nb201Cell,
} from '../../../src/spaces/nas-bench-201/space.js';
import { SpaceValidationError } from '../../../src/spaces/types.js';
import { Rng } from '../../../src/util/random.js';
import { haveShared, NB201_TABLE } from '../../helpers/shared.js';

const EXAMPLE = '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|';

/** Every cell of the space, edge 0 varying fastest. */
const ALL: Nb201Cell[] = Array.from({ length: 5 ** 6 }, (_, i) => ({ edges: Array.from({ length: 6 }, (_, k) => NB201_OPS[Math.floor(i / 5 ** k) % 5]) }));

/** The cell with every edge off all input->output paths of non-none edges set to none (written apart from the key on purpose). */
function pruned(cell: Nb201Cell): Nb201Cell {
  const live = (k: number) => cell.edges[k] !== 'none';
  const fromInput = [true, false, false, false];
  const toOutput = [false, false, false, true];
  for (let j = 1; j < 4; j++) fromInput[j] = NB201_EDGES.some(([a, b], k) => b === j && live(k) && fromInput[a]);
  for (let i = 2; i >= 0; i--) toOutput[i] = NB201_EDGES.some(([a, b], k) => a === i && live(k) && toOutput[b]);
  return { edges: cell.edges.map((op, k) => (fromInput[NB201_EDGES[k][0]] && toOutput[NB201_EDGES[k][1]] ? op : 'none')) };
}

/** Nodes 1 and 2 relabelled: edges 0->1 <-> 0->2 and 1->3 <-> 2->3 (only a relabelling when 1->2 is none). */
const swapped = ({ edges: e }: Nb201Cell): Nb201Cell => ({ edges: [e[1], e[0], e[2], e[3], e[5], e[4]] });

describe('the NAS-Bench-201 space', () => {
  it('reads and writes the benchmark notation, and maps cells to six actions of five choices', () => {
    const cell = parseNb201(EXAMPLE);
    expect(cell.edges).toEqual(['nor_conv_3x3', 'nor_conv_3x3', 'avg_pool_3x3', 'skip_connect', 'nor_conv_3x3', 'skip_connect']);
    expect(formatNb201(cell)).toBe(EXAMPLE);
    expect(space.id).toBe('nas-bench-201');
    expect(space.decisions.map((d) => [d.kind, d.choices])).toEqual(Array(6).fill(['op', 5]));
    expect(space.decisions.map((d) => d.label)).toEqual(['edge 0->1', 'edge 0->2', 'edge 1->2', 'edge 0->3', 'edge 1->3', 'edge 2->3']);
    const actions = space.encode(cell);
    expect(actions).toEqual([3, 3, 4, 1, 3, 1]);
    expect(space.decode(actions)).toEqual(cell);
    expect(space.toJSON(cell)).toEqual({ arch: EXAMPLE });
    expect(space.validate(space.toJSON(cell))).toEqual(cell);
    expect(space.validate(EXAMPLE)).toEqual(cell);
    expect(space.describe(cell)).toEqual([EXAMPLE]);
    expect(() => space.decode([0, 1, 2, 3, 4])).toThrow(/6 actions in \[0, 5\)/);
    expect(() => space.decode([0, 1, 2, 3, 4, 5])).toThrow(/6 actions/);
  });

  it('decodes every action sequence to a distinct cell that encodes and formats back', () => {
    const strings = new Set<string>();
    const wrong: string[] = [];
    for (const cell of ALL) {
      const text = formatNb201(cell);
      strings.add(text);
      if (formatNb201(space.decode(space.encode(cell))) !== text || formatNb201(parseNb201(text)) !== text) wrong.push(text);
    }
    expect(wrong).toEqual([]);
    expect(strings.size).toBe(15625);
  });

  it('samples uniformly and mutates exactly one edge to another operation', () => {
    const rng = new Rng(3);
    const n = 6000;
    const counts = space.decisions.map(() => new Array(NB201_OPS.length).fill(0));
    for (let i = 0; i < n; i++) space.sample(rng).edges.forEach((op, k) => counts[k][NB201_OPS.indexOf(op)]++);
    // 1,200 expected per cell of the 6x5 table; sd ~31, so 6 sd is 190
    for (const row of counts) for (const c of row) expect(Math.abs(c - n / 5)).toBeLessThan(190);
    const changed = new Array(6).fill(0);
    for (let i = 0; i < 3000; i++) {
      const parent = space.sample(rng);
      const child = space.mutate(parent, rng);
      const diff = child.edges.flatMap((op, k) => (op !== parent.edges[k] ? [k] : []));
      expect(diff).toHaveLength(1);
      changed[diff[0]]++;
      expect(parent.edges).toEqual(space.validate(parent).edges); // the parent is left alone
    }
    for (const c of changed) expect(Math.abs(c - 500)).toBeLessThan(140);
  });

  it('gives cells that compute the same function one key: dead edges are none, nodes 1 and 2 swap', () => {
    const dead = parseNb201('|none~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|');
    expect(space.key(dead)).toBe(space.key(parseNb201('|none~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|none~1|skip_connect~2|')));
    expect(space.key(dead)).toBe('(0)@nor_conv_3x3+0');
    const a = parseNb201('|nor_conv_1x1~0|+|nor_conv_3x3~0|none~1|+|none~0|avg_pool_3x3~1|skip_connect~2|');
    const b = parseNb201('|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|none~0|skip_connect~1|avg_pool_3x3~2|');
    expect(space.key(a)).toBe(space.key(b));
    expect(space.key(parseNb201(EXAMPLE))).not.toBe(space.key(a));
    // skip connections are identities, wherever they sit
    expect(space.key(parseNb201('|skip_connect~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|skip_connect~2|'))).toBe(
      space.key(parseNb201('|none~0|+|nor_conv_3x3~0|none~1|+|none~0|none~1|skip_connect~2|')),
    );
    // order of operations matters: conv then pool is not pool then conv
    expect(space.key(parseNb201('|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|none~0|none~1|skip_connect~2|'))).not.toBe(
      space.key(parseNb201('|avg_pool_3x3~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|skip_connect~2|')),
    );
    expect(space.key(parseNb201('|none~0|+|none~0|none~1|+|none~0|none~1|none~2|'))).toBe('#');
  });

  it('over the whole space: the key ignores dead edges and the 1<->2 relabelling, and has 4,930 classes', () => {
    const keys = new Set<string>();
    let zero = 0;
    for (const cell of ALL) {
      const key = space.key(cell);
      keys.add(key);
      if (key === '#') zero++;
      expect(space.key(pruned(cell))).toBe(key);
      if (cell.edges[2] === 'none') expect(space.key(swapped(cell))).toBe(key);
    }
    expect(keys.size).toBe(4930);
    // '#' exactly for the cells without any input->output path of non-none edges
    expect(zero).toBe(ALL.filter((c) => pruned(c).edges.every((op) => op === 'none')).length);
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
    expect(err({ edges: ['none', 'none', 'none', 7, 'none', 'none'] }).map((i) => i.path)).toEqual(['edges[3]']);
    expect(err('|none~0|+|none~0|')[0].message).toMatch(/expected 3 nodes/);
    expect(err('|none~0|+|none~0|none~1|+|none~0|none~2|none~2|')[0]).toEqual({ path: '(root) node 3 edge 1', message: 'expected input ~1, got ~2' });
    expect(err('|none~0~7|+|none~0|none~1|+|none~0|none~1|none~2|')[0]).toEqual({ path: '(root) node 1 edge 0', message: 'expected input ~0, got ~0~7' });
    expect(err('|none~0|+|none~0|+|none~0|none~1|none~2|')[0]).toEqual({ path: '(root) node 2', message: 'expected 2 edges, got 1' });
    expect(err({ arch: '|pool~0|+|none~0|none~1|+|none~0|none~1|none~2|' })[0].path).toBe('arch node 1 edge 0');
    expect(err(42)[0].message).toMatch(/expected a cell string/);
    expect(() => space.encode({ edges: ['none'] } as Nb201Cell)).toThrow(SpaceValidationError);
    expect(() => parseNb201('nope')).toThrow(/invalid NAS-Bench-201 cell: \(root\): expected 3 nodes/);
  });

  if (haveShared(NB201_TABLE, 'the NAS-Bench-201 table')) {
    it('round-trips every cell of the table, writes its UniqueString exactly, and the key is a coarsening of it', () => {
      const rows = readFileSync(NB201_TABLE, 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(','));
      expect(rows).toHaveLength(15625);
      const keyOf = new Map<string, string>(); // UniqueString -> key
      const members = (m: Map<string, string[]>, k: string, arch: string) => (m.get(k) ?? m.set(k, []).get(k)!).push(arch);
      const byKey = new Map<string, string[]>();
      const byUnique = new Map<string, string[]>();
      const acc = new Map<string, number>();
      for (const [c10, , , arch, unique] of rows) {
        const cell = parseNb201(arch);
        expect(formatNb201(cell)).toBe(arch);
        expect(nb201UniqueString(cell)).toBe(unique);
        const key = nb201Key(cell);
        // one key per UniqueString class: the key never separates cells the benchmark calls the same
        expect(keyOf.get(unique) ?? key).toBe(key);
        keyOf.set(unique, key);
        members(byKey, key, arch);
        members(byUnique, unique, arch);
        acc.set(arch, Number(c10));
      }
      // the key's classes are unions of UniqueString classes, so equal sizes mean the same class
      const same = rows.filter(([, , , arch, unique]) => byKey.get(nb201Key(parseNb201(arch)))!.length === byUnique.get(unique)!.length).length;
      const pairs = (m: Map<string, string[]>) => [...m.values()].reduce((s, v) => s + (v.length * (v.length - 1)) / 2, 0);
      // How far the key is from the benchmark's partition: 4,930 classes against 6,466; 5,669 of the
      // 15,625 cells (36%) have the same class under both; the 274,936 pairs of cells that share a
      // UniqueString all share a key, and 471,583 more pairs share only a key (Rand index 0.9961).
      console.log(
        `NAS-Bench-201 key: ${byKey.size} classes; UniqueString ${byUnique.size}; same class for ${same} cells; pairs ${pairs(byUnique)} / ${pairs(byKey)}`,
      );
      expect([byKey.size, byUnique.size, same, pairs(byUnique), pairs(byKey)]).toEqual([4930, 6466, 5669, 274936, 746519]);
      // What the key merges besides the benchmark computes alike: the spread of CIFAR-10 accuracy
      // within classes (seeds' noise) grows by under 10% (0.235 -> 0.243 points, pooled sd).
      const pooledSd = (m: Map<string, string[]>) => {
        let ss = 0;
        let n = 0;
        for (const archs of m.values()) {
          if (archs.length < 2) continue;
          const v = archs.map((a) => acc.get(a)!);
          const mean = v.reduce((s, x) => s + x, 0) / v.length;
          for (const x of v) ss += (x - mean) ** 2;
          n += v.length;
        }
        return Math.sqrt(ss / n);
      };
      expect(pooledSd(byKey)).toBeLessThan(1.1 * pooledSd(byUnique));
    });
  }
});
