// A child's inference latency on the current backend, for MnasNet's objective: batch-1 predictions
// after a warm-up (the first calls compile shaders or kernels and allocate), then the median of
// several (robust to the odd slow call of a shared machine). Each call is timed to its data on the
// host, since tfjs's GPU backends return before the work is done.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { median } from '../../util/stats.js';

export const LATENCY_DEFAULTS = { warmup: 3, runs: 10 } as const;

export async function measureLatency(
  model: tfl.LayersModel,
  inputShape: [number, number, number],
  o: { warmup?: number; runs?: number } = {},
): Promise<number> {
  const warmup = o.warmup ?? LATENCY_DEFAULTS.warmup;
  const runs = o.runs ?? LATENCY_DEFAULTS.runs;
  const x = tf.zeros([1, ...inputShape]);
  const times: number[] = [];
  try {
    for (let i = 0; i < warmup + runs; i++) {
      const started = performance.now();
      const y = model.predict(x) as tf.Tensor;
      await y.data();
      y.dispose();
      if (i >= warmup) times.push(performance.now() - started);
    }
  } finally {
    x.dispose();
  }
  return median(times);
}
