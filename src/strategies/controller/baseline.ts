// A moving-average baseline for REINFORCE: the reward of an architecture is how much better it
// did than the recent ones. The average must not include the episode being scored, otherwise the
// reward is shrunk by (1 - 1/window) and a lone good child is partly its own baseline.

// The numbers-only build: a third of the full bundle's load time, and numbers are all it needs.
import { mean } from 'mathjs/number';

export interface MovingBaselineOptions {
  window?: number;
  initial?: number;
}

export interface MovingBaselineState {
  window: number;
  initial: number;
  history: number[];
}

function checkAccuracy(accuracy: number, what: string): void {
  if (typeof accuracy !== 'number' || !Number.isFinite(accuracy)) {
    throw new RangeError(`${what}: accuracy must be a finite number, got ${String(accuracy)}`);
  }
}

function checkWindow(window: number): void {
  if (!Number.isInteger(window) || window < 1) {
    throw new RangeError(`MovingBaseline: window must be a positive integer, got ${window}`);
  }
}

export class MovingBaseline {
  private window_: number;
  private initial_: number;
  private history: number[] = [];

  constructor({ window = 20, initial = 0.1 }: MovingBaselineOptions = {}) {
    checkWindow(window);
    checkAccuracy(initial, 'MovingBaseline initial');
    this.window_ = window;
    this.initial_ = initial;
  }

  get window(): number {
    return this.window_;
  }

  get initial(): number {
    return this.initial_;
  }

  /** Mean of the last `window` accuracies pushed, or `initial` before any. */
  value(): number {
    if (this.history.length === 0) return this.initial;
    return Number(mean(this.history));
  }

  /** Advantage of `accuracy` over the baseline as it stands, before this accuracy is pushed. */
  reward(accuracy: number): number {
    checkAccuracy(accuracy, 'MovingBaseline.reward');
    return accuracy - this.value();
  }

  push(accuracy: number): void {
    checkAccuracy(accuracy, 'MovingBaseline.push');
    this.history.push(accuracy);
    if (this.history.length > this.window) this.history.splice(0, this.history.length - this.window);
  }

  /** Number of accuracies currently averaged (at most `window`). */
  get size(): number {
    return this.history.length;
  }

  getState(): MovingBaselineState {
    return { window: this.window, initial: this.initial, history: [...this.history] };
  }

  /** Replaces window, initial value and history with a saved state's. */
  setState(state: MovingBaselineState): void {
    if (state === null || typeof state !== 'object' || !Array.isArray(state.history)) {
      throw new TypeError('MovingBaseline state must be {window, initial, history[]}');
    }
    checkWindow(state.window);
    checkAccuracy(state.initial, 'MovingBaseline state initial');
    if (state.history.length > state.window) {
      throw new RangeError(`MovingBaseline state: history has ${state.history.length} entries, window is ${state.window}`);
    }
    state.history.forEach((a) => checkAccuracy(a, 'MovingBaseline state history'));
    this.window_ = state.window;
    this.initial_ = state.initial;
    this.history = [...state.history];
  }

  static fromState(state: MovingBaselineState): MovingBaseline {
    const b = new MovingBaseline();
    b.setState(state);
    return b;
  }
}

export interface EmaBaselineState {
  decay: number;
  initial: number;
  /** undefined until the first accuracy. */
  value?: number;
}

/**
 * An exponential moving average baseline, as ENAS keeps: b <- decay * b + (1 - decay) * accuracy,
 * starting from the first accuracy (before any, `initial`). Like MovingBaseline, the episode being
 * scored is read against the baseline before it joins.
 */
export class EmaBaseline {
  private state_: EmaBaselineState;

  constructor({ decay = 0.9, initial = 0.1 }: { decay?: number; initial?: number } = {}) {
    EmaBaseline.check({ decay, initial });
    this.state_ = { decay, initial };
  }

  private static check(s: EmaBaselineState): void {
    if (typeof s.decay !== 'number' || !(s.decay > 0 && s.decay < 1)) throw new RangeError(`EmaBaseline: decay must be in (0, 1), got ${String(s.decay)}`);
    checkAccuracy(s.initial, 'EmaBaseline initial');
    if (s.value !== undefined) checkAccuracy(s.value, 'EmaBaseline state value');
  }

  value(): number {
    return this.state_.value ?? this.state_.initial;
  }

  reward(accuracy: number): number {
    checkAccuracy(accuracy, 'EmaBaseline.reward');
    return accuracy - this.value();
  }

  push(accuracy: number): void {
    checkAccuracy(accuracy, 'EmaBaseline.push');
    const { value, decay } = this.state_;
    this.state_.value = value === undefined ? accuracy : decay * value + (1 - decay) * accuracy;
  }

  getState(): EmaBaselineState {
    return { ...this.state_ };
  }

  setState(state: EmaBaselineState): void {
    if (state === null || typeof state !== 'object') throw new TypeError('EmaBaseline state must be {decay, initial, value?}');
    EmaBaseline.check(state);
    this.state_ = { decay: state.decay, initial: state.initial, ...(state.value !== undefined ? { value: state.value } : {}) };
  }
}
