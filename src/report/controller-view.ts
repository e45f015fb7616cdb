// What the controller has learned, read from the run's checkpoint: its LSTM restored from
// checkpoint.json and asked, decision after decision, for the probability of each choice given the
// most likely choices before it (Controller.probabilities). Node side: the report and the dashboard's
// server call it; the browser gets the rows. Runs whose strategy is not the controller, or whose
// checkpoint has none yet, get undefined (and their views show the shares of recent proposals).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SearchSpace } from '../spaces/types.js';
import { choiceName } from './run-extras.js';
import type { DecisionRow } from './trial-plots.js';

export interface PolicyRows {
  rows: DecisionRow[];
  /** The episodes the checkpoint had recorded when the probabilities were read. */
  source: { kind: 'controller'; episode: number };
}

/** The controller's state inside a checkpoint's strategy state (its own, or the batched strategy's `controller`). */
function controllerState(strategy: unknown): unknown {
  if (strategy === null || typeof strategy !== 'object') return undefined;
  const s = strategy as { format?: unknown; controller?: unknown };
  return typeof s.format === 'string' ? strategy : s.controller;
}

/** The probabilities along the controller's most likely architecture; undefined without a controller checkpoint. */
export async function controllerRows(dir: string, space: SearchSpace): Promise<PolicyRows | undefined> {
  const path = join(dir, 'checkpoint.json');
  if (!existsSync(path)) return undefined;
  const checkpoint = JSON.parse(readFileSync(path, 'utf8')) as { episode?: number; strategy?: unknown };
  const state = controllerState(checkpoint.strategy);
  if (state === undefined) return undefined;
  // A backend for the few small tensors this takes: the search's own where one is set (the report
  // runs inside it), else tfjs's cpu backend (the dashboard's process has none).
  const tf = await import('@tensorflow/tfjs-core');
  // No banner recommending tfjs-node (src/backend does the same).
  tf.env().set('PROD', true);
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.ready();
  const { Controller } = await import('../strategies/controller/policy.js');
  const controller = await Controller.fromState(state as never);
  try {
    const prefix: number[] = [];
    const rows: DecisionRow[] = [];
    for (let t = 0; t < space.decisions.length; t++) {
      const probs = (await controller.probabilities(prefix))[t];
      const d = space.decisions[t];
      probs.forEach((p, a) => rows.push({ decision: d.label, order: t, choice: choiceName(space, d.kind, a), share: p }));
      prefix.push(probs.indexOf(Math.max(...probs)));
    }
    return { rows, source: { kind: 'controller', episode: checkpoint.episode ?? 0 } };
  } finally {
    controller.dispose();
  }
}

/** The checkpoint's mtime, to read the probabilities again only when it changed. */
export const checkpointTime = (dir: string): number => {
  try {
    return statSync(join(dir, 'checkpoint.json')).mtimeMs;
  } catch {
    return 0;
  }
};
