// The NASNet controller: an LSTM that emits the architecture one decision at a time, each decision
// fed back as the next step's input, trained with REINFORCE.
//
// Input embedding: ONE shared embedding table with per-kind offsets. Token 0 is the learned start
// embedding; then come the input choices (as many as the widest input decision), the operations,
// and the combine steps. An action a of kind k is fed back as token offset(k) + a. The table is a
// bias-free dense layer applied to one-hot tokens rather than tfl.layers.embedding: same maths, but
// the embedding layer's gradient (UnsortedSegmentSum) has no wasm kernel and is slow on cpu.
//
// Heads: one dense softmax head per decision kind (input, op, combine), shared by both cells and
// all blocks. In hierarchical spaces the input head has as many logits as the last block has
// choices; earlier blocks mask the logits they cannot use.
//
// The LSTM's gates use the logistic sigmoid (as in the NAS papers) rather than Keras's default
// hard sigmoid, which costs three ops per gate on every one of the 50 unrolled steps.
//
// Every read from a tensor is asynchronous (data(), not dataSync()): the webgpu backend cannot read
// synchronously under Node (its readSync goes through an OffscreenCanvas), and on cpu and wasm the
// await costs nothing that matters next to training a child.

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { sampleCells } from '../cells/sample.js';
import { DEFAULT_SPACE, type CellPair, type SearchSpace } from '../cells/types.js';
import { Rng, type RngState } from '../util/random.js';
import {
  DECISION_KINDS,
  checkActions,
  checkSpace,
  decisionSequence,
  decodeActions,
  encodeCells,
  maxChoices,
  type Decision,
  type DecisionKind,
} from './decisions.js';

export interface ControllerOptions {
  space?: SearchSpace;
  /** LSTM width, also the embedding width. */
  units?: number;
  learningRate?: number;
  /** Probability that sample() draws the whole architecture uniformly instead of from the policy. */
  epsilon?: number;
  seed?: number;
}

export type ResolvedControllerOptions = Required<ControllerOptions>;

export interface ControllerSample {
  cells: CellPair;
  actions: number[];
  /** True when the architecture was drawn uniformly (the epsilon branch). */
  explored: boolean;
  /** log π(actions) under the policy at sampling time, whichever branch drew them. */
  logProb: number;
}

export interface SavedTensor {
  shape: number[];
  values: number[];
}

/** Everything needed to continue exactly where a controller left off; plain JSON. */
export interface ControllerState {
  format: typeof STATE_FORMAT;
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

const STATE_FORMAT = 'nascent-controller/1';
/** Large but finite: exp underflows to exactly 0, and 0 * mask stays 0 (no NaN as with -Infinity). */
const MASKED_LOGIT = -1e9;

/** The part of a tfjs layer the controller uses (tfjs-layers does not export its Layer class). */
interface Layer {
  apply(inputs: tf.Tensor | tf.Tensor[]): unknown;
  readonly weights: tfl.LayerVariable[];
}
type Adam = ReturnType<typeof tf.train.adam>;
/** Adam keeps its beta powers in private variables; see restoreOptimizer for why we touch them. */
interface AdamInternals {
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
}

function resolveOptions(options: ControllerOptions): ResolvedControllerOptions {
  const { space = DEFAULT_SPACE, units = 32, learningRate = 1e-3, epsilon = 0.5, seed = 1 } = options;
  checkSpace(space);
  if (!Number.isInteger(units) || units < 1) throw new RangeError(`Controller: units must be a positive integer, got ${units}`);
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) {
    throw new RangeError(`Controller: learningRate must be a positive number, got ${learningRate}`);
  }
  checkEpsilon(epsilon);
  if (!Number.isInteger(seed)) throw new RangeError(`Controller: seed must be an integer, got ${seed}`);
  return { space: { blocks: space.blocks, hierarchical: space.hierarchical }, units, learningRate, epsilon, seed };
}

function checkEpsilon(epsilon: number): void {
  if (typeof epsilon !== 'number' || !(epsilon >= 0 && epsilon <= 1)) {
    throw new RangeError(`Controller: epsilon must be in [0, 1], got ${epsilon}`);
  }
}

async function saveTensor(t: tf.Tensor): Promise<SavedTensor> {
  return { shape: [...t.shape], values: Array.from(await t.data()) };
}

/** The value of a scalar, read asynchronously, the tensor disposed. */
async function readScalar(t: tf.Tensor): Promise<number> {
  try {
    return (await t.data())[0];
  } finally {
    t.dispose();
  }
}

function checkSaved(saved: SavedTensor | undefined, shape: readonly number[], what: string): SavedTensor {
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

/**
 * Half-width of the uniform initial distribution of a weight: Glorot for kernels, zero biases,
 * unit scale for embeddings. Zoph & Le's uniform ±0.08 leaves the hidden state so small that the
 * first few hundred REINFORCE steps barely move the policy (measured: ~2x slower to learn one
 * rewarded choice); the policy still starts close to uniform.
 */
function initScale(key: string, shape: readonly number[]): number {
  if (key.endsWith('/bias')) return 0;
  if (key.startsWith('embedding/')) return 1;
  return Math.sqrt(6 / (shape[0] + shape[1]));
}

export class Controller {
  private opts: ResolvedControllerOptions;
  private readonly decisions: Decision[];
  private rng: Rng;
  private readonly embedding: Layer;
  private readonly lstm: Layer;
  private readonly heads: Record<DecisionKind, Layer>;
  private readonly tokenOffset: Record<DecisionKind, number>;
  private readonly headWidth: Record<DecisionKind, number>;
  private readonly vocabulary: number;
  private optimizer: Adam;
  private disposed = false;

  constructor(options: ControllerOptions = {}) {
    this.opts = resolveOptions(options);
    const { space, units } = this.opts;
    this.decisions = decisionSequence(space);
    this.rng = new Rng(this.opts.seed);

    this.headWidth = { input: maxChoices(space, 'input'), op: maxChoices(space, 'op'), combine: maxChoices(space, 'combine') };
    this.tokenOffset = { input: 1, op: 1 + this.headWidth.input, combine: 1 + this.headWidth.input + this.headWidth.op };

    this.vocabulary = this.tokenOffset.combine + this.headWidth.combine;
    const embedding = tfl.layers.dense({ units, useBias: false, kernelInitializer: 'zeros' });
    embedding.build([null, this.vocabulary]);
    this.embedding = embedding;
    // Built by hand: apply() would try to infer one input shape from [x, h, c] and fail.
    // Zeros everywhere because initializeWeights overwrites them; tfjs's default orthogonal
    // initializer also needs chained ops that only the umbrella package registers.
    const lstm = tfl.layers.lstmCell({
      units,
      recurrentActivation: 'sigmoid',
      kernelInitializer: 'zeros',
      recurrentInitializer: 'zeros',
    });
    lstm.build([null, units]);
    this.lstm = lstm;
    const head = (kind: DecisionKind) => {
      const layer = tfl.layers.dense({ units: this.headWidth[kind], kernelInitializer: 'zeros' });
      layer.build([null, units]);
      return layer;
    };
    this.heads = { input: head('input'), op: head('op'), combine: head('combine') };
    this.initializeWeights(this.rng.fork());
    this.optimizer = tf.train.adam(this.opts.learningRate);
  }

  get options(): ResolvedControllerOptions {
    return { ...this.opts, space: { ...this.opts.space } };
  }

  get epsilon(): number {
    return this.opts.epsilon;
  }

  /** The search may anneal exploration; the new value is part of the saved state. */
  set epsilon(epsilon: number) {
    checkEpsilon(epsilon);
    this.opts.epsilon = epsilon;
  }

  /** The decision sequence this controller emits (a copy). */
  get sequence(): Decision[] {
    return this.decisions.map((d) => ({ ...d }));
  }

  /**
   * Draws one architecture. With probability epsilon it is uniform over the space (explored);
   * otherwise each decision is sampled from the softmax, not taken as the argmax, so the policy
   * keeps exploring in proportion to its uncertainty.
   */
  async sample(): Promise<ControllerSample> {
    this.assertAlive();
    const { space } = this.opts;
    if (this.rng.next() < this.opts.epsilon) {
      const cells = sampleCells(this.rng, space);
      const actions = encodeCells(cells, space);
      const logProb = await readScalar(tf.tidy(() => this.sequenceLogProb(actions)));
      return { cells, actions, explored: true, logProb };
    }

    const actions: number[] = [];
    let logProb = 0;
    let h = tf.zeros([1, this.opts.units]);
    let c = tf.zeros([1, this.opts.units]);
    let token = 0;
    try {
      for (const d of this.decisions) {
        const [hNext, cNext, probs] = tf.tidy(() => {
          const x = this.embed([token]);
          const [hh, , cc] = this.lstm.apply([x, h, c]) as tf.Tensor[];
          const logits = this.maskLogits(this.heads[d.kind].apply(hh) as tf.Tensor, [d]);
          return [hh, cc, tf.softmax(logits)];
        });
        tf.dispose([h, c]);
        h = hNext;
        c = cNext;
        let p: Float32Array;
        try {
          p = (await probs.data()) as Float32Array;
        } finally {
          probs.dispose();
        }
        const a = this.rng.categorical(p.subarray(0, d.choices));
        actions.push(a);
        logProb += Math.log(p[a]);
        token = this.tokenOffset[d.kind] + a;
      }
    } finally {
      tf.dispose([h, c]);
    }
    return { cells: decodeActions(actions, space), actions, explored: false, logProb };
  }

  /**
   * One REINFORCE step: loss = -reward * sum_t log π(a_t | a_<t), then one Adam step.
   * The log-probabilities are recomputed by teacher forcing the given actions, so samples drawn
   * uniformly in the epsilon branch train the policy too: every action sequence of the space is
   * valid under the policy, only its probability differs.
   */
  async update(actions: number[], reward: number): Promise<{ loss: number }> {
    this.assertAlive();
    checkActions(actions, this.opts.space);
    if (typeof reward !== 'number' || !Number.isFinite(reward)) {
      throw new RangeError(`Controller.update: reward must be a finite number, got ${String(reward)}`);
    }
    const vars = this.trainable().map((w) => w.variable);
    const lossTensor = this.optimizer.minimize(
      () => tf.mul(tf.scalar(-reward), this.sequenceLogProb(actions)) as tf.Scalar,
      true,
      vars,
    );
    if (lossTensor === null) throw new Error('Controller.update: optimizer returned no loss');
    return { loss: await readScalar(lossTensor) };
  }

  /** log π(actions) under the current policy (teacher forcing). */
  async logProb(actions: number[]): Promise<number> {
    this.assertAlive();
    checkActions(actions, this.opts.space);
    return readScalar(tf.tidy(() => this.sequenceLogProb(actions)));
  }

  /**
   * π(· | prefix[0..t-1]) for every decision t from 0 to prefix.length (capped at the last
   * decision): row t has one probability per valid choice of decision t.
   */
  async probabilities(prefix: number[] = []): Promise<number[][]> {
    this.assertAlive();
    const steps = Math.min(prefix.length + 1, this.decisions.length);
    prefix.slice(0, steps).forEach((a, t) => {
      const d = this.decisions[t];
      if (!Number.isInteger(a) || a < 0 || a >= d.choices) {
        throw new RangeError(`probabilities: prefix[${t}] is ${a}, expected an integer in [0, ${d.choices})`);
      }
    });
    const rows = tf.tidy(() => {
      const hidden = this.unroll(prefix.slice(0, steps - 1), steps);
      return this.decisions.slice(0, steps).map((d, t) => tf.softmax(this.maskLogits(this.heads[d.kind].apply(hidden[t]) as tf.Tensor, [d])));
    });
    try {
      return await Promise.all(rows.map(async (probs, t) => Array.from((await probs.data()).subarray(0, this.decisions[t].choices))));
    } finally {
      tf.dispose(rows);
    }
  }

  async getState(): Promise<ControllerState> {
    this.assertAlive();
    const weights: Record<string, SavedTensor> = {};
    for (const { key, variable } of this.allWeights()) weights[key] = await saveTensor(variable);

    const slots = await this.optimizer.getWeights();
    const [iter, ...moments] = slots;
    const iterations = (await iter.tensor.data())[0];
    iter.tensor.dispose(); // a fresh scalar, unlike the moments which are the optimizer's own
    const trainable = this.trainable();
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
    const internals = this.optimizer as unknown as AdamInternals;
    return {
      format: STATE_FORMAT,
      options: this.options,
      weights,
      optimizer: {
        iterations,
        accBeta1: internals.accBeta1 ? (await internals.accBeta1.data())[0] : null,
        accBeta2: internals.accBeta2 ? (await internals.accBeta2.data())[0] : null,
        m,
        v,
      },
      // Rng.state() can hand out int32 (signed) words; uint32 is what a restored Rng reports.
      rng: this.rng.state().map((w) => w >>> 0) as RngState,
    };
  }

  /** Replaces weights, optimizer state, rng and options; space and units must match. */
  async setState(state: ControllerState): Promise<void> {
    this.assertAlive();
    if (state === null || typeof state !== 'object' || state.format !== STATE_FORMAT) {
      throw new Error(`controller state: expected format ${STATE_FORMAT}, got ${String(state?.format)}`);
    }
    const options = resolveOptions(state.options);
    const { space, units } = this.opts;
    if (options.space.blocks !== space.blocks || options.space.hierarchical !== space.hierarchical || options.units !== units) {
      throw new Error(
        `controller state: saved for space ${JSON.stringify(options.space)} with ${options.units} units, ` +
          `this controller has ${JSON.stringify(space)} with ${units} units`,
      );
    }
    if (!Array.isArray(state.rng) || state.rng.length !== 4) throw new Error('controller state: rng must be four uint32s');

    // Check everything before changing anything, so a bad state leaves this controller intact.
    const weights = this.allWeights().map(({ key, variable }) => ({
      variable,
      saved: checkSaved(state.weights?.[key], variable.shape, `weight ${key}`),
    }));
    await this.restoreOptimizer(state.optimizer, options.learningRate);
    for (const { variable, saved } of weights) {
      tf.tidy(() => variable.assign(tf.tensor(saved.values, variable.shape, 'float32')));
    }
    this.opts = options;
    this.rng = new Rng(state.rng);
  }

  static async fromState(state: ControllerState): Promise<Controller> {
    if (state === null || typeof state !== 'object') throw new TypeError('controller state must be an object');
    const controller = new Controller(state.options);
    try {
      await controller.setState(state);
    } catch (err) {
      controller.dispose();
      throw err;
    }
    return controller;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const layer of this.layers()) for (const w of layer.weights) w.dispose();
    this.optimizer.dispose();
  }

  private assertAlive(): void {
    if (this.disposed) throw new Error('Controller has been disposed');
  }

  private layers(): Layer[] {
    return [this.embedding, this.lstm, this.heads.input, this.heads.op, this.heads.combine];
  }

  /** Every weight with a name that is stable across processes (tfjs's own names get counters). */
  private allWeights(): { key: string; variable: tf.Variable; weight: tfl.LayerVariable }[] {
    const roles: [string, Layer][] = [
      ['embedding', this.embedding],
      ['lstm', this.lstm],
      ...DECISION_KINDS.map((k): [string, Layer] => [`head_${k}`, this.heads[k]]),
    ];
    return roles.flatMap(([role, layer]) =>
      layer.weights.map((weight) => {
        const short = weight.originalName.split('/').pop() ?? weight.originalName;
        return { key: `${role}/${short}`, variable: weight.read() as tf.Variable, weight };
      }),
    );
  }

  private trainable() {
    return this.allWeights().filter(({ weight }) => weight.trainable);
  }

  private initializeWeights(rng: Rng): void {
    for (const { key, variable } of this.allWeights()) {
      const values = new Float32Array(variable.size);
      const scale = initScale(key, variable.shape);
      for (let i = 0; i < values.length; i++) values[i] = (2 * rng.next() - 1) * scale;
      tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, 'float32')));
    }
  }

  /** Embeddings [tokens.length, units] of the given tokens. */
  private embed(tokens: number[]): tf.Tensor {
    return this.embedding.apply(tf.oneHot(tf.tensor1d(tokens, 'int32'), this.vocabulary)) as tf.Tensor;
  }

  /** The LSTM outputs ([1, units] each) of the first `steps` steps, feeding back `fed`. */
  private unroll(fed: readonly number[], steps: number): tf.Tensor[] {
    const tokens = [0, ...fed.slice(0, steps - 1).map((a, t) => this.tokenOffset[this.decisions[t].kind] + a)];
    const inputs = this.embed(tokens);
    let h: tf.Tensor = tf.zeros([1, this.opts.units]);
    let c: tf.Tensor = tf.zeros([1, this.opts.units]);
    const hs: tf.Tensor[] = [];
    for (const x of tf.split(inputs, steps, 0)) {
      [h, , c] = this.lstm.apply([x, h, c]) as tf.Tensor[];
      hs.push(h);
    }
    return hs;
  }

  /** Adds MASKED_LOGIT to the logits a decision may not choose (rows follow `decisions`). */
  private maskLogits(logits: tf.Tensor, decisions: readonly Decision[]): tf.Tensor {
    const width = logits.shape[1] as number;
    if (decisions.every((d) => d.choices === width)) return logits;
    const mask = new Float32Array(decisions.length * width);
    decisions.forEach((d, r) => mask.fill(MASKED_LOGIT, r * width + d.choices, (r + 1) * width));
    return tf.add(logits, tf.tensor2d(mask, [decisions.length, width]));
  }

  /** sum_t log π(a_t | a_<t) as a scalar, differentiable in the layer weights. */
  private sequenceLogProb(actions: readonly number[]): tf.Scalar {
    const hidden = this.unroll(actions, this.decisions.length);
    const terms = DECISION_KINDS.map((kind) => {
      const ds = this.decisions.filter((d) => d.kind === kind);
      // concat rather than gather: gather's gradient (UnsortedSegmentSum) is slow on the cpu backend.
      const rows = tf.concat(ds.map((d) => hidden[d.index]), 0);
      const logits = this.maskLogits(this.heads[kind].apply(rows) as tf.Tensor, ds);
      const chosen = tf.oneHot(tf.tensor1d(ds.map((d) => actions[d.index]), 'int32'), this.headWidth[kind]);
      return tf.sum(tf.mul(tf.logSoftmax(logits), chosen));
    });
    return tf.addN(terms) as tf.Scalar;
  }

  /**
   * Rebuilds Adam from saved slots. tfjs's setWeights recomputes the beta powers as
   * pow(beta, iterations + 1), which differs in the last float32 bit from the running product a
   * live optimizer keeps; restoring the saved products makes the next steps bit-identical.
   */
  private async restoreOptimizer(saved: ControllerState['optimizer'], learningRate: number): Promise<void> {
    if (saved === null || typeof saved !== 'object' || !Number.isInteger(saved.iterations) || saved.iterations < 0) {
      throw new Error('controller state: optimizer.iterations must be a non-negative integer');
    }
    const trainable = this.trainable();
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
    this.optimizer.dispose();
    this.optimizer = optimizer;
  }
}
