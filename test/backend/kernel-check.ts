// Runs one tfjs kernel on the cpu and wasm backends on the same random inputs and compares the
// outputs: the check every wasm kernel test uses.
//
// Tolerance: max |wasm - cpu| <= 1e-4 * max |cpu| per output (float32 sums in a different order
// differ by ~1e-7 relative).

import { expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../src/util/random.js';
import { relativeError } from './tolerance.js';

export const TOL = 1e-4;
export type Attrs = Record<string, unknown>;

export function randomValues(rng: Rng, n: number, kind: 'normal' | 'ties' = 'normal'): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = kind === 'ties' ? rng.int(4) - 1 : 2 * rng.next() - 1;
  return out;
}

export interface Input {
  values: Float32Array;
  shape: number[];
}

export function input(rng: Rng, shape: number[], kind: 'normal' | 'ties' = 'normal'): Input {
  return {
    values: randomValues(
      rng,
      shape.reduce((a, b) => a * b, 1),
      kind,
    ),
    shape,
  };
}

/** Runs one kernel on `backend` and returns its outputs' values. */
export function runOn(backend: string, kernel: string, inputs: Record<string, Input> | Input[], attrs: Attrs): Float32Array[] {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const make = (i: Input) => tf.tensor(i.values, i.shape, 'float32');
    const ins = Array.isArray(inputs) ? inputs.map(make) : Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, make(v)]));
    const out = tf.engine().runKernel(kernel, ins as unknown as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
    return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
  });
}

/** Asserts that `kernel` gives cpu's result on wasm (same output count, sizes and values). */
export function expectMatchesCpu(kernel: string, inputs: Record<string, Input> | Input[], attrs: Attrs, label: string): void {
  const want = runOn('cpu', kernel, inputs, attrs);
  const got = runOn('wasm', kernel, inputs, attrs);
  expect(got.length, label).toBe(want.length);
  got.forEach((g, i) => {
    expect(g.length, `${label} output ${i} size`).toBe(want[i]!.length);
    expect(relativeError(g, want[i]!), `${label} output ${i}`).toBeLessThanOrEqual(TOL);
  });
}
