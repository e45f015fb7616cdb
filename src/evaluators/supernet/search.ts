// The weight-sharing search (ENAS, Pham et al. 2018; with the random strategy, Li & Talwalkar's
// random search with weight sharing). Every child shares the weights of one network, so a child is
// scored on a validation batch instead of being trained. Each epoch alternates as ENAS does:
//   1. shared weights: one step per training minibatch, each on an architecture the strategy
//      proposes, only that path computed (the strategy is not fed these);
//   2. strategy: `controllerSteps` proposals, each scored on one validation minibatch with the
//      shared weights; reward = accuracy - the moving baseline, fed to the strategy (REINFORCE for
//      the controller), one line of ws-steps.jsonl each.
// At the end `finalSamples` distinct proposals are scored on the whole validation split and the
// best are written as best-cells.json and top-cells.jsonl, in the format `nascent train` reads.
// With `finalScreen` they are first scored on that many validation images, and only the best
// `topCells` on the whole split (Li & Talwalkar's cheap final selection): more candidates for the
// same forward passes.
//
// The driver knows the strategy only through the Strategy seam and the shared weights only through
// SharedWeights: it neither knows what a decision means nor how a path is computed.
//
// Durability: ws-checkpoint.bin (the shared weights and their optimizer, the strategy, the
// baseline, every counter) is replaced atomically every `checkpointEvery` training steps, after
// each epoch and at the end; ws-steps.jsonl lines are appended (fsync'd) as they happen, and a
// resume cuts the file back to the lines its checkpoint counts, which the resumed run writes again
// (the same lines: every random choice is a function of the seed and the counters). The final
// scoring appends each sample (fsync'd) to final-samples.jsonl as it is scored; a resume draws the
// same proposals again from the checkpoint written before the scoring began and takes the scores
// already on disk instead of computing them, so a kill there costs at most one sample.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyHash } from '../../spaces/nasnet/key.js';
import { makeBatch, type Batch } from '../../data/pipeline.js';
import type { Cifar10Splits, ImageSet } from '../../data/types.js';
import type { SearchSpace } from '../../spaces/types.js';
import { appendLineDurable, writeFileAtomic, writeJsonAtomic } from '../../store/atomic.js';
import { BEST_CELLS_FORMAT, BEST_CELLS_VERSION, type BestCellsFile } from '../../store/records.js';
import { truncateLines } from '../../store/lines.js';
import { frame, unframe } from '../../util/framed.js';
import { Rng } from '../../util/random.js';
import type { Baseline, Strategy } from '../../search/types.js';
import type { SharedWeights } from './types.js';

export interface WeightSharingSettings {
  /** Passes of shared-weight training over the training split. */
  wsEpochs: number;
  /** Strategy updates (validation minibatches scored) after each pass. */
  controllerSteps: number;
  batchSize: number;
  /** Distinct architectures scored at the end. */
  finalSamples: number;
  /**
   * Validation images each final sample is scored on first; only the best `topCells` are then
   * scored on the whole split. Undefined (or the split's size or more): all on the whole split.
   */
  finalScreen?: number;
  /** Lines of top-cells.jsonl (with finalScreen: the samples scored on the whole split). */
  topCells: number;
  /** Training steps between checkpoints (one is also written after every epoch). */
  checkpointEvery: number;
  seed: number;
  numClasses?: number;
}

export const WS_FILES = {
  checkpoint: 'ws-checkpoint.bin',
  steps: 'ws-steps.jsonl',
  final: 'final-samples.jsonl',
  top: 'top-cells.jsonl',
  best: 'best-cells.json',
} as const;

/** One strategy step: an architecture scored on a validation minibatch, and the cost so far. */
export interface WsStepRecord {
  step: number; // 1-based, over the run
  epoch: number; // 1-based
  strategy: string;
  cells: unknown;
  key: string;
  explored: boolean;
  /** Accuracy on this step's validation minibatch, with the shared weights. */
  accuracy: number;
  reward: number;
  baseline: number;
  /** Mean training loss of this epoch's shared-weight steps. */
  trainLoss: number;
  /** Images through shared-weight training steps so far (forward and backward). */
  trainImageSteps: number;
  /** Images scored (forward only) so far: strategy steps and final samples. */
  scoredImages: number;
  /** trainImageSteps / training-split size: what a standard search counts as child-epochs. */
  childEpochs: number;
  time: string;
}

/** A final sample: an architecture scored on the validation split, or on its first `images` when screened. */
export interface WsFinalSample {
  sample: number; // 1-based, in the order drawn
  cells: unknown;
  key: string;
  explored: boolean;
  accuracy: number;
  /** Validation images it was scored on (absent in runs from before screening: the whole split). */
  images?: number;
}

interface Counters {
  phase: 'train' | 'final' | 'done';
  epoch: number; // 0-based, the epoch in progress
  batch: number; // training batches done in this epoch
  controllerStep: number; // strategy steps done in this epoch
  steps: number; // strategy steps done in all (= lines of ws-steps.jsonl)
  trainSteps: number;
  trainImageSteps: number;
  scoredImages: number;
  lossSum: number; // this epoch's, weighted by images
  lossImages: number;
}

interface WsCheckpoint extends Counters {
  format: 'nascent.ws-checkpoint';
  version: 1;
  strategy: unknown;
  baseline: unknown;
}

export type WsEvent =
  | { type: 'train-step'; epoch: number; batch: number; batches: number; loss: number; counters: Readonly<Counters> }
  | { type: 'strategy-step'; record: WsStepRecord }
  | { type: 'epoch-end'; epoch: number; epochs: number; trainLoss: number; meanAccuracy: number; baseline: number; childEpochs: number }
  | { type: 'final-sample'; stage: 'screen' | 'whole'; done: number; total: number; sample: WsFinalSample }
  | { type: 'checkpoint'; counters: Readonly<Counters> };

export interface WeightSharingOptions<A> {
  dir: string;
  space: SearchSpace<A>;
  strategy: Strategy;
  baseline: Baseline;
  net: SharedWeights<A>;
  data: Cifar10Splits;
  settings: WeightSharingSettings;
  /** Recorded in best-cells.json and each top-cells line (as a search's settings are). */
  config: Record<string, unknown>;
  onEvent?(e: WsEvent): void;
  /** Checked between steps: an abort writes a checkpoint and returns. */
  signal?: AbortSignal;
}

export interface WeightSharingOutcome {
  stopped: boolean;
  /** Set when the run is done. */
  best?: BestCellsFile;
  finalSamples?: WsFinalSample[];
  trainImageSteps: number;
  scoredImages: number;
  childEpochs: number;
  /** Where it went on from (a resume), else undefined. */
  resumedAt?: Readonly<Counters>;
}

const fresh = (): Counters => ({
  phase: 'train',
  epoch: 0,
  batch: 0,
  controllerStep: 0,
  steps: 0,
  trainSteps: 0,
  trainImageSteps: 0,
  scoredImages: 0,
  lossSum: 0,
  lossImages: 0,
});

/** The order of pass `pass` over `count` images, a function of the seed alone. */
function passOrder(seed: number, stream: number, pass: number, count: number): Uint32Array {
  const rng = new Rng((seed * 16777619 + stream * 2654435761 + pass * 40503 + 1) >>> 0);
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  rng.shuffle(order);
  return order;
}

/** Batch `index` of `size` images of `set`, in `order` (a pass over the set, or the first images of one). */
function batchOf(set: ImageSet, order: Uint32Array, index: number, size: number, numClasses: number): Batch {
  return makeBatch(set, order.subarray(index * size, Math.min(order.length, (index + 1) * size)), numClasses);
}

/** Reads a run's weight-sharing checkpoint, or undefined when it has none. */
export function readWsCheckpoint(dir: string): { checkpoint: WsCheckpoint; net: Uint8Array } | undefined {
  const path = join(dir, WS_FILES.checkpoint);
  if (!existsSync(path)) return undefined;
  const fail = (why: string): never => {
    throw new Error(`${path}: ${why} (the checkpoint is replaced atomically, so it was damaged after it was written)`);
  };
  const { header: checkpoint, body } = unframe<WsCheckpoint>(readFileSync(path), 'nascent.ws-checkpoint', fail);
  return { checkpoint, net: body };
}

export async function runWeightSharing<A>(o: WeightSharingOptions<A>): Promise<WeightSharingOutcome> {
  const s = o.settings;
  const numClasses = s.numClasses ?? 10;
  const emit = o.onEvent ?? (() => {});
  const { train, val } = o.data;
  const trainBatches = Math.ceil(train.count / s.batchSize);
  const valBatches = Math.ceil(val.count / s.batchSize);
  const stepsPath = join(o.dir, WS_FILES.steps);
  const finalPath = join(o.dir, WS_FILES.final);
  const checkpointPath = join(o.dir, WS_FILES.checkpoint);

  let c = fresh();
  let resumedAt: Counters | undefined;
  const saved = readWsCheckpoint(o.dir);
  if (saved) {
    o.net.restoreState(saved.net, checkpointPath);
    await o.strategy.setState(saved.checkpoint.strategy);
    o.baseline.setState(saved.checkpoint.baseline);
    const { format: _f, version: _v, strategy: _s, baseline: _b, ...counters } = saved.checkpoint;
    c = counters;
    resumedAt = { ...c };
  }
  // Lines past the checkpoint are from steps the resumed run takes again; a torn line goes too.
  const kept = truncateLines(stepsPath, c.steps);
  if (kept < c.steps) throw new Error(`${stepsPath} holds ${kept} whole lines, but ${checkpointPath} counts ${c.steps} (the run was edited or damaged)`);

  const childEpochs = () => c.trainImageSteps / train.count;
  const outcome = (stopped: boolean, extra: Partial<WeightSharingOutcome> = {}): WeightSharingOutcome => ({
    stopped,
    trainImageSteps: c.trainImageSteps,
    scoredImages: c.scoredImages,
    childEpochs: childEpochs(),
    ...(resumedAt ? { resumedAt } : {}),
    ...extra,
  });
  const checkpoint = async () => {
    const header: WsCheckpoint = { format: 'nascent.ws-checkpoint', version: 1, ...c, strategy: await o.strategy.getState(), baseline: o.baseline.getState() };
    writeFileAtomic(checkpointPath, frame(header, [await o.net.encodeState()]));
    emit({ type: 'checkpoint', counters: { ...c } });
  };

  if (c.phase === 'done') return outcome(false, readFinal(o.dir));

  let epochAccuracies: number[] = [];
  while (c.phase === 'train') {
    if (c.epoch >= s.wsEpochs) {
      c.phase = 'final';
      // Samples on disk belong to a final phase this checkpoint starts, so none can be there yet.
      truncateLines(finalPath, 0);
      await checkpoint();
      break;
    }
    if (o.signal?.aborted) {
      await checkpoint();
      return outcome(true);
    }
    if (c.batch < trainBatches) {
      const proposal = await o.strategy.propose();
      const arch = o.space.decode(proposal.actions);
      const batch = batchOf(train, passOrder(s.seed, 1, c.epoch, train.count), c.batch, s.batchSize, numClasses);
      const n = batch.xs.shape[0];
      let step: { loss: number; correct: number };
      try {
        step = await o.net.trainStep(arch, batch);
      } finally {
        batch.xs.dispose();
        batch.ys.dispose();
      }
      if (!Number.isFinite(step.loss))
        throw new Error(`the shared weights' loss became ${step.loss} at epoch ${c.epoch + 1} batch ${c.batch + 1}; lower --ws-lr`);
      c.batch++;
      c.trainSteps++;
      c.trainImageSteps += n;
      c.lossSum += step.loss * n;
      c.lossImages += n;
      emit({ type: 'train-step', epoch: c.epoch, batch: c.batch, batches: trainBatches, loss: step.loss, counters: c });
      if (c.trainSteps % s.checkpointEvery === 0) await checkpoint();
      await nextTurn();
      continue;
    }
    if (c.controllerStep < s.controllerSteps) {
      const proposal = await o.strategy.propose();
      const arch = o.space.decode(proposal.actions);
      const pass = Math.floor(c.steps / valBatches);
      const batch = batchOf(val, passOrder(s.seed, 2, pass, val.count), c.steps % valBatches, s.batchSize, numClasses);
      const n = batch.xs.shape[0];
      let right: number;
      try {
        right = await o.net.correct(arch, batch);
      } finally {
        batch.xs.dispose();
        batch.ys.dispose();
      }
      const accuracy = right / n;
      const baseline = o.baseline.value();
      const reward = accuracy - baseline;
      await o.strategy.observe(proposal, { accuracy, reward });
      o.baseline.push(accuracy);
      c.controllerStep++;
      c.steps++;
      c.scoredImages += n;
      const record: WsStepRecord = {
        step: c.steps,
        epoch: c.epoch + 1,
        strategy: o.strategy.name,
        cells: o.space.toJSON(arch),
        key: keyHash(o.space.key(arch)),
        explored: proposal.explored,
        accuracy,
        reward,
        baseline,
        trainLoss: c.lossImages > 0 ? c.lossSum / c.lossImages : NaN,
        trainImageSteps: c.trainImageSteps,
        scoredImages: c.scoredImages,
        childEpochs: childEpochs(),
        time: new Date().toISOString(),
      };
      appendLineDurable(stepsPath, JSON.stringify(record));
      epochAccuracies.push(accuracy);
      emit({ type: 'strategy-step', record });
      await nextTurn();
      continue;
    }
    const trainLoss = c.lossImages > 0 ? c.lossSum / c.lossImages : NaN;
    emit({
      type: 'epoch-end',
      epoch: c.epoch + 1,
      epochs: s.wsEpochs,
      trainLoss,
      meanAccuracy: epochAccuracies.length ? epochAccuracies.reduce((a, b) => a + b, 0) / epochAccuracies.length : NaN,
      baseline: o.baseline.value(),
      childEpochs: childEpochs(),
    });
    epochAccuracies = [];
    Object.assign(c, { epoch: c.epoch + 1, batch: 0, controllerStep: 0, lossSum: 0, lossImages: 0 });
    await checkpoint();
  }

  // Final: distinct proposals scored on the validation split (fixed order, batch statistics), first
  // on its first `screen` images when screening. The checkpoint was written as this phase began, so
  // the strategy draws the same proposals a run killed here drew; the lines it wrote (whole lines
  // only) are taken as they are: first the screen, then the samples scored again on the whole split.
  const scored = readLines<WsFinalSample>(finalPath, truncateLines(finalPath, Infinity));
  const screen = Math.min(s.finalScreen ?? val.count, val.count);
  const valOrder = new Uint32Array(val.count).map((_, i) => i);
  const score = async (arch: A, images: number): Promise<number> => {
    const order = valOrder.subarray(0, images);
    let right = 0;
    for (let b = 0; b * s.batchSize < images; b++) {
      const batch = batchOf(val, order, b, s.batchSize, numClasses);
      try {
        right += await o.net.correct(arch, batch);
      } finally {
        batch.xs.dispose();
        batch.ys.dispose();
      }
      await nextTurn();
    }
    c.scoredImages += images;
    return right / images;
  };
  const lines: WsFinalSample[] = [];
  // The line-th line of final-samples.jsonl: the one on disk (checked to be this architecture), or scored now.
  const scoreLine = async (arch: A, key: string, x: Omit<WsFinalSample, 'accuracy' | 'images'>, images: number): Promise<WsFinalSample> => {
    const done = scored[lines.length];
    if (done) {
      if (done.key !== key)
        throw new Error(
          `${finalPath}: sample ${x.sample} is ${done.key}, but the strategy restored from ${checkpointPath} draws ${key} (the run was edited or damaged)`,
        );
      c.scoredImages += images;
      lines.push(done);
      return done;
    }
    const line: WsFinalSample = { ...x, accuracy: await score(arch, images), images };
    appendLineDurable(finalPath, JSON.stringify(line));
    lines.push(line);
    return line;
  };
  const samples: WsFinalSample[] = [];
  const archOf = new Map<number, A>();
  const seen = new Set<string>();
  const stage = screen < val.count ? 'screen' : 'whole';
  for (let draws = 0; samples.length < s.finalSamples && draws < 4 * s.finalSamples; draws++) {
    if (o.signal?.aborted) return outcome(true);
    const proposal = await o.strategy.propose();
    const arch = o.space.decode(proposal.actions);
    const key = keyHash(o.space.key(arch));
    if (seen.has(key)) continue;
    seen.add(key);
    const sample = await scoreLine(arch, key, { sample: samples.length + 1, cells: o.space.toJSON(arch), key, explored: proposal.explored }, screen);
    samples.push(sample);
    archOf.set(sample.sample, arch);
    emit({ type: 'final-sample', stage, done: samples.length, total: s.finalSamples, sample });
  }
  // Best first; ties keep the order drawn.
  const byAccuracy = (xs: WsFinalSample[]) => [...xs].sort((a, b) => b.accuracy - a.accuracy || a.sample - b.sample);
  let ranked = byAccuracy(samples);
  if (stage === 'screen') {
    const kept = ranked.slice(0, s.topCells);
    const whole: WsFinalSample[] = [];
    for (const x of kept) {
      if (o.signal?.aborted) return outcome(true);
      const { accuracy: _a, images: _i, ...same } = x;
      const sample = await scoreLine(archOf.get(x.sample)!, x.key, same, val.count);
      whole.push(sample);
      emit({ type: 'final-sample', stage: 'whole', done: whole.length, total: kept.length, sample });
    }
    ranked = byAccuracy(whole);
  }
  if (scored.length > lines.length)
    throw new Error(`${finalPath} holds ${scored.length} lines, more than the ${lines.length} this run scores (the run was edited or damaged)`);
  const settings = { ...o.config, trainImageSteps: c.trainImageSteps, scoredImages: c.scoredImages, childEpochs: childEpochs() };
  const asBest = (x: WsFinalSample, rank: number): BestCellsFile & { sharedWeights: true; rank: number } => ({
    format: BEST_CELLS_FORMAT,
    version: BEST_CELLS_VERSION,
    cells: x.cells as BestCellsFile['cells'],
    key: x.key,
    accuracy: x.accuracy,
    episode: x.sample,
    params: o.net.params(o.space.validate(x.cells)),
    settings,
    sharedWeights: true,
    rank,
  });
  const top = ranked.slice(0, s.topCells).map((x, i) => asBest(x, i + 1));
  writeFileAtomic(join(o.dir, WS_FILES.top), top.map((x) => JSON.stringify(x)).join('\n') + (top.length ? '\n' : ''));
  if (top.length > 0) writeJsonAtomic(join(o.dir, WS_FILES.best), top[0]);
  c.phase = 'done';
  await checkpoint();
  return outcome(false, { best: top[0], finalSamples: lines });
}

/** The first `n` lines of a JSON-lines file (all when n is Infinity), parsed; none when it is absent. */
function readLines<T>(path: string, n = Infinity): T[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .slice(0, n)
    .map((l) => JSON.parse(l) as T);
}

/** The results of a finished run, as its files hold them. */
function readFinal(dir: string): Partial<WeightSharingOutcome> {
  const top = readLines<BestCellsFile>(join(dir, WS_FILES.top));
  return { best: top[0], finalSamples: readLines<WsFinalSample>(join(dir, WS_FILES.final)) };
}

// On cpu every kernel is synchronous: give signals and timers a turn between steps.
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
