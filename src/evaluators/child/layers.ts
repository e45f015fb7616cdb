// Every custom layer class a child network can contain. Importing this module registers them all
// with tfjs's serialization, which loading a saved child needs (model-io.ts); buildChild takes its
// layers from here, so a layer added to the child cannot be left out of loading.
export { Alias } from './alias.js';
export { AvgPool3x3ExcludePad } from './avg-pool.js';
export { FusedBatchNormalization, fusedBatchNormalization } from './batch-norm.js';
