// Random search: the baseline every NAS method must beat (Li & Talwalkar, 2019). Each action is
// uniform over its decision's choices, so the architecture is uniform over the space.
import type { Decision } from '../spaces/types.js';
import { Rng, type RngState } from '../util/random.js';
import type { Feedback, Proposal, Strategy } from '../search/types.js';

export class RandomStrategy implements Strategy {
  readonly name = 'random';
  private rng: Rng;

  constructor(
    private readonly decisions: readonly Pick<Decision, 'choices'>[],
    seed = 1,
  ) {
    this.rng = new Rng(seed);
  }

  async propose(): Promise<Proposal> {
    return { actions: this.decisions.map((d) => this.rng.int(d.choices)), explored: true };
  }

  /** Random search learns nothing from feedback. */
  async observe(_proposal: Proposal, _feedback: Feedback): Promise<void> {}

  async getState(): Promise<{ rng: RngState }> {
    return { rng: this.rng.state() };
  }

  async setState(state: unknown): Promise<void> {
    this.rng = new Rng((state as { rng: RngState }).rng);
  }

  dispose(): void {}
}
