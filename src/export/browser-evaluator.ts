// --latency-on browser in a search: the browser is started once, before the first child (a missing
// or broken one stops the search there, with the reason), and every child the evaluator trains is
// then timed in it too, beside the Node latency the trainer measured. The architecture is timed
// with seeded initial weights in the search process, wherever the child itself was trained.
import type * as tfl from '@tensorflow/tfjs-layers';
import type { SearchConfig } from '../config/schema.js';
import { buildChild } from '../evaluators/child/build.js';
import type { CellPair } from '../spaces/nasnet/types.js';
import type { Evaluator } from '../search/types.js';
import { BrowserLatency, parseLatencyOn } from './browser-latency.js';

export interface BrowserTiming {
  wrap(evaluator: Evaluator): Evaluator;
  close(): Promise<void>;
}

/** undefined unless the config asks for browser latency; else the started browser. */
export async function browserLatencyFor(
  config: SearchConfig,
  images: { height: number; width: number; channels: number; classes: number },
  log: (line: string) => void,
): Promise<BrowserTiming | undefined> {
  const backend = parseLatencyOn(config.objective.latencyOn);
  if (!backend) return undefined;
  const e = config.evaluator;
  if (e.kind !== 'child' || config.problem.space !== 'nasnet') throw new Error('--latency-on browser times trained children of the NASNet space');
  const browser = await BrowserLatency.start({ backend });
  log(`latency: ${browser.describe()}, beside Node's`);
  const inputShape: [number, number, number] = [images.height, images.width, images.channels];
  const hierarchical = config.problem.hierarchical;
  const build = (arch: CellPair): tfl.LayersModel => buildChild(arch, { channels: e.channels, inputShape, numClasses: images.classes, hierarchical, seed: 1 });
  return {
    wrap: (inner) => ({
      async train(arch, hooks, request) {
        const outcome = await inner.train(arch, hooks, request);
        if (outcome.failed || !request?.measureLatency) return outcome;
        const model = build(arch as CellPair);
        try {
          return { ...outcome, browserLatencyMs: await browser.measure(model, inputShape) };
        } catch (err) {
          // The browser failed even after a restart: this child has no cost to be ranked by.
          return { ...outcome, failed: `timing it in the browser failed: ${(err as Error).message.split('\n')[0]}` };
        } finally {
          model.dispose();
        }
      },
    }),
    close: () => browser.close(),
  };
}
