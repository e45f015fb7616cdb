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
  /**
   * Priority-queue training (Abolafia et al. 2018): the K best children so far are kept, and each
   * update adds `queueWeight` times their mean log-likelihood to REINFORCE's objective, pulling the
   * policy toward its best finds as evolution's tournament and TPE's good set do. 0: off.
   */
  queue?: number;
  /** Weight of the queue's log-likelihood beside the REINFORCE term. */
  queueWeight?: number;
  /**
   * Draw again (up to 100 times) a sample equal to one proposed before, as evolution does: a repeat
   * costs a query in a search that counts them and teaches the policy nothing new.
   */
  fresh?: boolean;
}

/** A rewarded child waiting for its batch, with its importance weight (ControllerSample.weight). */
type Weighted = Rewarded & { weight: number };

interface SavedStrategy {
  controller: ControllerState;
  pending: Weighted[];
  /** Drawn for this batch and not yet proposed (absent in runs saved before batched drawing). */
  queued?: ControllerSample[];
  /** The best children so far, best first (absent in runs saved before the queue). */
  best?: Ranked[];
  /** What was proposed so far, as joined actions, with `fresh` (absent in runs saved before it). */
  proposed?: string[];
}

/** A child the priority queue keeps: its actions and accuracy. */
interface Ranked {
  actions: number[];
  accuracy: number;
}

export class ControllerStrategy implements Strategy {
  readonly name = 'controller';
  private pending: Weighted[] = [];
  private queued: ControllerSample[] = [];
  private readonly batch: number;
  private readonly normalize: boolean;
  private readonly queueSize: number;
  private readonly queueWeight: number;
  private best: Ranked[] = [];
  private readonly fresh: boolean;
  private proposed = new Set<string>();

  private constructor(
    private controller: Controller,
    options: ControllerStrategyOptions,
  ) {
    this.batch = options.batch ?? 1;
    this.normalize = options.normalizeAdvantages ?? false;
    this.queueSize = options.queue ?? 0;
    this.queueWeight = options.queueWeight ?? 0;
    this.fresh = options.fresh ?? false;
    if (!Number.isInteger(this.batch) || this.batch < 1) throw new RangeError(`controller batch must be a positive integer, got ${this.batch}`);
    if (!Number.isInteger(this.queueSize) || this.queueSize < 0) throw new RangeError(`controller queue must be a non-negative integer, got ${this.queueSize}`);
    if (!(this.queueWeight >= 0) || !Number.isFinite(this.queueWeight)) {
      throw new RangeError(`controller queueWeight must be a finite number >= 0, got ${this.queueWeight}`);
    }
  }

  static create(decisions: readonly ControllerDecision[], options: ControllerStrategyOptions = {}): ControllerStrategy {
    const { batch: _b, normalizeAdvantages: _n, queue: _q, queueWeight: _w, fresh: _f, ...controller } = options;
    return new ControllerStrategy(new Controller({ ...controller, decisions }), options);
  }

  async propose(): Promise<Proposal> {
    for (let draws = 1; ; draws++) {
      if (this.queued.length === 0) this.queued = await this.controller.sampleBatch(Math.max(1, this.batch - this.pending.length));
      const s = this.queued.shift()!;
      if (this.fresh) {
        const key = s.actions.join();
        // a policy that has converged may have nothing new to say: after 100 draws it repeats itself
        if (this.proposed.has(key) && draws < 100) continue;
        this.proposed.add(key);
      }
      return { actions: s.actions, explored: s.explored, memo: { weight: s.weight } };
    }
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
    if (feedback.accuracy !== null) this.remember(proposal.actions, feedback.accuracy);
    if (this.pending.length < this.batch) return;
    const batch = (this.normalize ? standardized(this.pending) : this.pending).map((p) => ({ actions: p.actions, reward: p.reward * p.weight }));
    this.pending = [];
    await this.controller.updateBatch(this.withQueue(batch));
  }

  /** Keeps `actions` among the best `queue` children if it scores high enough (a repeat keeps its best score). */
  private remember(actions: readonly number[], accuracy: number): void {
    if (this.queueSize === 0) return;
    const key = actions.join();
    const known = this.best.find((b) => b.actions.join() === key);
    if (known) known.accuracy = Math.max(known.accuracy, accuracy);
    else this.best.push({ actions: [...actions], accuracy });
    this.best.sort((a, b) => b.accuracy - a.accuracy);
    this.best.length = Math.min(this.best.length, this.queueSize);
  }

  /**
   * The REINFORCE batch with the queue's children beside it, rewards scaled so that the update's
   * mean is REINFORCE's mean plus queueWeight times the queue's mean log-likelihood.
   */
  private withQueue(batch: Rewarded[]): Rewarded[] {
    if (this.queueWeight === 0 || this.best.length === 0) return batch; // best stays empty with queue 0
    const n = batch.length + this.best.length;
    return [
      ...batch.map((b) => ({ actions: b.actions, reward: (b.reward * n) / batch.length })),
      ...this.best.map((b) => ({ actions: b.actions, reward: (this.queueWeight * n) / this.best.length })),
    ];
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
      best: this.best.map((b) => ({ actions: [...b.actions], accuracy: b.accuracy })),
      proposed: [...this.proposed],
    };
  }

  async setState(state: unknown): Promise<void> {
    const s = state as Partial<SavedStrategy> & { format?: string };
    // Runs saved before batching kept the controller's state alone.
    const saved: SavedStrategy = typeof s?.format === 'string' ? { controller: state as ControllerState, pending: [] } : (s as SavedStrategy);
    if (!Array.isArray(saved.pending)) throw new Error('controller strategy state: pending must be an array');
    const queued = saved.queued ?? [];
    if (!Array.isArray(queued)) throw new Error('controller strategy state: queued must be an array');
    const best = saved.best ?? [];
    if (!Array.isArray(best) || !best.every((b) => Array.isArray(b?.actions) && Number.isFinite(b.accuracy))) {
      throw new Error('controller strategy state: best must be an array of {actions, accuracy}');
    }
    const proposed = saved.proposed ?? [];
    if (!Array.isArray(proposed) || !proposed.every((k) => typeof k === 'string'))
      throw new Error('controller strategy state: proposed must be an array of strings');
    const restored = await Controller.fromState(saved.controller);
    for (const [what, list] of [
      ['a queued proposal', queued],
      ["one of the queue's best children", best],
    ] as const)
      try {
        for (const q of list) restored.checkActions(q.actions);
      } catch (err) {
        restored.dispose();
        throw new Error(`controller strategy state: ${what} is invalid: ${(err as Error).message}`);
      }
    this.controller.dispose();
    this.controller = restored;
    this.pending = saved.pending.map((p) => ({ actions: [...p.actions], reward: p.reward, weight: p.weight ?? 1 }));
    this.queued = queued.map((q) => ({ actions: [...q.actions], explored: q.explored === true, logProb: Number(q.logProb), weight: q.weight ?? 1 }));
    this.best = best.map((b) => ({ actions: [...b.actions], accuracy: b.accuracy }));
    this.proposed = new Set(proposed);
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
