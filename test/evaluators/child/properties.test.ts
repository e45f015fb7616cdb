// Property: every cell pair the validator accepts builds a child that trains a step and evaluates.
// The generator leans on the corners (identity ops, both inputs the same, blocks feeding blocks,
// unread inputs), where an inference-mode bug once hid (see src/evaluators/child/alias.ts).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMBINES, OPERATIONS, validateCells, type CellPair } from '../../../src/spaces/nasnet/index.js';
import { buildChild } from '../../../src/evaluators/child/build.js';
import { trainStep } from '../../../src/evaluators/child/train.js';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

const anOp = fc.oneof({ weight: 3, arbitrary: fc.constant('identity' as const) }, { weight: 4, arbitrary: fc.constantFrom(...OPERATIONS) });
const aCell = (blocks: number, hierarchical: boolean) =>
  fc.tuple(
    ...Array.from({ length: blocks }, (_, b) => {
      const anInput = fc.integer({ min: 0, max: hierarchical ? 1 + b : 1 });
      return fc.record({
        // half the time both operands read the same state
        inputs: fc.oneof(
          fc.tuple(anInput, anInput),
          anInput.map((i) => [i, i] as [number, number]),
        ),
        ops: fc.tuple(anOp, anOp),
        combine: fc.constantFrom(...COMBINES),
      });
    }),
  );
const aSpaceAndPair = fc.record({ blocks: fc.integer({ min: 1, max: 4 }), hierarchical: fc.boolean() }).chain((space) =>
  fc.record({
    space: fc.constant(space),
    json: fc.record({ normal: aCell(space.blocks, space.hierarchical), reduction: aCell(space.blocks, space.hierarchical) }),
  }),
);

describe('cells the validator accepts', () => {
  it('always build a child that takes a training step and evaluates in inference mode', () => {
    const xs = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const ys = tf.oneHot(tf.tensor1d([1, 4], 'int32'), 10) as tf.Tensor2D;
    let built = 0;
    fc.assert(
      fc.property(aSpaceAndPair, ({ space, json }) => {
        const cells: CellPair = validateCells(json, space);
        const model = buildChild(cells, { channels: [1, 2, 2, 2, 2], hierarchical: space.hierarchical, inputShape: [8, 8, 3] });
        // Adam keys its slots by variable name, which every child shares: one optimizer per child.
        const optimizer = tf.train.adam(1e-3);
        try {
          const { loss, correct } = trainStep(model, optimizer, { xs, ys });
          expect(Number.isFinite(loss.dataSync()[0])).toBe(true);
          tf.dispose([loss, correct]);
          const probs = tf.tidy(() => tf.sum(model.predict(xs) as tf.Tensor, -1).dataSync());
          for (const s of probs) expect(s).toBeCloseTo(1, 4);
          built++;
        } finally {
          model.dispose();
          optimizer.dispose();
        }
      }),
      { numRuns: 40, seed: 20261125 },
    );
    expect(built).toBe(40);
    tf.dispose([xs, ys]);
  });
});
