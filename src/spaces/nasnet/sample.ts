import type { Rng } from '../../util/random.js';
import { COMBINES, DEFAULT_SPACE, OPERATIONS, inputChoices, type Block, type Cell, type CellPair, type CellSpace } from './types.js';

/** A block drawn uniformly from the space (each of its five choices independent and uniform). */
export function sampleBlock(space: CellSpace, b: number, rng: Rng): Block {
  const n = inputChoices(space, b);
  return {
    inputs: [rng.int(n), rng.int(n)],
    ops: [OPERATIONS[rng.int(OPERATIONS.length)], OPERATIONS[rng.int(OPERATIONS.length)]],
    combine: COMBINES[rng.int(COMBINES.length)],
  };
}

export function sampleCell(space: CellSpace, rng: Rng): Cell {
  return Array.from({ length: space.blocks }, (_, b) => sampleBlock(space, b, rng));
}

/** A uniformly random architecture: the normal cell first, then the reduction cell. */
export function sampleCells(rng: Rng, space: CellSpace = DEFAULT_SPACE): CellPair {
  const normal = sampleCell(space, rng);
  const reduction = sampleCell(space, rng);
  return { normal, reduction };
}
