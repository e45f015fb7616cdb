// The controller: an LSTM that emits an architecture one decision at a time, each decision fed back
// as the next step's input, trained with REINFORCE. It sees only a space's decision sequence
// (kind and number of choices of each), never what a decision means.
//
// Input embedding: ONE shared embedding table with per-kind offsets. Token 0 is the learned start
// embedding; then come the choices of each kind, in the order the kinds first appear (NASNet:
// inputs, operations, combine steps). An action a of kind k is fed back as token offset(k) + a. The
// table is a bias-free dense layer applied to one-hot tokens rather than tfl.layers.embedding: same
// maths, but the embedding layer's gradient (UnsortedSegmentSum) has no wasm kernel and is slow on cpu.
//
// Heads: one dense softmax head per decision kind, shared by all decisions of that kind. A head has
// as many logits as the kind's widest decision; narrower decisions (earlier blocks of a
// hierarchical NASNet cell) mask the logits they cannot use.
//
// Logits go through ENAS's shaping before the softmax: divided by `temperature`, then, with a
// `tanhConstant` C > 0, squashed to C * tanh(logits), which bounds how peaked the policy can get
// and so how fast it can collapse. `entropyWeight` adds that multiple of the policy's entropy along
// each trained sequence to the objective, another brake on collapse.
//
// The LSTM's gates use the logistic sigmoid (as in the NAS papers) rather than Keras's default
// hard sigmoid, which costs three ops per gate on every one of the 50 unrolled steps.
//
// Every read from a tensor is asynchronous (data(), not dataSync()): the webgpu backend cannot read
// synchronously under Node (its readSync goes through an OffscreenCanvas), and on cpu and wasm the
// await costs nothing that matters next to training a child.

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Rng, type RngState } from '../../util/random.js';
import { checkEpsilon, resolveOptions, sameDecisions, type ControllerDecision, type ControllerOptions, type ResolvedControllerOptions } from './options.js';
import {
  adamState,
  checkSaved,
  restoreAdam,
  saveTensor,
  STATE_FORMAT,
  STATE_FORMAT_V1,
  upgradeOptions,
  type Adam,
  type ControllerState,
  type SavedTensor,
} from './saved.js';

export { CONTROLLER_DEFAULTS, type ControllerDecision, type ControllerOptions, type ResolvedControllerOptions } from './options.js';
export type { ControllerState, SavedTensor } from './saved.js';

/** One sampled sequence and the reward it earned, for a REINFORCE step. */
export interface Rewarded {
  actions: number[];
  reward: number;
}

export interface ControllerSample {
  actions: number[];
  /** True when the architecture was drawn uniformly (the epsilon branch). */
  explored: boolean;
  /** log π(actions) under the policy at sampling time, whichever branch drew them. */
  logProb: number;
  /**
   * π(actions) / q(actions), q being what actually drew them: the mixture of epsilon uniform and
   * 1 - epsilon policy. REINFORCE is on-policy; weighting each child's term by this keeps the
   * update unbiased when epsilon > 0. Without it a uniform draw, usually far worse than the policy's
   * own children, enters the update with a large negative advantage on actions the policy would not
   * take, noise that measured 0.70 instead of 0.85 after 1,000 episodes of the NASNet objective at
   * epsilon 0.1. A uniform draw the policy has learned against weighs about 0; the policy's own
   * weigh at most 1 / (1 - epsilon).
   */
  weight: number;
}

/** Largest importance weight a child may carry (only reachable at epsilon = 1). */
const MAX_WEIGHT = 100;

/** Large but finite: exp underflows to exactly 0, and 0 * mask stays 0 (no NaN as with -Infinity). */
const MASKED_LOGIT = -1e9;

/** The part of a tfjs layer the controller uses (tfjs-layers does not export its Layer class). */
interface Layer {
  apply(inputs: tf.Tensor | tf.Tensor[]): unknown;
  readonly weights: tfl.LayerVariable[];
}
/** The value of a scalar, read asynchronously, the tensor disposed. */
async function readScalar(t: tf.Tensor): Promise<number> {
  try {
    return (await t.data())[0];
  } finally {
    t.dispose();
  }
}

/**
 * Half-width of the uniform initial distribution of a weight: Glorot for kernels, zero biases,
 * unit scale for embeddings. Zoph & Le's uniform ±0.08 leaves the hidden state so small that the
 * first few hundred REINFORCE steps barely move the policy (measured: ~2x slower to learn one
 * rewarded choice); the policy still starts close to uniform.
 */
function initScale(key: string, shape: readonly number[]): number {
  // biases, and the per-decision logit biases, which start at zero so the initial policy is the heads' alone
  if (key.endsWith('/bias') || key.startsWith('bias_')) return 0;
  if (key.startsWith('embedding/')) return 1;
  return Math.sqrt(6 / (shape[0] + shape[1]));
}

export class Controller {
  private opts: ResolvedControllerOptions;
  /** The decisions with their positions in the sequence. */
  private readonly decisions: Array<ControllerDecision & { index: number; slot: number }>;
  /** Decision kinds in the order they first appear: one head each. */
  private readonly kinds: string[];
  private rng: Rng;
  private readonly embedding: Layer;
  private readonly lstm: Layer;
  private readonly heads: Record<string, Layer>;
  /** With decisionBias: per kind, a bias-free dense layer from a one-hot decision slot to its logits. */
  private readonly biases: Record<string, Layer>;
  /** Decisions of each kind, in sequence order (a decision's slot is its place here). */
  private readonly byKind: Record<string, Array<ControllerDecision & { index: number; slot: number }>>;
  private readonly tokenOffset: Record<string, number>;
  private readonly headWidth: Record<string, number>;
  private readonly vocabulary: number;
  private optimizer: Adam;
  private disposed = false;

  constructor(options: ControllerOptions = {}) {
    this.opts = resolveOptions(options);
    const { units } = this.opts;
    const seen: Record<string, number> = {};
    this.decisions = this.opts.decisions.map((d, index) => ({ ...d, index, slot: (seen[d.kind] = (seen[d.kind] ?? -1) + 1) }));
    this.rng = new Rng(this.opts.seed);

    this.kinds = [...new Set(this.decisions.map((d) => d.kind))];
    this.byKind = Object.fromEntries(this.kinds.map((k) => [k, this.decisions.filter((d) => d.kind === k)]));
    this.headWidth = {};
    for (const d of this.decisions) this.headWidth[d.kind] = Math.max(this.headWidth[d.kind] ?? 0, d.choices);
    this.tokenOffset = {};
    let offset = 1;
    for (const kind of this.kinds) {
      this.tokenOffset[kind] = offset;
      offset += this.headWidth[kind];
    }
    this.vocabulary = offset;
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
    this.heads = {};
    for (const kind of this.kinds) {
      const layer = tfl.layers.dense({ units: this.headWidth[kind], kernelInitializer: 'zeros' });
      layer.build([null, units]);
      this.heads[kind] = layer;
    }
    this.biases = {};
    if (this.opts.decisionBias) {
      for (const kind of this.kinds) {
        const layer = tfl.layers.dense({ units: this.headWidth[kind], useBias: false, kernelInitializer: 'zeros' });
        layer.build([null, this.byKind[kind].length]);
        this.biases[kind] = layer;
      }
    }
    this.initializeWeights(this.rng.fork());
    this.optimizer = tf.train.adam(this.opts.learningRate);
  }

  get options(): ResolvedControllerOptions {
    return { ...this.opts, decisions: this.opts.decisions.map((d) => ({ ...d })) };
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
  get sequence(): Array<ControllerDecision & { index: number }> {
    return this.decisions.map((d) => ({ ...d }));
  }

  /**
   * Draws one architecture. With probability epsilon it is uniform over the space (explored);
   * otherwise each decision is sampled from the softmax, not taken as the argmax, so the policy
   * keeps exploring in proportion to its uncertainty.
   */
  async sample(): Promise<ControllerSample> {
    return (await this.sampleBatch(1))[0];
  }

  /**
   * Draws `n` architectures from the current policy at once, each as sample() would: the policy's
   * ones in one batched pass through the LSTM, which costs about what one draw costs. For one
   * architecture the random stream is consumed exactly as sample() always has.
   */
  async sampleBatch(n: number): Promise<ControllerSample[]> {
    this.assertAlive();
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`Controller.sampleBatch: n must be a positive integer, got ${n}`);
    const explored = Array.from({ length: n }, () => this.rng.next() < this.opts.epsilon);
    const out: ControllerSample[] = new Array(n);
    // Uniform over the space: every decision uniform over its choices, in sequence order.
    for (let i = 0; i < n; i++)
      if (explored[i]) out[i] = { actions: this.decisions.map((d) => this.rng.int(d.choices)), explored: true, logProb: 0, weight: 1 };
    const drawn = explored.flatMap((e, i) => (e ? [] : [i]));
    if (drawn.length > 0) {
      const samples = await this.draw(drawn.length);
      drawn.forEach((i, j) => (out[i] = samples[j]));
    }
    const uniform = explored.flatMap((e, i) => (e ? [i] : []));
    if (uniform.length > 0) {
      const logProbs = tf.tidy(
        () =>
          this.sequenceTerms(
            uniform.map((i) => out[i].actions),
            false,
          ).logProbs,
      );
      try {
        const values = await logProbs.data();
        uniform.forEach((i, j) => (out[i].logProb = values[j]));
      } finally {
        logProbs.dispose();
      }
    }
    const logUniform = -this.decisions.reduce((sum, d) => sum + Math.log(d.choices), 0);
    for (const s of out) s.weight = this.behaviourWeight(s.logProb, logUniform);
    return out;
  }

  /** π/q for a child with log π = logProb, q = epsilon * uniform + (1 - epsilon) * π, in log space. */
  private behaviourWeight(logProb: number, logUniform: number): number {
    const { epsilon } = this.opts;
    if (epsilon === 0) return 1;
    if (epsilon === 1) return Math.min(MAX_WEIGHT, Math.exp(logProb - logUniform));
    // q/π = (1 - ε) + ε U/π
    return Math.min(MAX_WEIGHT, 1 / (1 - epsilon + epsilon * Math.exp(Math.min(700, logUniform - logProb))));
  }

  /** `m` architectures sampled from the policy, decision by decision, in one batched unroll. */
  private async draw(m: number): Promise<ControllerSample[]> {
    const actions: number[][] = Array.from({ length: m }, () => []);
    const logProb = new Array<number>(m).fill(0);
    let h = tf.zeros([m, this.opts.units]);
    let c = tf.zeros([m, this.opts.units]);
    let tokens = new Array<number>(m).fill(0);
    try {
      for (const d of this.decisions) {
        const [hNext, cNext, probs] = tf.tidy(() => {
          const x = this.embed(tokens);
          const [hh, , cc] = this.lstm.apply([x, h, c]) as tf.Tensor[];
          const logits = this.logits(d.kind, hh, new Array(m).fill(d));
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
        const width = this.headWidth[d.kind];
        tokens = actions.map((seq, i) => {
          const row = p.subarray(i * width, i * width + d.choices);
          const a = this.rng.categorical(row);
          seq.push(a);
          logProb[i] += Math.log(row[a]);
          return this.tokenOffset[d.kind] + a;
        });
      }
    } finally {
      tf.dispose([h, c]);
    }
    return actions.map((a, i) => ({ actions: a, explored: false, logProb: logProb[i], weight: 1 }));
  }

  /**
   * One REINFORCE step: loss = -reward * sum_t log π(a_t | a_<t), then one Adam step.
   * The log-probabilities are recomputed by teacher forcing the given actions, so samples drawn
   * uniformly in the epsilon branch train the policy too: every action sequence of the space is
   * valid under the policy, only its probability differs.
   */
  async update(actions: number[], reward: number): Promise<{ loss: number }> {
    return this.updateBatch([{ actions, reward }]);
  }

  /**
   * One REINFORCE step on several children at once: the gradient of
   * -(1/M) sum_i reward_i * log π(actions_i), minus entropyWeight times the mean entropy along
   * the M sequences, then one Adam step (several children per update average the gradient's noise).
   */
  async updateBatch(batch: readonly Rewarded[]): Promise<{ loss: number }> {
    this.assertAlive();
    if (!Array.isArray(batch) || batch.length === 0) throw new RangeError('Controller.updateBatch: batch must be a non-empty array');
    for (const { actions, reward } of batch) {
      this.checkActions(actions);
      if (typeof reward !== 'number' || !Number.isFinite(reward)) {
        throw new RangeError(`Controller.update: reward must be a finite number, got ${String(reward)}`);
      }
    }
    const vars = this.trainable().map((w) => w.variable);
    const w = this.opts.entropyWeight;
    const lossTensor = this.optimizer.minimize(
      () => {
        // All M sequences are teacher-forced in one batched unroll.
        const { logProbs, entropies } = this.sequenceTerms(
          batch.map((b) => b.actions),
          w > 0,
        );
        const pg = tf.neg(tf.sum(tf.mul(tf.tensor1d(batch.map((b) => b.reward)), logProbs)));
        const loss = entropies ? tf.sub(pg, tf.mul(tf.scalar(w), tf.sum(entropies))) : pg;
        return tf.div(loss, batch.length) as tf.Scalar;
      },
      true,
      vars,
    );
    if (lossTensor === null) throw new Error('Controller.update: optimizer returned no loss');
    return { loss: await readScalar(lossTensor) };
  }

  /** Throws a clear error unless `actions` is a complete, in-range sequence of this controller's decisions. */
  checkActions(actions: readonly number[]): void {
    if (!Array.isArray(actions)) throw new TypeError('actions must be an array of integers');
    if (actions.length !== this.decisions.length) {
      throw new RangeError(`expected ${this.decisions.length} actions, got ${actions.length}`);
    }
    for (const d of this.decisions) {
      const a = actions[d.index];
      if (!Number.isInteger(a) || a < 0 || a >= d.choices) {
        throw new RangeError(`action ${d.index} (${d.kind}) is ${a}, expected an integer in [0, ${d.choices})`);
      }
    }
  }

  /** log π(actions) under the current policy (teacher forcing). */
  async logProb(actions: number[]): Promise<number> {
    this.assertAlive();
    this.checkActions(actions);
    return readScalar(tf.tidy(() => this.sequenceTerms([actions], false).logProbs));
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
      const hidden = this.unroll([prefix.slice(0, steps - 1)], steps);
      return this.decisions.slice(0, steps).map((d, t) => tf.softmax(this.logits(d.kind, hidden[t], [d])));
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

    const optimizer = await adamState(this.optimizer, this.trainable());
    return {
      format: STATE_FORMAT,
      options: this.options,
      weights,
      optimizer,
      // Rng.state() can hand out int32 (signed) words; uint32 is what a restored Rng reports.
      rng: this.rng.state().map((w) => w >>> 0) as RngState,
    };
  }

  /** Replaces weights, optimizer state, rng and options; space and units must match. */
  async setState(state: ControllerState): Promise<void> {
    this.assertAlive();
    if (state === null || typeof state !== 'object' || (state.format !== STATE_FORMAT && state.format !== STATE_FORMAT_V1)) {
      throw new Error(`controller state: expected format ${STATE_FORMAT}, got ${String(state?.format)}`);
    }
    const options = resolveOptions(upgradeOptions(state));
    const { decisions, units } = this.opts;
    if (!sameDecisions(options.decisions, decisions) || options.units !== units) {
      throw new Error(
        `controller state: saved for ${options.decisions.length} decisions with ${options.units} units, ` +
          `this controller has ${decisions.length} decisions with ${units} units (or their kinds or choices differ)`,
      );
    }
    if (!Array.isArray(state.rng) || state.rng.length !== 4) throw new Error('controller state: rng must be four uint32s');

    // Check everything before changing anything, so a bad state leaves this controller intact.
    const weights = this.allWeights().map(({ key, variable }) => ({
      variable,
      saved: checkSaved(state.weights?.[key], variable.shape, `weight ${key}`),
    }));
    const optimizer = await restoreAdam(state.optimizer, this.trainable(), options.learningRate);
    for (const { variable, saved } of weights) {
      tf.tidy(() => variable.assign(tf.tensor(saved.values, variable.shape, 'float32')));
    }
    this.optimizer.dispose();
    this.optimizer = optimizer;
    this.opts = options;
    this.rng = new Rng(state.rng);
  }

  static async fromState(state: ControllerState): Promise<Controller> {
    if (state === null || typeof state !== 'object') throw new TypeError('controller state must be an object');
    const controller = new Controller(upgradeOptions(state));
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
    return [this.embedding, this.lstm, ...this.kinds.map((k) => this.heads[k]), ...Object.values(this.biases)];
  }

  /** Every weight with a name that is stable across processes (tfjs's own names get counters). */
  private allWeights(): { key: string; variable: tf.Variable; weight: tfl.LayerVariable }[] {
    const roles: [string, Layer][] = [
      ['embedding', this.embedding],
      ['lstm', this.lstm],
      ...this.kinds.map((k): [string, Layer] => [`head_${k}`, this.heads[k]]),
      ...this.kinds.filter((k) => this.biases[k]).map((k): [string, Layer] => [`bias_${k}`, this.biases[k]]),
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
      // the stream is drawn for zero-scale weights too, so adding one leaves the others as they were
      for (let i = 0; i < values.length; i++) values[i] = scale === 0 ? (rng.next(), 0) : (2 * rng.next() - 1) * scale;
      tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, 'float32')));
    }
  }

  /** Embeddings [tokens.length, units] of the given tokens. */
  private embed(tokens: number[]): tf.Tensor {
    return this.embedding.apply(tf.oneHot(tf.tensor1d(tokens, 'int32'), this.vocabulary)) as tf.Tensor;
  }

  /**
   * The LSTM outputs ([M, units] each) of the first `steps` steps of M sequences at once, feeding
   * back the actions `fed[i]` of sequence i.
   */
  private unroll(fed: readonly (readonly number[])[], steps: number): tf.Tensor[] {
    const m = fed.length;
    const tokens: number[] = [];
    for (let t = 0; t < steps; t++) {
      for (const seq of fed) tokens.push(t === 0 ? 0 : this.tokenOffset[this.decisions[t - 1].kind] + seq[t - 1]);
    }
    const inputs = this.embed(tokens);
    let h: tf.Tensor = tf.zeros([m, this.opts.units]);
    let c: tf.Tensor = tf.zeros([m, this.opts.units]);
    const hs: tf.Tensor[] = [];
    for (const x of tf.split(inputs, steps, 0)) {
      [h, , c] = this.lstm.apply([x, h, c]) as tf.Tensor[];
      hs.push(h);
    }
    return hs;
  }

  /** The shaped, masked logits of head `kind` for the hidden states `rows` (one row per entry of `decisions`). */
  private logits(kind: string, rows: tf.Tensor, decisions: readonly (ControllerDecision & { slot: number })[]): tf.Tensor {
    const { temperature, tanhConstant } = this.opts;
    let logits = this.heads[kind].apply(rows) as tf.Tensor;
    const bias = this.biases[kind];
    if (bias) {
      // tfjs's oneHot wants a depth of at least 2; a kind with one decision has one slot
      const count = this.byKind[kind].length;
      const slots =
        count === 1
          ? tf.ones([decisions.length, 1])
          : tf.oneHot(
              tf.tensor1d(
                decisions.map((d) => d.slot),
                'int32',
              ),
              count,
            );
      logits = tf.add(logits, bias.apply(slots) as tf.Tensor);
    }
    if (temperature !== 1) logits = tf.div(logits, temperature);
    if (tanhConstant > 0) logits = tf.mul(tf.tanh(logits), tanhConstant);
    return this.maskLogits(logits, decisions);
  }

  /** Adds MASKED_LOGIT to the logits a decision may not choose (rows follow `decisions`). */
  private maskLogits(logits: tf.Tensor, decisions: readonly ControllerDecision[]): tf.Tensor {
    const width = logits.shape[1] as number;
    if (decisions.every((d) => d.choices === width)) return logits;
    const mask = new Float32Array(decisions.length * width);
    decisions.forEach((d, r) => mask.fill(MASKED_LOGIT, r * width + d.choices, (r + 1) * width));
    return tf.add(logits, tf.tensor2d(mask, [decisions.length, width]));
  }

  /**
   * For each of M teacher-forced sequences: sum_t log π(a_t | a_<t) and, when asked,
   * sum_t H(π(· | a_<t)), each a [M] tensor differentiable in the layer weights.
   */
  private sequenceTerms(sequences: readonly (readonly number[])[], withEntropy: boolean): { logProbs: tf.Tensor1D; entropies?: tf.Tensor1D } {
    const m = sequences.length;
    const hidden = this.unroll(sequences, this.decisions.length);
    const logProbs: tf.Tensor[] = [];
    const entropies: tf.Tensor[] = [];
    for (const kind of this.kinds) {
      const ds = this.byKind[kind];
      // Row j*M + i is decision ds[j] of sequence i. concat rather than gather: gather's gradient
      // (UnsortedSegmentSum) is slow on the cpu backend.
      const rows = tf.concat(
        ds.map((d) => hidden[d.index]),
        0,
      );
      const rowDecisions = ds.flatMap((d) => new Array<typeof d>(m).fill(d));
      const logp = tf.logSoftmax(this.logits(kind, rows, rowDecisions));
      const chosen = tf.oneHot(
        tf.tensor1d(
          ds.flatMap((d) => sequences.map((a) => a[d.index])),
          'int32',
        ),
        this.headWidth[kind],
      );
      const perSequence = (perRow: tf.Tensor) => tf.sum(tf.reshape(perRow, [ds.length, m]), 0);
      logProbs.push(perSequence(tf.sum(tf.mul(logp, chosen), 1)));
      // masked choices have p = 0 exactly, so they add nothing
      if (withEntropy) entropies.push(perSequence(tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 1))));
    }
    const logProb = tf.addN(logProbs) as tf.Tensor1D;
    return withEntropy ? { logProbs: logProb, entropies: tf.addN(entropies) as tf.Tensor1D } : { logProbs: logProb };
  }
}
