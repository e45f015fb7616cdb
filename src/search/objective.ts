// What a child is rewarded for. `accuracy`: its validation accuracy, as the seed's search did.
// `mnas`: MnasNet's soft-constrained reward (Tan et al. 2019, eq. 2 with alpha = beta = w),
// ACC x (cost / T)^w, with cost the child's parameter count or its measured batch-1 latency and T
// the target: w = -0.07 trades about 5% accuracy for half the cost, and never forbids a child.
// The value replaces accuracy wherever the search ranks children: reward and baseline, the best
// trial, the strategy's feedback, Hyperband's promotions. Accuracy itself stays in every trial.

export interface ChildCost {
  params: number;
  /** Median batch-1 inference time on the search's backend, in ms. */
  latencyMs?: number;
  /** The same in a browser page (--latency-on browser). */
  browserLatencyMs?: number;
}

export interface Objective {
  readonly name: 'accuracy' | 'mnas';
  /** What a child with `accuracy` and `cost` scores. */
  score(accuracy: number, cost: ChildCost): number;
}

export const accuracyObjective: Objective = { name: 'accuracy', score: (accuracy) => accuracy };

export interface MnasOptions {
  /** Which cost, and its target T. */
  cost: 'params' | 'latency' | 'browser-latency';
  target: number;
  /** The exponent w (MnasNet: -0.07). */
  w: number;
}

export function mnasObjective(o: MnasOptions): Objective {
  if (!(o.target > 0)) throw new Error(`the MnasNet target must be positive, got ${o.target}`);
  if (!Number.isFinite(o.w)) throw new Error(`the MnasNet exponent w must be a number, got ${o.w}`);
  return {
    name: 'mnas',
    score(accuracy, cost) {
      const c = o.cost === 'params' ? cost.params : o.cost === 'latency' ? cost.latencyMs : cost.browserLatencyMs;
      if (c === undefined || !(c > 0))
        throw new Error(
          `the mnas objective needs the child's ${o.cost === 'params' ? 'parameter count' : o.cost === 'latency' ? 'latency' : 'latency in the browser'}, got ${c}`,
        );
      return accuracy * (c / o.target) ** o.w;
    },
  };
}
