// The controller sees an architecture as a flat sequence of categorical decisions, NASNet-style:
// for the normal cell and then the reduction cell, each block asks for input 1, input 2, op 1,
// op 2 and the combine step. This module is the single place that fixes that order, so the
// policy, its tests and anything that replays actions agree on what action t means.

import {
  CELL_KINDS,
  COMBINES,
  OPERATIONS,
  inputChoices,
  type Block,
  type Cell,
  type CellKind,
  type CellPair,
  type Combine,
  type Operation,
  type CellSpace,
} from './types.js';

export const DECISION_KINDS = ['input', 'op', 'combine'] as const;
export type DecisionKind = (typeof DECISION_KINDS)[number];

export interface Decision {
  /** Position in the sequence. */
  index: number;
  cell: CellKind;
  block: number;
  kind: DecisionKind;
  /** Which of the block's two inputs or ops this is (0 or 1); always 0 for the combine step. */
  slot: 0 | 1;
  /** Number of valid actions; for inputs this depends on the block in hierarchical spaces. */
  choices: number;
}

/** Decisions per block: input 1, input 2, op 1, op 2, combine. */
export const DECISIONS_PER_BLOCK = 5;

export function checkSpace(space: CellSpace): void {
  if (space === null || typeof space !== 'object') throw new TypeError('search space must be an object');
  if (!Number.isInteger(space.blocks) || space.blocks < 1) {
    throw new RangeError(`search space: blocks must be a positive integer, got ${space.blocks}`);
  }
  if (typeof space.hierarchical !== 'boolean') {
    throw new TypeError(`search space: hierarchical must be a boolean, got ${String(space.hierarchical)}`);
  }
}

/** The largest number of choices any decision of `kind` has in `space` (the width of its head). */
export function maxChoices(space: CellSpace, kind: DecisionKind): number {
  switch (kind) {
    case 'input':
      return inputChoices(space, space.blocks - 1);
    case 'op':
      return OPERATIONS.length;
    case 'combine':
      return COMBINES.length;
  }
}

export function decisionSequence(space: CellSpace): Decision[] {
  checkSpace(space);
  const out: Decision[] = [];
  for (const cell of CELL_KINDS) {
    for (let block = 0; block < space.blocks; block++) {
      const nIn = inputChoices(space, block);
      const push = (kind: DecisionKind, slot: 0 | 1, choices: number) => out.push({ index: out.length, cell, block, kind, slot, choices });
      push('input', 0, nIn);
      push('input', 1, nIn);
      push('op', 0, OPERATIONS.length);
      push('op', 1, OPERATIONS.length);
      push('combine', 0, COMBINES.length);
    }
  }
  return out;
}

/** Index of the decision for (cell, block, kind, slot), e.g. op 1 of normal block 0 is 2. */
export function decisionIndex(space: CellSpace, cell: CellKind, block: number, kind: DecisionKind, slot: 0 | 1 = 0): number {
  checkSpace(space);
  const c = CELL_KINDS.indexOf(cell);
  if (c < 0) throw new RangeError(`unknown cell kind ${String(cell)}`);
  if (!Number.isInteger(block) || block < 0 || block >= space.blocks) {
    throw new RangeError(`block must be an integer in [0, ${space.blocks}), got ${block}`);
  }
  if (kind === 'combine' && slot !== 0) throw new RangeError('the combine decision has only slot 0');
  const within = kind === 'input' ? slot : kind === 'op' ? 2 + slot : 4;
  return (c * space.blocks + block) * DECISIONS_PER_BLOCK + within;
}

function encodeCell(cell: Cell, kind: CellKind, space: CellSpace, out: number[]): void {
  if (!Array.isArray(cell)) throw new TypeError(`${kind} cell must be an array of blocks`);
  if (cell.length !== space.blocks) {
    throw new RangeError(`${kind} cell has ${cell.length} blocks, the space has ${space.blocks}`);
  }
  cell.forEach((block, b) => {
    const where = `${kind} block ${b}`;
    const n = inputChoices(space, b);
    for (const input of block.inputs) {
      if (!Number.isInteger(input) || input < 0 || input >= n) {
        throw new RangeError(`${where}: input ${input} is out of range [0, ${n})`);
      }
      out.push(input);
    }
    for (const op of block.ops) {
      const i = OPERATIONS.indexOf(op);
      if (i < 0) throw new RangeError(`${where}: unknown operation ${JSON.stringify(op)}`);
      out.push(i);
    }
    const k = COMBINES.indexOf(block.combine);
    if (k < 0) throw new RangeError(`${where}: unknown combine ${JSON.stringify(block.combine)}`);
    out.push(k);
  });
}

/** The action sequence that produces `cells`, in the order of decisionSequence(space). */
export function encodeCells(cells: CellPair, space: CellSpace): number[] {
  checkSpace(space);
  const out: number[] = [];
  for (const kind of CELL_KINDS) encodeCell(cells[kind], kind, space, out);
  return out;
}

/** Throws a clear error unless `actions` is a complete, in-range action sequence for `space`. */
export function checkActions(actions: readonly number[], space: CellSpace): void {
  const seq = decisionSequence(space);
  if (!Array.isArray(actions)) throw new TypeError('actions must be an array of integers');
  if (actions.length !== seq.length) {
    throw new RangeError(`expected ${seq.length} actions for this space, got ${actions.length}`);
  }
  for (const d of seq) {
    const a = actions[d.index];
    if (!Number.isInteger(a) || a < 0 || a >= d.choices) {
      throw new RangeError(`action ${d.index} (${d.cell} block ${d.block} ${d.kind} ${d.slot + 1}) is ${a}, expected an integer in [0, ${d.choices})`);
    }
  }
}

export function decodeActions(actions: readonly number[], space: CellSpace): CellPair {
  checkActions(actions, space);
  let t = 0;
  const cell = (): Cell =>
    Array.from({ length: space.blocks }, (): Block => {
      const inputs: [number, number] = [actions[t], actions[t + 1]];
      const ops: [Operation, Operation] = [OPERATIONS[actions[t + 2]], OPERATIONS[actions[t + 3]]];
      const combine: Combine = COMBINES[actions[t + 4]];
      t += DECISIONS_PER_BLOCK;
      return { inputs, ops, combine };
    });
  const normal = cell();
  const reduction = cell();
  return { normal, reduction };
}
