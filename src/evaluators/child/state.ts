// A trained child's state, saved so that a promoted child (Hyperband) continues where it stopped:
// every weight of the model (BatchNorm's moving statistics included) and Adam's moments and step
// count. One file (src/util/framed.ts): a JSON header naming each tensor's shape and dtype in
// order, then the tensors' bytes. Written through writeFileAtomic by the run store.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { frame, unframe } from '../../util/framed.js';

export const CHILD_STATE_FORMAT = 'nascent.child-state';

/** A state file that cannot be read or does not fit the child: damage to the run, not a failed child. */
export class ChildStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChildStateError';
  }
}

interface TensorEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
}

interface Header {
  format: typeof CHILD_STATE_FORMAT;
  version: 1;
  /** Epochs trained when it was saved. */
  epochs: number;
  /** The shuffle seed its data order came from, so the next epochs see the order they would have. */
  shuffleSeed: number;
  model: TensorEntry[];
  optimizer: TensorEntry[];
}

export interface ChildState {
  epochs: number;
  shuffleSeed: number;
  /** Values of model.weights, in order. */
  model: tf.Tensor[];
  /** optimizer.getWeights(): the step count, then first and second moments. */
  optimizer: Array<{ name: string; tensor: tf.Tensor }>;
}

function entry(name: string, t: tf.Tensor): TensorEntry {
  if (t.dtype !== 'float32' && t.dtype !== 'int32') throw new Error(`child state: tensor ${name} has dtype ${t.dtype}, not float32 or int32`);
  return { name, shape: t.shape, dtype: t.dtype };
}

export async function encodeChildState(model: tfl.LayersModel, optimizer: tf.Optimizer, epochs: number, shuffleSeed: number): Promise<Uint8Array> {
  const weights = model.weights.map((w) => ({ name: w.originalName, tensor: w.read() }));
  const opt = await optimizer.getWeights();
  const header: Header = {
    format: CHILD_STATE_FORMAT,
    version: 1,
    epochs,
    shuffleSeed,
    model: weights.map((w) => entry(w.name, w.tensor)),
    optimizer: opt.map((w) => entry(w.name, w.tensor)),
  };
  const parts: Uint8Array[] = [];
  for (const { tensor } of [...weights, ...opt]) {
    const data = (await tensor.data()) as Float32Array | Int32Array;
    parts.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice());
  }
  tf.dispose(opt.map((w) => w.tensor));
  return frame(header, parts);
}

/** Reads a state file's bytes; `what` names the file in errors. The caller disposes the tensors. */
export function decodeChildState(bytes: Uint8Array, what: string): ChildState {
  const fail = (why: string): never => {
    throw new ChildStateError(`${what}: not a child state file (${why})`);
  };
  const { header, body: buf } = unframe<Header>(bytes, CHILD_STATE_FORMAT, fail);
  let off = 0;
  const read = (e: TensorEntry): tf.Tensor => {
    const n = e.shape.reduce((a, b) => a * b, 1);
    const bytesLen = n * 4;
    if (off + bytesLen > buf.length) fail(`tensor ${e.name} runs past the end`);
    const copy = new Uint8Array(buf.subarray(off, off + bytesLen));
    off += bytesLen;
    const values = e.dtype === 'int32' ? new Int32Array(copy.buffer) : new Float32Array(copy.buffer);
    return tf.tensor(values, e.shape, e.dtype);
  };
  const model = header.model.map(read);
  const optimizer = header.optimizer.map((e) => ({ name: e.name, tensor: read(e) }));
  if (off !== buf.length) fail(`${buf.length - off} bytes after the last tensor`);
  return { epochs: header.epochs, shuffleSeed: header.shuffleSeed, model, optimizer };
}

/** Puts a saved state into a freshly built model of the same cells and into a new optimizer. */
export async function restoreChildState(model: tfl.LayersModel, optimizer: tf.Optimizer, state: ChildState, what: string): Promise<void> {
  const weights = model.weights;
  if (weights.length !== state.model.length)
    throw new ChildStateError(`${what}: holds ${state.model.length} weights but the child has ${weights.length} (a different architecture or channels)`);
  weights.forEach((w, i) => {
    if (JSON.stringify(w.shape) !== JSON.stringify(state.model[i].shape))
      throw new ChildStateError(`${what}: weight ${i} (${w.originalName}) has shape ${state.model[i].shape} in the file, ${w.shape} in the child`);
  });
  model.setWeights(state.model);
  // Adam pairs its moments with the trainable variables by position: 1 step count + 2 per variable.
  const trainable = model.trainableWeights.length;
  if (state.optimizer.length !== 1 + 2 * trainable)
    throw new ChildStateError(`${what}: optimizer state for ${(state.optimizer.length - 1) / 2} variables, the child has ${trainable}`);
  await optimizer.setWeights(state.optimizer);
  exactBetaPowers(optimizer);
}

/**
 * tfjs's Adam.setWeights sets its bias-correction powers beta^(t+1) with pow(), but training
 * reaches them by t float32 multiplications, and the two round differently (by ~t ulp: 1e-5 of
 * 1 - beta2^t after a few hundred steps). Every later step's size is then off by that much and a
 * continued child drifts away from the straight one within an epoch or two. This puts back the
 * values the multiplications give (each product of two float32s rounded once, as the backends do).
 */
function exactBetaPowers(optimizer: tf.Optimizer): void {
  const adam = optimizer as unknown as { beta1?: number; beta2?: number; accBeta1?: tf.Variable; accBeta2?: tf.Variable; iterations?: number };
  if (!adam.accBeta1 || !adam.accBeta2 || adam.beta1 === undefined || adam.beta2 === undefined) return;
  const steps = adam.iterations ?? 0;
  const power = (beta: number): number => {
    const b = Math.fround(beta);
    let acc = b;
    for (let i = 0; i < steps; i++) acc = Math.fround(acc * b);
    return acc;
  };
  tf.tidy(() => {
    adam.accBeta1!.assign(tf.scalar(power(adam.beta1!)));
    adam.accBeta2!.assign(tf.scalar(power(adam.beta2!)));
  });
}
