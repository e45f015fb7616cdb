export { buildChild, countParams, liveCells, validateChildCells, BN_EPSILON, BN_MOMENTUM, CELL_STACK, type BuildOptions } from './build.js';
export { ChildManager, CHILD_DEFAULTS, type ChildManagerOptions, type ChildResult } from './manager.js';
export { evaluate, recalibrateBatchNorm, trainModel, type EpochStats, type TrainHooks } from './train.js';
