// The threaded SIMD build of tfjs-backend-wasm, which the package never starts in Node, runs with
// two XNNPACK threads through useThreadedWasm and computes what the cpu backend computes.

import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels, useThreadedWasm } from '../../src/backend/wasm/index.js';

tf.env().set('PROD', true);

function gradsOf(backend: string): Float32Array[] {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(Array.from({ length: 2 * 9 * 9 * 8 }, (_, i) => Math.sin(i)), [2, 9, 9, 8]);
    const w = tf.tensor4d(Array.from({ length: 3 * 3 * 8 * 16 }, (_, i) => Math.cos(i)), [3, 3, 8, 16]);
    const dw = tf.tensor4d(Array.from({ length: 5 * 5 * 8 }, (_, i) => Math.cos(3 * i)), [5, 5, 8, 1]);
    // Stride 1 sends the input gradient to XNNPACK (threaded), stride 2 to the SIMD kernel.
    const loss = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
      const h = tf.relu(tf.depthwiseConv2d(a as tf.Tensor4D, c as tf.Tensor4D, 1, 'same'));
      return tf.add(tf.sum(tf.square(tf.conv2d(h, b as tf.Tensor4D, 2, 'same'))), tf.sum(tf.square(tf.conv2d(h, b as tf.Tensor4D, 1, 'same'))));
    };
    return tf.grads(loss)([x, w, dw]).map((g) => g.dataSync() as Float32Array);
  });
}

describe('useThreadedWasm', () => {
  it('rejects a bad thread count, then starts two XNNPACK threads that match cpu', async () => {
    expect(() => useThreadedWasm(wasm, 0)).toThrow(/positive integer/);
    expect(useThreadedWasm(wasm, 2)).toEqual({ threads: 2 });
    registerWasmTrainingKernels();
    expect(await tf.setBackend('wasm')).toBe(true);
    expect(wasm.getThreadsCount()).toBe(2);
    expect(useThreadedWasm(wasm, 2).threads).toBe(1); // too late: the backend is running
    await tf.setBackend('cpu');
    const want = gradsOf('cpu');
    const got = gradsOf('wasm');
    got.forEach((g, i) => {
      let maxRef = 0;
      let maxDiff = 0;
      g.forEach((v, j) => {
        maxRef = Math.max(maxRef, Math.abs(want[i]![j]!));
        maxDiff = Math.max(maxDiff, Math.abs(v - want[i]![j]!));
      });
      expect(maxDiff / maxRef, `gradient ${i}`).toBeLessThan(1e-4);
    });
  });
});
