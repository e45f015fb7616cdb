// Training found cells for real, once the search is over: a fresh network trained on every
// training image, then scored once on the test images. Unlike the search's children, nothing is
// validated between epochs: the held-out set here is the test set, and looking at it while
// training would make the reported accuracy a tuned number rather than a test.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { CellPair } from '../../spaces/nasnet/types.js';
import { batchCount, batchDataset } from '../../data/pipeline.js';
import { CIFAR10_CLASSES, type ImageSet } from '../../data/types.js';
import { buildChild, countParams } from './build.js';
import { evaluate, iterate, recalibrateBatchNorm, trainEpoch } from './train.js';

// wasm memory stops at 4 GiB and tfjs keeps a whole step's activations: a batch of 128 of the
// default child does not fit, 64 does (the search's default for the same reason).
export const WASM_MICRO_BATCH = 64;

/** The micro-batch a backend needs when none is asked for. */
export function defaultMicroBatch(backend: string): number {
  return backend === 'wasm' ? WASM_MICRO_BATCH : 0;
}

export interface FinalTrainOptions {
  cells: CellPair;
  /** Every training image (the search's train and validation sides together). */
  train: ImageSet;
  /** Scored once, after training; never seen before. */
  test: ImageSet;
  /** Channels of the five cells (see buildChild). */
  channels: number[];
  hierarchical?: boolean;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Fixes weight initialization and batch order. */
  seed: number;
  numClasses?: number;
  /** Largest slice of a batch trained at once, gradients summed over slices (0: whole batch). */
  microBatch?: number;
  /** Training batches whose statistics replace the BN moving statistics before the test. */
  bnRecalibrationBatches?: number;
}

export interface FinalEpoch {
  /** 1-based. */
  epoch: number;
  /** Mean training loss of the epoch. */
  loss: number;
  /** Accuracy of the epoch's training-mode forward passes. */
  trainAccuracy: number;
  seconds: number;
}

export type FinalPhase = 'recalibrate' | 'test';

export interface FinalTrainHooks {
  /** Epochs count from 1, batches from 0. */
  onEpochStart?(epoch: number, epochs: number, batches: number): void;
  onBatch?(epoch: number, batch: number, batches: number, loss: number): void;
  onEpochEnd?(stats: FinalEpoch): void;
  /** Recalibration starts (with `images` training images), then the test (on `images` test images). */
  onPhase?(phase: FinalPhase, images: number): void;
  onTestBatch?(done: number, total: number): void;
  /** Aborting makes training reject with the signal's reason; the model is disposed. */
  signal?: AbortSignal;
}

export interface FinalTrainResult {
  /** The trained network, BN statistics recalibrated: the caller saves and disposes it. */
  model: tfl.LayersModel;
  params: number;
  epochs: FinalEpoch[];
  testAccuracy: number;
  testImages: number;
  /** Training images per epoch. */
  trainImages: number;
  /** Whole run: training, recalibration and test. */
  seconds: number;
}

/** The loss stopped being finite: the trained weights are useless and nothing is reported. */
export class FinalTrainingDiverged extends Error {
  constructor(message: string) {
    super(`${message}; try a smaller --lr`);
    this.name = 'FinalTrainingDiverged';
  }
}

function checkSets(train: ImageSet, test: ImageSet): void {
  for (const [name, set] of [
    ['training', train],
    ['test', test],
  ] as const) {
    if (!set || set.count <= 0) throw new Error(`no ${name} images`);
  }
  if (train.height !== test.height || train.width !== test.width || train.channels !== test.channels) {
    throw new Error(`training images are ${train.height}x${train.width}x${train.channels} but test images are ${test.height}x${test.width}x${test.channels}`);
  }
}

/** Precise-BN batches for the one final evaluation: more than a search child's, since it runs once. */
export const FINAL_BN_BATCHES = 20;

/** Trains a fresh network for `opts.cells` on `opts.train` and scores it on `opts.test`. */
export async function trainFinal(opts: FinalTrainOptions, hooks: FinalTrainHooks = {}): Promise<FinalTrainResult> {
  const { train, test, batchSize } = opts;
  checkSets(train, test);
  const numClasses = opts.numClasses ?? CIFAR10_CLASSES;
  const bnBatches = opts.bnRecalibrationBatches ?? FINAL_BN_BATCHES;
  const started = performance.now();
  const model = buildChild(opts.cells, {
    channels: opts.channels,
    numClasses,
    hierarchical: opts.hierarchical ?? false,
    seed: opts.seed,
    inputShape: [train.height, train.width, train.channels],
  });
  const optimizer = tf.train.adam(opts.learningRate, 0.9, 0.999, 1e-8); // PyTorch's defaults, as the search's children
  try {
    const trainSet = batchDataset(train, { batchSize, numClasses, shuffleSeed: opts.seed });
    const batches = batchCount(train, batchSize);
    const epochs: FinalEpoch[] = [];
    for (let e = 1; e <= opts.epochs; e++) {
      if (hooks.signal?.aborted) throw hooks.signal.reason ?? new Error('training aborted');
      hooks.onEpochStart?.(e, opts.epochs, batches);
      const epochStarted = performance.now();
      const pass = await trainEpoch(
        model,
        optimizer,
        trainSet,
        { epoch: e, batches, microBatch: opts.microBatch ?? 0 },
        { onBatch: hooks.onBatch, signal: hooks.signal },
      );
      if (pass.failed) throw new FinalTrainingDiverged(pass.failed);
      const stats = { epoch: e, loss: pass.loss, trainAccuracy: pass.trainAccuracy, seconds: (performance.now() - epochStarted) / 1000 };
      epochs.push(stats);
      hooks.onEpochEnd?.(stats);
    }
    // Precise BN (see recalibrateBatchNorm): the moving statistics of training are still catching
    // up with the weights; inference mode must see the statistics the final weights produce.
    hooks.onPhase?.('recalibrate', Math.min(train.count, bnBatches * batchSize));
    await recalibrateBatchNorm(model, iterate(batchDataset(train, { batchSize, numClasses, shuffleSeed: opts.seed + 1 })), bnBatches);
    hooks.onPhase?.('test', test.count);
    const testAccuracy = await evaluate(model, test, batchSize, numClasses, {
      onBatch: hooks.onTestBatch,
      signal: hooks.signal ?? new AbortController().signal,
    });
    return {
      model,
      params: countParams(model),
      epochs,
      testAccuracy,
      testImages: test.count,
      trainImages: train.count,
      seconds: (performance.now() - started) / 1000,
    };
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    optimizer.dispose();
  }
}
