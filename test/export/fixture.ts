// A saved child as `nascent train` leaves one, made in a second instead of trained for minutes:
// cells that use every operation (both pools, identity on both sides of a block, which needs
// NascentAlias, separable convolutions of all three sizes, add and concat), seeded weights, and
// batch-norm parameters and moving statistics drawn at random, so an export that dropped or
// mixed up any of them would change the predictions.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { buildChild } from '../../src/evaluators/child/build.js';
import { saveLayersModel } from '../../src/evaluators/child/model-io.js';
import { CIFAR10_CLASS_NAMES } from '../../src/data/datasets.js';
import type { CellPair } from '../../src/spaces/nasnet/types.js';
import { Rng } from '../../src/util/random.js';

export const EVERY_OP: CellPair = {
  normal: [
    { inputs: [0, 1], ops: ['sep_3x3', 'avg_3x3'], combine: 'add' },
    { inputs: [1, 1], ops: ['identity', 'identity'], combine: 'concat' },
    { inputs: [0, 1], ops: ['max_3x3', 'sep_7x7'], combine: 'add' },
    { inputs: [1, 0], ops: ['sep_5x5', 'identity'], combine: 'concat' },
    { inputs: [0, 0], ops: ['avg_3x3', 'max_3x3'], combine: 'add' },
  ],
  reduction: [
    { inputs: [0, 1], ops: ['avg_3x3', 'sep_5x5'], combine: 'concat' },
    { inputs: [1, 1], ops: ['identity', 'identity'], combine: 'add' },
    { inputs: [1, 0], ops: ['max_3x3', 'sep_3x3'], combine: 'add' },
    { inputs: [0, 1], ops: ['sep_7x7', 'avg_3x3'], combine: 'add' },
    { inputs: [1, 1], ops: ['max_3x3', 'identity'], combine: 'concat' },
  ],
};

export const FIXTURE_CHANNELS = [4, 8, 8, 12, 12];

/** Writes the child into a new temporary directory; returns it. */
export async function savedChild(seed = 3, cells: CellPair = EVERY_OP): Promise<string> {
  const model = buildChild(cells, { channels: FIXTURE_CHANNELS, seed });
  const rng = new Rng(seed);
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'NascentFusedBatchNormalization') continue;
    // gamma, beta, moving mean, moving variance (kept positive)
    const drawn = layer.getWeights().map((w, i) =>
      tf.tensor(
        Float32Array.from({ length: w.size }, () => (i === 3 ? 0.2 + 2 * rng.next() : i === 0 ? 0.5 + rng.next() : rng.next() - 0.5)),
        w.shape,
      ),
    );
    layer.setWeights(drawn);
    tf.dispose(drawn);
  }
  const dir = mkdtempSync(join(tmpdir(), 'nascent-export-'));
  await saveLayersModel(model, dir, {
    nascent: {
      cells,
      key: 'fixture',
      channels: FIXTURE_CHANNELS,
      hierarchical: false,
      dataset: 'cifar10',
      inputShape: [32, 32, 3],
      classes: CIFAR10_CLASS_NAMES,
    },
  });
  model.dispose();
  return dir;
}
