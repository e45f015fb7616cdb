// What the benches print their figures with: one definition each, so every bench's "mean ± standard
// error" and every compute ratio is the same computation.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunInfo } from '../src/config/schema.js';
import { upgradeConfig } from '../src/config/upgrade.js';

/** Mean, sample standard deviation and standard error of the mean (sd and se 0 for one value). */
export function stat(xs: readonly number[]): { m: number; sd: number; se: number } {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
  return { m, sd, se: sd / Math.sqrt(xs.length) };
}

/** A search's cost in forward passes: a training image-step (forward and backward) as about three. */
export const forwardUnits = (c: { trainImageSteps: number; scoredImages: number }): number => 3 * c.trainImageSteps + c.scoredImages;

/** What a run's config.json (any version) records about the run itself: when it started, the data it loaded. */
export function runFacts(run: string): RunInfo {
  const upgraded = upgradeConfig(JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'))) as { run?: RunInfo };
  return upgraded.run ?? {};
}
