// The controller's options: what a caller may set, their defaults, and the checks that turn bad
// values into errors naming the option.
import { DEFAULT_SPACE, type CellSpace } from '../../spaces/nasnet/types.js';
import { checkSpace, decisionSequence } from '../../spaces/nasnet/decisions.js';

/** What the controller needs of a decision: its head (kind) and its number of choices. */
export interface ControllerDecision {
  kind: string;
  choices: number;
}

export interface ControllerOptions {
  /** The decision sequence to emit (a SearchSpace's `decisions`). */
  decisions?: readonly ControllerDecision[];
  /** Shorthand for the decisions of a NASNet cell space, used when `decisions` is absent. */
  space?: CellSpace;
  /** LSTM width, also the embedding width. */
  units?: number;
  learningRate?: number;
  /** Probability that sample() draws the whole architecture uniformly instead of from the policy. */
  epsilon?: number;
  seed?: number;
  /** Logits are divided by this before the softmax (ENAS: 5). */
  temperature?: number;
  /** C > 0 squashes logits to C * tanh(logits) (ENAS: 2.5); 0 leaves them as they are. */
  tanhConstant?: number;
  /** Weight of the policy's entropy in the REINFORCE objective (ENAS: 1e-4); 0 turns it off. */
  entropyWeight?: number;
  /**
   * A learned logit bias per decision, added to its kind's shared head: the heads alone can
   * prefer different choices at different positions only through the LSTM's state.
   */
  decisionBias?: boolean;
}

export interface ResolvedControllerOptions {
  decisions: ControllerDecision[];
  units: number;
  learningRate: number;
  epsilon: number;
  seed: number;
  temperature: number;
  tanhConstant: number;
  entropyWeight: number;
  decisionBias: boolean;
}

export const CONTROLLER_DEFAULTS = {
  units: 32,
  learningRate: 1e-3,
  epsilon: 0.5,
  temperature: 1,
  tanhConstant: 0,
  entropyWeight: 0,
  decisionBias: false,
} as const;

export function resolveDecisions(options: ControllerOptions): ControllerDecision[] {
  if (options.decisions === undefined) {
    const space = options.space ?? DEFAULT_SPACE;
    checkSpace(space);
    return decisionSequence(space).map((d) => ({ kind: d.kind, choices: d.choices }));
  }
  if (!Array.isArray(options.decisions) || options.decisions.length === 0) throw new RangeError('Controller: decisions must be a non-empty array');
  return options.decisions.map((d, i) => {
    if (typeof d?.kind !== 'string' || d.kind === '') throw new TypeError(`Controller: decisions[${i}].kind must be a non-empty string`);
    if (!Number.isInteger(d.choices) || d.choices < 1) throw new RangeError(`Controller: decisions[${i}].choices must be a positive integer, got ${d.choices}`);
    return { kind: d.kind, choices: d.choices };
  });
}

export function resolveOptions(options: ControllerOptions): ResolvedControllerOptions {
  const d = CONTROLLER_DEFAULTS;
  const { units = d.units, learningRate = d.learningRate, epsilon = d.epsilon, seed = 1 } = options;
  const { temperature = d.temperature, tanhConstant = d.tanhConstant, entropyWeight = d.entropyWeight, decisionBias = d.decisionBias } = options;
  const decisions = resolveDecisions(options);
  if (!Number.isInteger(units) || units < 1) throw new RangeError(`Controller: units must be a positive integer, got ${units}`);
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) {
    throw new RangeError(`Controller: learningRate must be a positive number, got ${learningRate}`);
  }
  checkEpsilon(epsilon);
  if (!Number.isInteger(seed)) throw new RangeError(`Controller: seed must be an integer, got ${seed}`);
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new RangeError(`Controller: temperature must be a positive number, got ${temperature}`);
  if (!(tanhConstant >= 0) || !Number.isFinite(tanhConstant)) throw new RangeError(`Controller: tanhConstant must be >= 0, got ${tanhConstant}`);
  if (!(entropyWeight >= 0) || !Number.isFinite(entropyWeight)) throw new RangeError(`Controller: entropyWeight must be >= 0, got ${entropyWeight}`);
  if (typeof decisionBias !== 'boolean') throw new TypeError(`Controller: decisionBias must be a boolean, got ${String(decisionBias)}`);
  return { decisions, units, learningRate, epsilon, seed, temperature, tanhConstant, entropyWeight, decisionBias };
}

export const sameDecisions = (a: readonly ControllerDecision[], b: readonly ControllerDecision[]) =>
  a.length === b.length && a.every((d, i) => d.kind === b[i].kind && d.choices === b[i].choices);

export function checkEpsilon(epsilon: number): void {
  if (typeof epsilon !== 'number' || !(epsilon >= 0 && epsilon <= 1)) {
    throw new RangeError(`Controller: epsilon must be in [0, 1], got ${epsilon}`);
  }
}
