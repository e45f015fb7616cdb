// Random search: the baseline every NAS method must beat (Li & Talwalkar, 2019).
import { sampleCells } from '../cells/sample.js';
import { DEFAULT_SPACE, type SearchSpace } from '../cells/types.js';
import { Rng, type RngState } from '../util/random.js';
import type { Feedback, Proposal, Strategy } from './types.js';

export class RandomStrategy implements Strategy {
  readonly name = 'random';
  private rng: Rng;

  constructor(
    private readonly space: SearchSpace = DEFAULT_SPACE,
    seed = 1,
  ) {
    this.rng = new Rng(seed);
  }

  async propose(): Promise<Proposal> {
    return { cells: sampleCells(this.rng, this.space), explored: true };
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
