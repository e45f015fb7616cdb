// The RL strategy: an RNN controller samples action sequences over a space's decisions and learns
// from each child's reward by REINFORCE. This module adapts the controller to the Strategy seam and
// adds what works on the batch of children rather than on one: the update waits for `batch`
// rewarded children and averages their gradients, optionally with the rewards standardized within
// the batch (advantage normalization), so one lucky or unlucky child cannot swing the policy.
// Since the policy does not change within a batch, the batch's children are drawn together in one
// batched pass through the controller (Controller.sampleBatch) and handed out one by one.
import { Controller, type ControllerDecision, type ControllerOptions, type ControllerSample, type ControllerState, type Rewarded } from './policy.js';
import type { Feedback, Proposal, Strategy } from '../../search/types.js';

export interface ControllerStrategyOptions extends Omit<ControllerOptions, 'decisions' | 'space'> {
  /** Children per controller update (REINFORCE with a mean over the batch). */
  batch?: number;
  /** Standardize the rewards of a batch (mean 0, sd 1) before the update; needs batch > 1. */
  normalizeAdvantages?: boolean;
}

/** A rewarded child waiting for its batch, with its importance weight (ControllerSample.weight). */
type Weighted = Rewarded & { weight: number };

interface SavedStrategy {
  controller: ControllerState;
  pending: Weighted[];
  /** Drawn for this batch and not yet proposed (absent in runs saved before batched drawing). */
  queued?: ControllerSample[];
}

export class ControllerStrategy implements Strategy {
  readonly name = 'controller';
  private pending: Weighted[] = [];
  private queued: ControllerSample[] = [];
  private readonly batch: number;
  private readonly normalize: boolean;

  private constructor(
    private controller: Controller,
    options: ControllerStrategyOptions,
  ) {
    this.batch = options.batch ?? 1;
    this.normalize = options.normalizeAdvantages ?? false;
    if (!Number.isInteger(this.batch) || this.batch < 1) throw new RangeError(`controller batch must be a positive integer, got ${this.batch}`);
  }

  static create(decisions: readonly ControllerDecision[], options: ControllerStrategyOptions = {}): ControllerStrategy {
    const { batch: _b, normalizeAdvantages: _n, ...controller } = options;
    return new ControllerStrategy(new Controller({ ...controller, decisions }), options);
  }

  async propose(): Promise<Proposal> {
    if (this.queued.length === 0) this.queued = await this.controller.sampleBatch(Math.max(1, this.batch - this.pending.length));
    const s = this.queued.shift()!;
    return { actions: s.actions, explored: s.explored, memo: { weight: s.weight } };
  }

  async observe(proposal: Proposal, feedback: Feedback): Promise<void> {
    // A proposal a proxy rung turned down untrained teaches nothing here: its reward (minus the
    // baseline, about -0.9) is a hundred times a trained child's advantage and says only that the
    // proxy ranks it low, which pre-training on the proxy's pool already taught; as an update it
    // drowns the accuracy differences the search is for.
    if (feedback.rejected) return;
    // The importance weight travels with the proposal (a proposal from elsewhere counts as on-policy).
    const weight = (proposal.memo as { weight?: number } | undefined)?.weight ?? 1;
    this.pending.push({ actions: proposal.actions, reward: feedback.reward, weight });
    if (this.pending.length < this.batch) return;
    const batch = (this.normalize ? standardized(this.pending) : this.pending).map((p) => ({ actions: p.actions, reward: p.reward * p.weight }));
    this.pending = [];
    await this.controller.updateBatch(batch);
  }

  /**
   * Pre-training on architectures scored by something cheaper than training (a zero-cost proxy):
   * REINFORCE on each with its standardized score rank as the reward, in batches of 32, `passes`
   * times over the pool (default: at least 3, and at least 200 updates: fewer barely moved the
   * policy in test/strategies/warm-start.test.ts). The pool was not drawn from the policy, so this is
   * reward-weighted likelihood: it raises the probability of the well-scored, lowers the others'.
   */
  async pretrain(pool: readonly { actions: number[]; reward: number }[], passes = Math.max(3, Math.ceil(200 / Math.ceil(pool.length / 32)))): Promise<void> {
    for (let pass = 0; pass < passes; pass++)
      for (let i = 0; i < pool.length; i += 32) await this.controller.updateBatch(pool.slice(i, i + 32).map((p) => ({ actions: p.actions, reward: p.reward })));
  }

  async getState(): Promise<SavedStrategy> {
    return {
      controller: await this.controller.getState(),
      pending: this.pending.map((p) => ({ ...p, actions: [...p.actions] })),
      queued: this.queued.map((q) => ({ ...q, actions: [...q.actions] })),
    };
  }

  async setState(state: unknown): Promise<void> {
    const s = state as Partial<SavedStrategy> & { format?: string };
    // Runs saved before batching kept the controller's state alone.
    const saved: SavedStrategy = typeof s?.format === 'string' ? { controller: state as ControllerState, pending: [] } : (s as SavedStrategy);
    if (!Array.isArray(saved.pending)) throw new Error('controller strategy state: pending must be an array');
    const queued = saved.queued ?? [];
    if (!Array.isArray(queued)) throw new Error('controller strategy state: queued must be an array');
    const restored = await Controller.fromState(saved.controller);
    try {
      for (const q of queued) restored.checkActions(q.actions);
    } catch (err) {
      restored.dispose();
      throw new Error(`controller strategy state: a queued proposal is invalid: ${(err as Error).message}`);
    }
    this.controller.dispose();
    this.controller = restored;
    this.pending = saved.pending.map((p) => ({ actions: [...p.actions], reward: p.reward, weight: p.weight ?? 1 }));
    this.queued = queued.map((q) => ({ actions: [...q.actions], explored: q.explored === true, logProb: Number(q.logProb), weight: q.weight ?? 1 }));
  }

  dispose(): void {
    this.controller.dispose();
  }
}

/** Rewards shifted to mean 0 and scaled to sd 1 within the batch (all equal: all 0). */
export function standardized<R extends Rewarded>(batch: readonly R[]): R[] {
  const n = batch.length;
  const mean = batch.reduce((a, b) => a + b.reward, 0) / n;
  const sd = Math.sqrt(batch.reduce((a, b) => a + (b.reward - mean) ** 2, 0) / n);
  return batch.map((b) => ({ ...b, reward: sd > 1e-12 ? (b.reward - mean) / sd : 0 }));
}
