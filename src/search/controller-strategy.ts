// The NASNet strategy: an RNN controller samples cells and learns from each child's reward by
// REINFORCE. This module only adapts the controller to the Strategy seam.
import { Controller, type ControllerOptions, type ControllerState } from '../controller/policy.js';
import type { Feedback, Proposal, Strategy } from './types.js';

export class ControllerStrategy implements Strategy {
  readonly name = 'controller';

  private constructor(private controller: Controller) {}

  static create(options: ControllerOptions): ControllerStrategy {
    return new ControllerStrategy(new Controller(options));
  }

  async propose(): Promise<Proposal> {
    const s = await this.controller.sample();
    return { cells: s.cells, explored: s.explored, memo: { actions: s.actions } };
  }

  async observe(proposal: Proposal, feedback: Feedback): Promise<void> {
    const { actions } = proposal.memo as { actions: number[] };
    await this.controller.update(actions, feedback.reward);
  }

  async getState(): Promise<ControllerState> {
    return this.controller.getState();
  }

  async setState(state: unknown): Promise<void> {
    const restored = await Controller.fromState(state as ControllerState);
    this.controller.dispose();
    this.controller = restored;
  }

  dispose(): void {
    this.controller.dispose();
  }
}
