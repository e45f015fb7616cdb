// The controller's saved state: plain JSON holding its options, weights by stable name, Adam's
// slots and the random stream, and the checks and upgrades applied when one is read back.
import * as tf from '@tensorflow/tfjs-core';
import type { RngState } from '../../util/random.js';
import { resolveDecisions, type ControllerOptions, type ResolvedControllerOptions } from './options.js';

export interface SavedTensor {
  shape: number[];
  values: number[];
}

/** Everything needed to continue exactly where a controller left off; plain JSON. */
export interface ControllerState {
  format: typeof STATE_FORMAT | typeof STATE_FORMAT_V1;
  options: ResolvedControllerOptions;
  /** Layer weights by stable name, e.g. "lstm/kernel", "head_op/bias". */
  weights: Record<string, SavedTensor>;
  optimizer: {
    iterations: number;
    /** Adam's running beta powers; restored verbatim (see restoreOptimizer). */
    accBeta1: number | null;
    accBeta2: number | null;
    /** First and second moments by the stable name of the weight they belong to. */
    m: Record<string, SavedTensor>;
    v: Record<string, SavedTensor>;
  };
  rng: RngState;
}

export const STATE_FORMAT = 'nascent-controller/2';
/** States written before the controller knew other spaces: options.space instead of decisions. */
export const STATE_FORMAT_V1 = 'nascent-controller/1';
export type Adam = ReturnType<typeof tf.train.adam>;
/** Adam keeps its beta powers in private variables; see restoreOptimizer for why we touch them. */
interface AdamInternals {
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
}

/** A saved state's options in today's shape (a version-1 state named a NASNet space instead). */
export function upgradeOptions(state: ControllerState): ControllerOptions {
  // States saved before decision biases existed had none, whatever today's default is.
  const options = { decisionBias: false, ...(state.options as ControllerOptions) };
  if (state.format === STATE_FORMAT_V1 && options.decisions === undefined) return { ...options, decisions: resolveDecisions({ space: options.space }) };
  return options;
}

export async function saveTensor(t: tf.Tensor): Promise<SavedTensor> {
  return { shape: [...t.shape], values: Array.from(await t.data()) };
}

export function checkSaved(saved: SavedTensor | undefined, shape: readonly number[], what: string): SavedTensor {
  if (saved === undefined || !Array.isArray(saved.shape) || !Array.isArray(saved.values)) {
    throw new Error(`controller state: ${what} is missing`);
  }
  if (saved.shape.length !== shape.length || saved.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`controller state: ${what} has shape [${saved.shape}], expected [${shape}]`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (saved.values.length !== size) {
    throw new Error(`controller state: ${what} has ${saved.values.length} values, expected ${size}`);
  }
  return saved;
}

/** A weight the optimizer trains, by its stable name. */
export interface Trained {
  key: string;
  variable: tf.Variable;
}

/** Adam's slots (iterations, beta powers, moments by weight name), read asynchronously. */
export async function adamState(optimizer: Adam, trainable: readonly Trained[]): Promise<ControllerState['optimizer']> {
  const slots = await optimizer.getWeights();
  const [iter, ...moments] = slots;
  const iterations = (await iter.tensor.data())[0];
  iter.tensor.dispose(); // a fresh scalar, unlike the moments which are the optimizer's own
  if (moments.length !== 0 && moments.length !== 2 * trainable.length) {
    throw new Error(`Controller.getState: optimizer has ${moments.length} slots for ${trainable.length} weights`);
  }
  const m: Record<string, SavedTensor> = {};
  const v: Record<string, SavedTensor> = {};
  if (moments.length > 0) {
    for (const [i, { key }] of trainable.entries()) {
      m[key] = await saveTensor(moments[i].tensor);
      v[key] = await saveTensor(moments[trainable.length + i].tensor);
    }
  }
  const internals = optimizer as unknown as AdamInternals;
  return {
    iterations,
    accBeta1: internals.accBeta1 ? (await internals.accBeta1.data())[0] : null,
    accBeta2: internals.accBeta2 ? (await internals.accBeta2.data())[0] : null,
    m,
    v,
  };
}

/**
 * Rebuilds Adam from saved slots. tfjs's setWeights recomputes the beta powers as
 * pow(beta, iterations + 1), which differs in the last float32 bit from the running product a
 * live optimizer keeps; restoring the saved products makes the next steps bit-identical.
 */
export async function restoreAdam(saved: ControllerState['optimizer'], trainable: readonly Trained[], learningRate: number): Promise<Adam> {
  if (saved === null || typeof saved !== 'object' || !Number.isInteger(saved.iterations) || saved.iterations < 0) {
    throw new Error('controller state: optimizer.iterations must be a non-negative integer');
  }
  const hasSlots = Object.keys(saved.m ?? {}).length > 0 || Object.keys(saved.v ?? {}).length > 0;
  // Adam matches moments to variables by position, in the order update() passes them.
  const slots = !hasSlots
    ? []
    : (['m', 'v'] as const).flatMap((which) =>
        trainable.map(({ key, variable }) => ({
          name: `${variable.name}/${which}`,
          variable,
          saved: checkSaved(saved[which]?.[key], variable.shape, `optimizer ${which} of ${key}`),
        })),
      );
  const tensors: { name: string; tensor: tf.Tensor }[] = [
    { name: 'iter', tensor: tf.scalar(saved.iterations, 'int32') },
    ...slots.map(({ name, variable, saved: s }) => ({ name, tensor: tf.tensor(s.values, variable.shape, 'float32') })),
  ];
  const optimizer = tf.train.adam(learningRate);
  try {
    await optimizer.setWeights(tensors);
    const internals = optimizer as unknown as AdamInternals;
    tf.tidy(() => {
      if (saved.accBeta1 !== null && internals.accBeta1) internals.accBeta1.assign(tf.scalar(saved.accBeta1));
      if (saved.accBeta2 !== null && internals.accBeta2) internals.accBeta2.assign(tf.scalar(saved.accBeta2));
    });
  } catch (err) {
    optimizer.dispose();
    throw err;
  } finally {
    tf.dispose(tensors.map((t) => t.tensor));
  }
  return optimizer;
}
