// The search space's vocabulary. Everything that names an operation or a combine step imports it
// from here, so the controller, the child builder and the validator can never disagree.

export const OPERATIONS = ['sep_3x3', 'sep_5x5', 'sep_7x7', 'avg_3x3', 'max_3x3', 'identity'] as const;
export type Operation = (typeof OPERATIONS)[number];

export const COMBINES = ['add', 'concat'] as const;
export type Combine = (typeof COMBINES)[number];

export const CELL_KINDS = ['normal', 'reduction'] as const;
export type CellKind = (typeof CELL_KINDS)[number];

/**
 * One block: two inputs, an operation on each, one combine step.
 * Input 0 is the cell before the previous one (h[i-1]), 1 the previous one (h[i]); in hierarchical
 * cells, input 2 + k is the output of block k of the same cell (k < this block's index).
 */
export interface Block {
  inputs: [number, number];
  ops: [Operation, Operation];
  combine: Combine;
}

export type Cell = Block[];

export interface CellPair {
  normal: Cell;
  reduction: Cell;
}

/** The shape of the space: how many blocks a cell has and whether blocks may feed later blocks. */
export interface CellSpace {
  blocks: number;
  hierarchical: boolean;
}

export const DEFAULT_SPACE: CellSpace = { blocks: 5, hierarchical: false };

/** Number of choices for an input of block `b` (0-based). */
export function inputChoices(space: CellSpace, b: number): number {
  return space.hierarchical ? 2 + b : 2;
}
