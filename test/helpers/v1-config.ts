// A run's config.json as nascent wrote it before the search configuration (version 1, flat: every
// flag under its camel-cased name), made from a current one, for tests of what older runs recorded.
import type { SearchConfig } from '../../src/config/schema.js';

export function asVersion1(config: SearchConfig): Record<string, unknown> {
  const { problem, evaluator, strategy: s } = config;
  const c = s.controller;
  const e = evaluator as Record<string, unknown>;
  return {
    format: 'nascent.search-config',
    version: 1,
    ...(problem.space === 'nas-bench-201'
      ? { dataset: 'nas-bench-201', tableDataset: problem.column, ...(problem.table ? { table: problem.table } : {}) }
      : (({ dir, ...data }) => ({ ...data, ...(dir ? { dataDir: dir } : {}), blocks: problem.blocks, hierarchical: problem.hierarchical }))(problem.data)),
    ...(config.episodes !== undefined ? { episodes: config.episodes } : {}),
    strategy: s.name,
    preset: s.preset,
    controllerLr: c.lr,
    epsilon: c.epsilon,
    temperature: c.temperature,
    tanhConstant: c.tanhConstant,
    entropyWeight: c.entropyWeight,
    controllerBatch: c.batch,
    normalizeAdvantages: c.normalizeAdvantages,
    decisionBias: c.decisionBias,
    units: c.units,
    baselineDecay: s.baseline.decay,
    window: s.baseline.window,
    baseline: s.baseline.initial,
    ...(evaluator.kind === 'weight-sharing'
      ? {
          weightSharing: true,
          batchSize: e.batchSize,
          channels: e.channels,
          lr: e.lr,
          wsLr: e.lr,
          wsEpochs: e.passes,
          controllerSteps: e.controllerSteps,
          finalSamples: e.finalSamples,
          topCells: e.topCells,
          checkpointEvery: e.checkpointEvery,
        }
      : evaluator.kind === 'child'
        ? { epochs: e.epochs, batchSize: e.batchSize, lr: e.lr, channels: e.channels }
        : {}),
    seed: config.seed,
    backend: config.backend,
  };
}
