// Every strategy by name, built from a space's decisions, a seed and the search's settings. Each
// is one small class behind the Strategy seam (src/search/types.ts), knowing only the decisions.
import type { Decision } from '../spaces/types.js';
import { ControllerStrategy, type ControllerStrategyOptions } from './controller/strategy.js';
import { RandomStrategy } from './random.js';
import type { Strategy } from '../search/types.js';
import { RegularizedEvolution, type EvolutionOptions } from './evolution.js';
import { TreeParzenEstimator, type TpeOptions } from './tpe.js';

export const STRATEGY_NAMES = ['controller', 'random', 'evolution', 'tpe'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

export interface StrategySettings {
  controller?: ControllerStrategyOptions;
  evolution?: EvolutionOptions;
  tpe?: TpeOptions;
}

export function makeStrategy(name: StrategyName, decisions: readonly Decision[], seed: number, settings: StrategySettings = {}): Strategy {
  switch (name) {
    case 'controller':
      return ControllerStrategy.create(decisions, { ...settings.controller, seed });
    case 'random':
      return new RandomStrategy(decisions, seed);
    case 'evolution':
      return new RegularizedEvolution(decisions, seed, settings.evolution);
    case 'tpe':
      return new TreeParzenEstimator(decisions, seed, settings.tpe);
    default:
      throw new RangeError(`unknown strategy ${JSON.stringify(name)} (one of ${STRATEGY_NAMES.join(', ')})`);
  }
}
