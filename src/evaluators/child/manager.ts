import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { CellPair } from '../../spaces/nasnet/types.js';
import { CIFAR10_CLASSES, type Cifar10Splits, type ImageSet } from '../../data/types.js';
import { buildChild, countParams, validateBuildOptions } from './build.js';
import { measureLatency } from './latency.js';
import { ChildStateError, decodeChildState, encodeChildState, restoreChildState } from './state.js';
import { newAdam, trainModel, type TrainHooks } from './train.js';

/** How long to train and from where (the defaults: the manager's epochs, from scratch, nothing saved). */
export interface TrainRequest {
  /** Total epochs the child has when this training ends. */
  epochs?: number;
  /** A saved state (see src/evaluators/child/state.ts) to continue from, and a name for it in errors. */
  resume?: { bytes: Uint8Array; what: string };
  /** Return the child's weights and optimizer state at the end, to continue it later. */
  keepState?: boolean;
  /** Measure its batch-1 inference latency after training (see latency.ts). */
  measureLatency?: boolean;
}

export interface ChildManagerOptions {
  data: Cifar10Splits;
  /** Channels of the five cells (see buildChild). */
  channels: number[];
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Fixes weight initialization and batch order, so one cell pair always trains the same way. */
  seed?: number;
  hierarchical?: boolean;
  numClasses?: number;
  /** Training batches used to recompute BN statistics before each validation; 0 turns it off. */
  bnRecalibrationBatches?: number;
  /** Largest slice of a batch trained at once, gradients summed over slices (0: whole batch). */
  microBatch?: number;
}

export interface ChildResult {
  /** Best validation accuracy over the epochs (0 for a failed child). */
  accuracy: number;
  valAccuracies: number[];
  trainAccuracies: number[];
  /** Mean training loss of each epoch. */
  losses: number[];
  params: number;
  seconds: number;
  /** Images trained on (epochs x training set unless the child failed early). */
  trainImages: number;
  /** Why the child could not be trained to the end: a non-finite loss or an error's message. */
  failed?: string;
  /** Epochs trained by this call (fewer than asked when pruned or failed). */
  epochsTrained: number;
  /** Epochs the child had before this call (a continued child). */
  initialEpoch: number;
  /** Set when hooks.stopAfterEpoch stopped it. */
  stopped?: { epoch: number; reason: string };
  /** Its saved state, when asked for with keepState (not for a failed child). */
  state?: Uint8Array;
  /** Median batch-1 inference latency in ms, when asked for with measureLatency. */
  latencyMs?: number;
}

// Precise BN on 8 batches (1,024 images): on the reference child (2,000 + 1,000 images, 1 epoch,
// wasm) 20 batches took 7.6 s more per episode (20% of it) and scored 0.865 against 0.870 for 8
// and 0.872 for 4, all within the noise of 1,000 validation images.
export const CHILD_DEFAULTS = { epochs: 6, batchSize: 128, learningRate: 1e-3, bnRecalibrationBatches: 8, microBatch: 0 } as const;

function checkSet(name: string, set: ImageSet, numClasses: number): void {
  const what = `data.${name}`;
  if (!set || !(set.images instanceof Uint8Array) || !(set.labels instanceof Uint8Array)) throw new Error(`${what} must have Uint8Array images and labels`);
  if (!Number.isInteger(set.count) || set.count <= 0) throw new Error(`${what}.count must be a positive integer, got ${set.count}`);
  const pixels = set.height * set.width * set.channels;
  if (!Number.isInteger(pixels) || pixels <= 0) throw new Error(`${what} has a bad image shape ${set.height}x${set.width}x${set.channels}`);
  if (set.images.length !== set.count * pixels) throw new Error(`${what}.images holds ${set.images.length} bytes, expected ${set.count} x ${pixels}`);
  if (set.labels.length !== set.count) throw new Error(`${what}.labels holds ${set.labels.length} labels, expected ${set.count}`);
  const bad = set.labels.findIndex((l) => l >= numClasses);
  if (bad >= 0) throw new Error(`${what}.labels[${bad}] is ${set.labels[bad]}, not below numClasses ${numClasses}`);
}

function checkPositive(name: string, value: number, integer: boolean): void {
  if (!(value > 0) || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
  }
}

/** Builds, trains and scores child networks one at a time, leaving no tensors behind. */
export class ChildManager {
  readonly options: Required<Omit<ChildManagerOptions, 'seed'>> & { seed?: number };

  constructor(opts: ChildManagerOptions) {
    const o = { ...CHILD_DEFAULTS, hierarchical: false, numClasses: CIFAR10_CLASSES, ...opts };
    checkSet('train', o.data?.train, o.numClasses);
    checkSet('val', o.data.val, o.numClasses);
    const { train, val } = o.data;
    if (train.height !== val.height || train.width !== val.width || train.channels !== val.channels) {
      throw new Error(`data.train images are ${train.height}x${train.width}x${train.channels} but data.val's are ${val.height}x${val.width}x${val.channels}`);
    }
    validateBuildOptions({ channels: o.channels, numClasses: o.numClasses, inputShape: [train.height, train.width, train.channels] });
    checkPositive('epochs', o.epochs, true);
    checkPositive('batchSize', o.batchSize, true);
    checkPositive('learningRate', o.learningRate, false);
    if (!Number.isInteger(o.microBatch) || o.microBatch < 0) throw new Error(`microBatch must be a non-negative integer, got ${o.microBatch}`);
    if (!Number.isInteger(o.bnRecalibrationBatches) || o.bnRecalibrationBatches < 0) {
      throw new Error(`bnRecalibrationBatches must be a non-negative integer, got ${o.bnRecalibrationBatches}`);
    }
    if (o.seed !== undefined && !Number.isInteger(o.seed)) throw new Error(`seed must be an integer, got ${o.seed}`);
    this.options = o;
  }

  /** The network for `cells` at this manager's sizes, untrained (the caller disposes it). */
  build(cells: CellPair): tfl.LayersModel {
    const { channels, numClasses, hierarchical, seed, data } = this.options;
    const { height, width, channels: depth } = data.train;
    return buildChild(cells, { channels, numClasses, hierarchical, seed, inputShape: [height, width, depth] });
  }

  /**
   * Trains a child for `cells` and reports its best validation accuracy over the epochs of this
   * call. From scratch, or from `request.resume` (a state saved after k epochs: training runs
   * epochs k+1..epochs with the data order a straight run would have had). A non-finite loss or an
   * error while building or training gives a result with `failed` set and accuracy 0; only an
   * abort through `hooks.signal` rejects, and so does a state file that does not fit the child.
   */
  async train(cells: CellPair, hooks: TrainHooks = {}, request: TrainRequest = {}): Promise<ChildResult> {
    const o = this.options;
    const epochs = request.epochs ?? o.epochs;
    checkPositive('epochs', epochs, true);
    const started = performance.now();
    const result: ChildResult = {
      accuracy: 0,
      valAccuracies: [],
      trainAccuracies: [],
      losses: [],
      params: 0,
      seconds: 0,
      trainImages: 0,
      epochsTrained: 0,
      initialEpoch: 0,
    };
    const saved = request.resume ? decodeChildState(request.resume.bytes, request.resume.what) : undefined;
    let model: tfl.LayersModel | undefined;
    const optimizer = newAdam(o.learningRate);
    try {
      model = this.build(cells);
      result.params = countParams(model);
      const shuffleSeed = saved?.shuffleSeed ?? o.seed ?? Math.floor(Math.random() * 2 ** 31);
      if (saved) {
        if (saved.epochs >= epochs)
          throw new ChildStateError(`${request.resume!.what}: already trained ${saved.epochs} epochs, nothing to continue to ${epochs}`);
        await restoreChildState(model, optimizer, saved, request.resume!.what);
        result.initialEpoch = saved.epochs;
      }
      const outcome = await trainModel(model, o.data, { ...o, epochs, shuffleSeed, initialEpoch: result.initialEpoch }, hooks, optimizer);
      Object.assign(result, {
        valAccuracies: outcome.valAccuracies,
        trainAccuracies: outcome.trainAccuracies,
        losses: outcome.losses,
        trainImages: outcome.trainImages,
        epochsTrained: outcome.valAccuracies.length,
      });
      if (outcome.stopped) result.stopped = outcome.stopped;
      if (outcome.failed) result.failed = outcome.failed;
      else {
        result.accuracy = Math.max(0, ...outcome.valAccuracies);
        if (request.keepState) result.state = await encodeChildState(model, optimizer, result.initialEpoch + result.epochsTrained, shuffleSeed);
        if (request.measureLatency) {
          const { height, width, channels } = o.data.train;
          result.latencyMs = await measureLatency(model, [height, width, channels]);
        }
      }
    } catch (err) {
      if (hooks.signal?.aborted) throw err;
      if (err instanceof ChildStateError) throw err;
      result.failed = err instanceof Error ? err.message : String(err);
    } finally {
      model?.dispose();
      optimizer.dispose();
      if (saved) tf.dispose([...saved.model, ...saved.optimizer.map((w) => w.tensor)]);
      result.seconds = (performance.now() - started) / 1000;
    }
    return result;
  }
}
