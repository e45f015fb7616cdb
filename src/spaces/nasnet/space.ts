// The NASNet cell space behind the SearchSpace seam: the decision order of the controller
// (src/spaces/nasnet/decisions.ts), uniform sampling, point mutation, the canonical key and the
// validator, all of which already live in this folder; this module only adapts them.
import { decisionSequence, decodeActions, encodeCells } from './decisions.js';
import { SpaceValidationError, type Decision, type SearchSpace } from '../types.js';
import type { Rng } from '../../util/random.js';
import { formatCells } from './format.js';
import { cellsKey } from './key.js';
import { mutateCells } from './mutate.js';
import { sampleCells } from './sample.js';
import { DEFAULT_SPACE, type CellPair, type CellSpace } from './types.js';
import { CellsValidationError, validateCells } from './validate.js';

export const NASNET_SPACE_ID = 'nasnet';

/** The NASNet space of `shape` (5 flat blocks per cell unless told otherwise). */
export function nasnetSpace(shape: CellSpace = DEFAULT_SPACE): SearchSpace<CellPair> {
  const space: CellSpace = { blocks: shape.blocks, hierarchical: shape.hierarchical };
  const decisions: Decision[] = decisionSequence(space).map((d) => ({
    kind: d.kind,
    choices: d.choices,
    label: `${d.cell} block ${d.block} ${d.kind}${d.kind === 'combine' ? '' : ` ${d.slot + 1}`}`,
  }));
  return {
    id: NASNET_SPACE_ID,
    settings: { blocks: space.blocks, hierarchical: space.hierarchical },
    decisions,
    encode: (cells) => encodeCells(cells, space),
    decode: (actions) => decodeActions(actions, space),
    sample: (rng: Rng) => sampleCells(rng, space),
    mutate: (cells, rng: Rng) => mutateCells(cells, rng, space),
    key: (cells) => cellsKey(cells),
    validate(value: unknown): CellPair {
      try {
        return validateCells(value, space);
      } catch (err) {
        if (err instanceof CellsValidationError) throw new SpaceValidationError(err.errors, 'cells');
        throw err;
      }
    },
    toJSON: (cells) => cells,
    describe: (cells) => formatCells(cells).split('\n'),
  };
}
