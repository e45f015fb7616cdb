// Point mutation for evolutionary search: one of the pair's choices (an input, an op or the combine
// step of one block of one cell) is redrawn, always to a value different from the current one, so
// a mutation never wastes an evaluation on the unchanged parent.

import type { Rng } from '../../util/random.js';
import { CELL_KINDS, COMBINES, DEFAULT_SPACE, OPERATIONS, inputChoices, type CellKind, type CellPair, type CellSpace } from './types.js';
import { validateCells } from './validate.js';

export type MutationField = 'inputs[0]' | 'inputs[1]' | 'ops[0]' | 'ops[1]' | 'combine';
const FIELDS: readonly MutationField[] = ['inputs[0]', 'inputs[1]', 'ops[0]', 'ops[1]', 'combine'];

export interface Mutation {
  cell: CellKind;
  block: number;
  field: MutationField;
  from: number | string;
  to: number | string;
}

export interface MutateOptions {
  /** How many successive point mutations to apply (each may touch any choice, even one already changed). */
  mutations?: number;
  /** Receives each applied mutation, for logs. */
  onMutation?: (m: Mutation) => void;
}

/** Uniform over the n - 1 values in [0, n) other than `current`. */
function drawOther(rng: Rng, n: number, current: number): number {
  const v = rng.int(n - 1);
  return v >= current ? v + 1 : v;
}

/**
 * A copy of `pair` with `mutations` (default 1) choices changed, each picked uniformly among all
 * 2 * blocks * 5 choices and set uniformly to one of its other valid values. `pair` is validated
 * against `space` first (CellsValidationError if it does not fit) and left untouched.
 *
 * The result always differs from the parent in its raw choices; in flat cells that also makes it a
 * different architecture (cellsKey differs). In hierarchical cells a change can, rarely, yield an
 * isomorphic cell (re-pointing a reference between two identical blocks): dedupe by cellsHash.
 */
export function mutateCells(pair: CellPair, rng: Rng, space: CellSpace = DEFAULT_SPACE, options: MutateOptions = {}): CellPair {
  const count = options.mutations ?? 1;
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`mutateCells: mutations must be a non-negative integer, got ${count}`);
  const out = validateCells(pair, space);
  for (let m = 0; m < count; m++) {
    const slot = rng.int(CELL_KINDS.length * space.blocks * FIELDS.length);
    const cell = CELL_KINDS[Math.floor(slot / (space.blocks * FIELDS.length))];
    const block = Math.floor(slot / FIELDS.length) % space.blocks;
    const field = FIELDS[slot % FIELDS.length];
    const target = out[cell][block];
    let from: number | string;
    let to: number | string;
    if (field === 'combine') {
      from = target.combine;
      target.combine = COMBINES[drawOther(rng, COMBINES.length, COMBINES.indexOf(target.combine))];
      to = target.combine;
    } else if (field === 'ops[0]' || field === 'ops[1]') {
      const i = field === 'ops[0]' ? 0 : 1;
      from = target.ops[i];
      target.ops[i] = OPERATIONS[drawOther(rng, OPERATIONS.length, OPERATIONS.indexOf(target.ops[i]))];
      to = target.ops[i];
    } else {
      const i = field === 'inputs[0]' ? 0 : 1;
      from = target.inputs[i];
      target.inputs[i] = drawOther(rng, inputChoices(space, block), target.inputs[i]);
      to = target.inputs[i];
    }
    options.onMutation?.({ cell, block, field, from, to });
  }
  return out;
}
