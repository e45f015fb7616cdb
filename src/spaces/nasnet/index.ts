export * from './types.js';
export { sampleBlock, sampleCell, sampleCells } from './sample.js';
export {
  BEST_CELLS_FORMAT,
  CellsValidationError,
  assertSpace,
  extractCells,
  parseCellsJson,
  validateCell,
  validateCells,
  type CellsIssue,
  type ExtractedCells,
} from './validate.js';
export { canonicalCell, canonicalCells, cellsHash, cellsKey, normalizeBlock, sameArchitecture } from './key.js';
export { mutateCells, type MutateOptions, type Mutation, type MutationField } from './mutate.js';
export { formatBlock, formatCells, inputName } from './format.js';
