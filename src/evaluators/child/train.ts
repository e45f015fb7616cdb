import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { batchCount, batchDataset, type Batch } from '../../data/pipeline.js';
import type { Cifar10Splits, ImageSet } from '../../data/types.js';

export interface EpochStats {
  /** Mean training loss over the epoch's images. */
  loss: number;
  /** Accuracy of the training-mode forward passes during the epoch. */
  trainAccuracy: number;
  valAccuracy: number;
}

/** Progress callbacks; epochs and batches count from 0. */
export interface TrainHooks {
  onEpochStart?(epoch: number): void;
  onBatch?(epoch: number, batch: number, batches: number, loss: number): void;
  onEpochEnd?(epoch: number, stats: EpochStats): void;
  /** Aborting makes training reject with the signal's reason (it is not a failed child). */
  signal?: AbortSignal;
  /**
   * Asked after each epoch's validation with the accuracies so far (a pruner): a reason stops
   * training there, recorded in the outcome's `stopped`.
   */
  stopAfterEpoch?(valAccuracies: readonly number[]): string | undefined | Promise<string | undefined>;
}

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  learningRate: number;
  numClasses: number;
  shuffleSeed: number;
  /** Training batches whose statistics replace the BN moving statistics before each validation. */
  bnRecalibrationBatches: number;
  /** Largest slice of a batch trained at once (gradients summed over slices); 0: the whole batch. */
  microBatch?: number;
  /** Epochs the model has already been trained (a continued child): training runs from there to `epochs`. */
  initialEpoch?: number;
}

export interface TrainOutcome {
  valAccuracies: number[];
  trainAccuracies: number[];
  losses: number[];
  trainImages: number;
  /** Set when the loss stopped being finite; training stopped there. */
  failed?: string;
  /** Set when hooks.stopAfterEpoch stopped training after `epoch` (counted from 1, as a total). */
  stopped?: { epoch: number; reason: string };
}

const CLIP = 1e-7;

/** Keras's categorical cross-entropy on probabilities, averaged over the batch. */
export function categoricalCrossEntropy(probs: tf.Tensor2D, labels: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.neg(tf.sum(tf.mul(labels, tf.log(tf.clipByValue(probs, CLIP, 1 - CLIP))), -1))) as tf.Scalar);
}

function correctCount(probs: tf.Tensor2D, labels: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(probs, -1), tf.argMax(labels, -1)), 'int32')) as tf.Scalar);
}

/**
 * One Adam step on a batch; returns the batch's loss and number of correct predictions.
 * With `microBatch` > 0 and a larger batch, gradients of successive slices (each weighted by its
 * share of the batch) are summed before the one update: tfjs keeps every activation of a step
 * alive until its gradients are done, and wasm memory stops at 4 GiB. BatchNorm then normalizes
 * each slice with its own statistics.
 */
export function trainStep(model: tfl.LayersModel, optimizer: tf.Optimizer, batch: Batch, microBatch = 0): { loss: tf.Scalar; correct: tf.Scalar } {
  const n = batch.xs.shape[0];
  if (microBatch > 0 && n > microBatch) return accumulatedStep(model, optimizer, batch, microBatch);
  let correct: tf.Scalar | undefined;
  try {
    const loss = tf.tidy(
      () =>
        optimizer.minimize(() => {
          const probs = model.apply(batch.xs, { training: true }) as tf.Tensor2D;
          correct = tf.keep(correctCount(probs, batch.ys));
          return categoricalCrossEntropy(probs, batch.ys);
        }, true)!,
    );
    return { loss, correct: correct! };
  } catch (err) {
    correct?.dispose();
    throw err;
  }
}

function accumulatedStep(model: tfl.LayersModel, optimizer: tf.Optimizer, batch: Batch, microBatch: number): { loss: tf.Scalar; correct: tf.Scalar } {
  const n = batch.xs.shape[0];
  let grads: tf.NamedTensorMap = {};
  let loss: tf.Scalar = tf.scalar(0);
  let correct: tf.Scalar = tf.scalar(0, 'int32');
  try {
    for (let from = 0; from < n; from += microBatch) {
      const size = Math.min(microBatch, n - from);
      const part = tf.tidy(() => {
        const xs = tf.slice(batch.xs, from, size);
        const ys = tf.slice(batch.ys, from, size);
        let right: tf.Scalar | undefined;
        const { value, grads: g } = optimizer.computeGradients(() => {
          const probs = model.apply(xs, { training: true }) as tf.Tensor2D;
          right = tf.keep(correctCount(probs, ys));
          return tf.mul(categoricalCrossEntropy(probs, ys), size / n) as tf.Scalar;
        });
        return { value, grads: g, right: right! };
      });
      const summed = tf.tidy(() => {
        const out: tf.NamedTensorMap = {};
        for (const [name, g] of Object.entries(part.grads)) out[name] = grads[name] ? tf.add(grads[name], g) : tf.clone(g);
        return { grads: out, loss: tf.add(loss, part.value) as tf.Scalar, correct: tf.add(correct, part.right) as tf.Scalar };
      });
      tf.dispose([grads, loss, correct, part]);
      ({ grads, loss, correct } = summed);
    }
    optimizer.applyGradients(grads);
    return { loss, correct };
  } catch (err) {
    tf.dispose([loss, correct]);
    throw err;
  } finally {
    tf.dispose(grads);
  }
}

const BN_CLASSES = new Set(['BatchNormalization', 'NascentFusedBatchNormalization']);

export function batchNormLayers(model: tfl.LayersModel): tfl.layers.Layer[] {
  return model.layers.filter((l) => BN_CLASSES.has(l.getClassName()));
}

/**
 * "Precise BN": replaces every BN layer's moving mean and variance by the exact average of the
 * batch statistics of up to `maxBatches` training-mode forward passes, without touching the
 * weights. tfjs's BatchNormalization.call(training) updates moving = moving * m + batch * (1 - m)
 * with m read from the layer on every call, so m = (k - 1) / k on the k-th pass keeps a running
 * mean. Evaluating with the moving averages of a short training run reads as chance even when
 * the weights have learned; after this, inference mode sees the statistics the weights expect.
 * Disposes the batches it consumes; returns how many it used.
 */
export async function recalibrateBatchNorm(model: tfl.LayersModel, batches: AsyncIterable<Batch> | Iterable<Batch>, maxBatches: number): Promise<number> {
  if (maxBatches <= 0) return 0;
  const layers = batchNormLayers(model) as unknown as Array<{ momentum: number }>;
  const saved = layers.map((l) => l.momentum);
  let k = 0;
  try {
    for await (const batch of batches) {
      k++;
      for (const l of layers) l.momentum = (k - 1) / k;
      try {
        tf.tidy(() => {
          model.apply(batch.xs, { training: true });
        });
      } finally {
        tf.dispose([batch.xs, batch.ys]);
      }
      if (k >= maxBatches) break;
    }
  } finally {
    layers.forEach((l, i) => (l.momentum = saved[i]));
  }
  return k;
}

export interface EvaluateHooks {
  /** After each batch: images scored so far, of `total`. */
  onBatch?(done: number, total: number): void;
  /** Aborting makes evaluation reject with the signal's reason. */
  signal?: AbortSignal;
}

/** Accuracy of inference-mode predictions (BN uses its moving statistics). */
export async function evaluate(model: tfl.LayersModel, set: ImageSet, batchSize: number, numClasses: number, hooks?: EvaluateHooks): Promise<number> {
  let correct = 0;
  let done = 0;
  for await (const batch of iterate(batchDataset(set, { batchSize, numClasses }))) {
    const c = tf.tidy(() => correctCount(model.apply(batch.xs, { training: false }) as tf.Tensor2D, batch.ys));
    correct += (await c.data())[0];
    done += batch.xs.shape[0];
    tf.dispose([c, batch.xs, batch.ys]);
    if (hooks) {
      hooks.onBatch?.(done, set.count);
      await nextTurn();
      throwIfAborted(hooks.signal);
    }
  }
  return correct / set.count;
}

// On cpu every kernel runs synchronously and awaiting a resolved promise never leaves the
// microtask queue, so without a real turn of the event loop an abort or a redraw never gets in.
const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason ?? new Error('training aborted');
}

export interface EpochPass {
  /** Mean training loss over the images of the pass. */
  loss: number;
  /** Accuracy of the pass's training-mode forward passes. */
  trainAccuracy: number;
  /** Images trained on, the batch whose loss stopped being finite included. */
  images: number;
  /** Set when the loss stopped being finite; the pass stopped there. */
  failed?: string;
}

/**
 * One pass of Adam steps over `trainSet` (one epoch), reporting each batch through
 * hooks.onBatch and rejecting with the signal's reason between batches once it is aborted.
 */
export async function trainEpoch(
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  trainSet: ReturnType<typeof batchDataset>,
  at: { epoch: number; batches: number; microBatch: number },
  hooks: Pick<TrainHooks, 'onBatch' | 'signal'> = {},
): Promise<EpochPass> {
  let lossSum = 0;
  let correct = 0;
  let images = 0;
  const iterator = await trainSet.iterator();
  for (let b = 0; ; b++) {
    const r = await iterator.next();
    if (r.done) break;
    const batch = r.value;
    const n = batch.xs.shape[0];
    let step: { loss: tf.Scalar; correct: tf.Scalar };
    try {
      step = trainStep(model, optimizer, batch, at.microBatch);
    } finally {
      tf.dispose([batch.xs, batch.ys]);
    }
    const [loss, right] = await Promise.all([step.loss.data(), step.correct.data()]).finally(() => tf.dispose([step.loss, step.correct]));
    images += n;
    if (!Number.isFinite(loss[0])) {
      return { loss: NaN, trainAccuracy: NaN, images, failed: `loss became ${loss[0]} at epoch ${at.epoch} batch ${b}` };
    }
    lossSum += loss[0] * n;
    correct += right[0];
    hooks.onBatch?.(at.epoch, b, at.batches, loss[0]);
    await nextTurn();
    throwIfAborted(hooks.signal);
  }
  return { loss: lossSum / images, trainAccuracy: correct / images, images };
}

/**
 * Trains `model` in place with Adam; validates (after BN recalibration) at every epoch's end.
 * `optimizer` (the caller's, to save its state afterwards or to continue one restored from a
 * file) is used instead of a fresh Adam and left undisposed. With cfg.initialEpoch = k, training
 * runs epochs k..epochs-1 with the data order those epochs would have had, so saving after k
 * epochs and continuing trains the same child as training straight through.
 */
export async function trainModel(
  model: tfl.LayersModel,
  data: Cifar10Splits,
  cfg: TrainConfig,
  hooks: TrainHooks = {},
  optimizer?: tf.Optimizer,
): Promise<TrainOutcome> {
  const outcome: TrainOutcome = { valAccuracies: [], trainAccuracies: [], losses: [], trainImages: 0 };
  const { batchSize, numClasses } = cfg;
  const first = cfg.initialEpoch ?? 0;
  const batches = batchCount(data.train, batchSize);
  const trainSet = batchDataset(data.train, { batchSize, numClasses, shuffleSeed: cfg.shuffleSeed, skipPasses: first });
  const recalibrationSet = batchDataset(data.train, {
    batchSize,
    numClasses,
    shuffleSeed: cfg.shuffleSeed + 1,
    skipPasses: cfg.bnRecalibrationBatches > 0 ? first : 0,
  });
  const opt = optimizer ?? newAdam(cfg.learningRate);
  try {
    for (let epoch = first; epoch < cfg.epochs; epoch++) {
      throwIfAborted(hooks.signal);
      hooks.onEpochStart?.(epoch);
      const pass = await trainEpoch(model, opt, trainSet, { epoch, batches, microBatch: cfg.microBatch ?? 0 }, hooks);
      outcome.trainImages += pass.images;
      if (pass.failed) {
        outcome.failed = pass.failed;
        return outcome;
      }
      if (cfg.bnRecalibrationBatches > 0) {
        await recalibrateBatchNorm(model, iterate(recalibrationSet), cfg.bnRecalibrationBatches);
      }
      const valAccuracy = await evaluate(model, data.val, batchSize, numClasses);
      const stats: EpochStats = { loss: pass.loss, trainAccuracy: pass.trainAccuracy, valAccuracy };
      outcome.losses.push(stats.loss);
      outcome.trainAccuracies.push(stats.trainAccuracy);
      outcome.valAccuracies.push(valAccuracy);
      hooks.onEpochEnd?.(epoch, stats);
      // Awaited: a child trained in another process asks the search, which holds the other children's curves.
      const stop = epoch + 1 < cfg.epochs ? await hooks.stopAfterEpoch?.(outcome.valAccuracies) : undefined;
      if (stop !== undefined) {
        outcome.stopped = { epoch: epoch + 1, reason: stop };
        return outcome;
      }
    }
    return outcome;
  } finally {
    if (!optimizer) opt.dispose();
  }
}

/** The child's optimizer: Adam with PyTorch's defaults (tfjs would take the backend's epsilon, 1e-7 on float32). */
export function newAdam(learningRate: number): tf.Optimizer {
  return tf.train.adam(learningRate, 0.9, 0.999, 1e-8);
}

/** A tfjs-data dataset as an async iterator (one fresh pass). */
export async function* iterate(set: ReturnType<typeof batchDataset>): AsyncGenerator<Batch> {
  const iterator = await set.iterator();
  for (let r = await iterator.next(); !r.done; r = await iterator.next()) yield r.value;
}
