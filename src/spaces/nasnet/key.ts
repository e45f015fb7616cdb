// A canonical name for an architecture, so a search can recognise a cell pair it has already
// trained even when the blocks come in another order.
//
// Equivalence recognised: two cells are the same architecture when some one-to-one relabelling of
// their blocks maps each block to a block with the same combine step and the same multiset of
// (input, op) branches, where the cell inputs h[i-1] (0) and h[i] (1) stay fixed and a reference to
// block k (input 2 + k) follows the relabelling. This is exact, not a heuristic:
// - branch order never matters: `add` commutes, and `concat` is followed by a 1x1 conv whose
//   weights absorb any channel order;
// - block order never matters beyond references: the cell output concatenates the block outputs
//   and a 1x1 conv follows, so that order is absorbed too;
// - sharing is kept: a block reading block A twice differs from one reading A and an identical
//   twin B once each (two separately trained ops), so canonical forms are not subtree expansions.
// Flat cells are the special case without references: the cell is a multiset of blocks.
//
// The canonical form is the lexicographically least encoding over all orders in which every block
// comes after the blocks it reads (references renumbered to canonical positions), each block's
// branches sorted. It is found greedily: the next block must be one of the ready blocks with the
// least encoding; only ties between blocks that are not interchangeable are explored both ways.

import { createHash } from 'node:crypto';
import type { Block, Cell, CellPair } from './types.js';

function compareBranch(a: [number, string], b: [number, string]): number {
  return a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);
}

/** The block with its branches in canonical order (input first, then op name). */
export function normalizeBlock(block: Block): Block {
  const {
    inputs: [i, j],
    ops: [a, b],
    combine,
  } = block;
  return compareBranch([i, a], [j, b]) <= 0 ? { inputs: [i, j], ops: [a, b], combine } : { inputs: [j, i], ops: [b, a], combine };
}

function compareBlock(a: Block, b: Block): number {
  if (a.combine !== b.combine) return a.combine < b.combine ? -1 : 1;
  for (let k = 0; k < 2; k++) {
    const c = compareBranch([a.inputs[k], a.ops[k]], [b.inputs[k], b.ops[k]]);
    if (c !== 0) return c;
  }
  return 0;
}

function compareCells(a: Cell, b: Cell): number {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) {
    const c = compareBlock(a[k], b[k]);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** Block `block` with each reference to block k renamed to block map(k). */
function relabel(block: Block, map: (k: number) => number): Block {
  const f = (i: number) => (i < 2 ? i : 2 + map(i - 2));
  return normalizeBlock({ inputs: [f(block.inputs[0]), f(block.inputs[1])], ops: [block.ops[0], block.ops[1]], combine: block.combine });
}

/** Whether swapping blocks u and v maps the cell onto itself, so exploring both is redundant. */
function swapIsAutomorphism(cell: Cell, u: number, v: number): boolean {
  const sigma = (k: number) => (k === u ? v : k === v ? u : k);
  for (let k = 0; k < cell.length; k++) {
    if (compareBlock(relabel(cell[k], sigma), normalizeBlock(cell[sigma(k)])) !== 0) return false;
  }
  return true;
}

/**
 * The canonical representative of a cell's equivalence class (see the top of this file). Expects
 * a structurally valid cell: every reference points at an existing block, with no cycles (which
 * holds for any validated cell, since block b may only read blocks before it).
 */
export function canonicalCell(cell: Cell): Cell {
  const n = cell.length;
  const deps = cell.map((block) => block.inputs.filter((i) => i >= 2).map((i) => i - 2));
  for (const d of deps) {
    for (const k of d) if (k >= n) throw new RangeError(`canonicalCell: reference to block ${k} of a ${n}-block cell`);
  }
  const position = new Array<number>(n).fill(-1);
  const seq: Block[] = [];
  let best: Block[] | undefined;

  const search = (): void => {
    if (seq.length === n) {
      if (best === undefined || compareCells(seq, best) < 0) best = seq.slice();
      return;
    }
    let least: Block | undefined;
    let tied: number[] = [];
    for (let k = 0; k < n; k++) {
      if (position[k] >= 0 || !deps[k].every((d) => position[d] >= 0)) continue;
      const enc = relabel(cell[k], (d) => position[d]);
      const c = least === undefined ? -1 : compareBlock(enc, least);
      if (c < 0) {
        least = enc;
        tied = [k];
      } else if (c === 0) tied.push(k);
    }
    if (least === undefined) throw new RangeError('canonicalCell: the cell has a cycle of block references');
    // Branch and bound: this prefix can only tie or lose against the best found so far.
    if (best !== undefined) {
      const c = compareCells(seq, best.slice(0, seq.length));
      if (c > 0 || (c === 0 && compareBlock(least, best[seq.length]) > 0)) return;
    }

    const explored: number[] = [];
    for (const k of tied) {
      if (explored.some((e) => swapIsAutomorphism(cell, e, k))) continue;
      explored.push(k);
      position[k] = seq.length;
      seq.push(least);
      search();
      seq.pop();
      position[k] = -1;
    }
  };
  search();
  return best ?? [];
}

export function canonicalCells(pair: CellPair): CellPair {
  return { normal: canonicalCell(pair.normal), reduction: canonicalCell(pair.reduction) };
}

function blockText(block: Block): string {
  return `${block.combine}(${block.inputs[0]}:${block.ops[0]},${block.inputs[1]}:${block.ops[1]})`;
}

/**
 * A readable canonical string: equal for equivalent architectures, different otherwise, e.g.
 * `normal: add(0:sep_3x3,1:identity) concat(0:max_3x3,0:sep_3x3) ... | reduction: ...`.
 * Inputs are 0 = h[i-1], 1 = h[i], 2 + k = the block at canonical position k.
 */
export function cellsKey(pair: CellPair): string {
  const c = canonicalCells(pair);
  return `normal: ${c.normal.map(blockText).join(' ')} | reduction: ${c.reduction.map(blockText).join(' ')}`;
}

/** A short id for an architecture of any space: the first 12 hex digits of the sha1 of its canonical key. */
export function keyHash(key: string): string {
  return createHash('sha1').update(key).digest('hex').slice(0, 12);
}

/** The short id of a NASNet cell pair (keyHash of cellsKey). */
export function cellsHash(pair: CellPair): string {
  return keyHash(cellsKey(pair));
}

export function sameArchitecture(a: CellPair, b: CellPair): boolean {
  return cellsKey(a) === cellsKey(b);
}
