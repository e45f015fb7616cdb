// Independent reference implementations the tests compare the cells module against.

import type { Rng } from '../../../src/util/random.js';
import type { Block, Cell, CellPair } from '../../../src/spaces/nasnet/types.js';

export const EXAMPLE: CellPair = {
  normal: [
    { inputs: [0, 1], ops: ['sep_3x3', 'identity'], combine: 'add' },
    { inputs: [1, 1], ops: ['sep_5x5', 'avg_3x3'], combine: 'add' },
    { inputs: [0, 0], ops: ['max_3x3', 'sep_3x3'], combine: 'concat' },
    { inputs: [1, 0], ops: ['sep_7x7', 'identity'], combine: 'add' },
    { inputs: [0, 1], ops: ['avg_3x3', 'sep_3x3'], combine: 'concat' },
  ],
  reduction: [
    { inputs: [1, 0], ops: ['sep_5x5', 'max_3x3'], combine: 'add' },
    { inputs: [0, 1], ops: ['sep_3x3', 'sep_7x7'], combine: 'concat' },
    { inputs: [1, 1], ops: ['avg_3x3', 'identity'], combine: 'add' },
    { inputs: [0, 0], ops: ['sep_3x3', 'max_3x3'], combine: 'add' },
    { inputs: [1, 0], ops: ['identity', 'sep_5x5'], combine: 'concat' },
  ],
};

export function clone<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

/** A block's branches as an order-free string, with references renamed by `map`. */
function branchSet(block: Block, map: (k: number) => number): string {
  const f = (i: number) => (i < 2 ? i : 2 + map(i - 2));
  const branches = [0, 1].map((k) => `${f(block.inputs[k])}:${block.ops[k]}`).sort();
  return `${block.combine}|${branches.join('|')}`;
}

function* permutations(n: number): Generator<number[]> {
  if (n === 0) {
    yield [];
    return;
  }
  for (const rest of permutations(n - 1)) {
    for (let i = 0; i <= rest.length; i++) yield [...rest.slice(0, i), n - 1, ...rest.slice(i)];
  }
}

/** Brute force: some bijection of blocks maps every block of `a` onto the matching block of `b`. */
export function isomorphicCells(a: Cell, b: Cell): boolean {
  if (a.length !== b.length) return false;
  for (const p of permutations(a.length)) {
    if (a.every((block, k) => branchSet(block, (d) => p[d]) === branchSet(b[p[k]], (d) => d))) return true;
  }
  return false;
}

export function isomorphicPairs(a: CellPair, b: CellPair): boolean {
  return isomorphicCells(a.normal, b.normal) && isomorphicCells(a.reduction, b.reduction);
}

/** The same cell written differently: blocks in another valid order, branches randomly swapped. */
export function shuffleCell(cell: Cell, rng: Rng): Cell {
  const n = cell.length;
  const pos = new Array<number>(n).fill(-1);
  const order: number[] = [];
  while (order.length < n) {
    const ready = [...Array(n).keys()].filter((k) => pos[k] < 0 && cell[k].inputs.every((i) => i < 2 || pos[i - 2] >= 0));
    const k = ready[rng.int(ready.length)];
    pos[k] = order.length;
    order.push(k);
  }
  return order.map((k) => {
    const b = cell[k];
    const inputs = b.inputs.map((i) => (i < 2 ? i : 2 + pos[i - 2])) as [number, number];
    const swap = rng.int(2) === 1;
    return {
      inputs: swap ? [inputs[1], inputs[0]] : inputs,
      ops: swap ? [b.ops[1], b.ops[0]] : [b.ops[0], b.ops[1]],
      combine: b.combine,
    };
  });
}

export function shufflePair(pair: CellPair, rng: Rng): CellPair {
  return { normal: shuffleCell(pair.normal, rng), reduction: shuffleCell(pair.reduction, rng) };
}

/** Every (cell, block, field) whose value differs between a and b. */
export function diffChoices(a: CellPair, b: CellPair): string[] {
  const out: string[] = [];
  for (const kind of ['normal', 'reduction'] as const) {
    a[kind].forEach((x, k) => {
      const y = b[kind][k];
      for (const i of [0, 1]) {
        if (x.inputs[i] !== y.inputs[i]) out.push(`${kind}[${k}].inputs[${i}]`);
        if (x.ops[i] !== y.ops[i]) out.push(`${kind}[${k}].ops[${i}]`);
      }
      if (x.combine !== y.combine) out.push(`${kind}[${k}].combine`);
    });
  }
  return out;
}
