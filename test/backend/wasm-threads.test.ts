// The threaded SIMD build of tfjs-backend-wasm, which the package never starts in Node, runs with
// two XNNPACK threads through useThreadedWasm and computes what the cpu backend computes, including
// the SIMD kernel calls it splits across a worker thread (simd/workers.ts).

import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels, useThreadedWasm } from '../../src/backend/wasm/index.js';
import { simd, simdWorkers, type BackendWasm } from '../../src/backend/wasm/backend-access.js';
import { Rng } from '../../src/util/random.js';
import { expectMatchesCpu, input } from './kernel-check.js';

tf.env().set('PROD', true);

function gradsOf(backend: string): Float32Array[] {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(
      Array.from({ length: 2 * 9 * 9 * 8 }, (_, i) => Math.sin(i)),
      [2, 9, 9, 8],
    );
    const w = tf.tensor4d(
      Array.from({ length: 3 * 3 * 8 * 16 }, (_, i) => Math.cos(i)),
      [3, 3, 8, 16],
    );
    const dw = tf.tensor4d(
      Array.from({ length: 5 * 5 * 8 }, (_, i) => Math.cos(3 * i)),
      [5, 5, 8, 1],
    );
    // Stride 1 sends the input gradient to XNNPACK (threaded), stride 2 to the SIMD kernel.
    const loss = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
      const h = tf.relu(tf.depthwiseConv2d(a as tf.Tensor4D, c as tf.Tensor4D, 1, 'same'));
      return tf.add(tf.sum(tf.square(tf.conv2d(h, b as tf.Tensor4D, 2, 'same'))), tf.sum(tf.square(tf.conv2d(h, b as tf.Tensor4D, 1, 'same'))));
    };
    return tf
      .grads(loss)([x, w, dw])
      .map((g) => g.dataSync() as Float32Array);
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

  // Runs after the test above has started the threaded backend. Shapes are large enough to split
  // (>= 2^22 multiply-adds) and have odd sizes: 3 images (parts of 2 and 1), 44 output channels
  // (parts of 24 and 20, the second with a 4-channel tail), 256 channels.
  it('splits large SIMD kernel calls across a worker and matches cpu', () => {
    const backend = tf.findBackend('wasm') as BackendWasm;
    const workers = simdWorkers(backend);
    expect(workers?.threads).toBe(2);
    const before = workers!.splitCalls;
    const rng = new Rng(5);
    const conv = { dataFormat: 'NHWC' };
    expectMatchesCpu(
      'Conv2DBackpropFilter',
      { x: input(rng, [3, 7, 5, 256]), dy: input(rng, [3, 7, 5, 256]) },
      { ...conv, strides: 1, pad: 'valid', filterShape: [1, 1, 256, 256] },
      'pointwise filter gradient, 256 channels',
    );
    expectMatchesCpu(
      'Conv2DBackpropFilter',
      { x: input(rng, [3, 17, 13, 60]), dy: input(rng, [3, 9, 7, 44]) },
      { ...conv, strides: 2, pad: 'same', filterShape: [3, 3, 60, 44] },
      'strided filter gradient, 44 channels',
    );
    expectMatchesCpu(
      'Conv2DBackpropInput',
      { dy: input(rng, [3, 7, 6, 96]), filter: input(rng, [3, 3, 64, 96]) },
      { ...conv, strides: 2, pad: 'same', inputShape: [3, 13, 11, 64] },
      'strided input gradient, 3 images',
    );
    const depthwise = { strides: 1, pad: 'same', dilations: 1, dataFormat: 'NHWC' };
    expectMatchesCpu('DepthwiseConv2dNative', { x: input(rng, [3, 15, 16, 256]), filter: input(rng, [5, 5, 256, 1]) }, depthwise, 'depthwise forward');
    expectMatchesCpu(
      'DepthwiseConv2dNativeBackpropInput',
      { dy: input(rng, [3, 15, 16, 256]), filter: input(rng, [5, 5, 256, 1]) },
      { ...depthwise, inputShape: [3, 15, 16, 256] },
      'depthwise input gradient',
    );
    expect(workers!.splitCalls - before).toBe(5);
  });

  it('reports a kernel that fails on a worker', () => {
    const backend = tf.findBackend('wasm') as BackendWasm;
    const workers = simdWorkers(backend)!;
    // One output row, one tap, a tap table far outside the heap: the kernel traps reading it.
    const args = (table: number) => [0, 0, 0, table, 1, 0, 0, 0, 1, 0, 1, 1, 1, 16, 0, 16, 16];
    const local = simd(backend).convInputGrad as unknown as (...a: number[]) => void;
    expect(() => workers.run('convInputGrad', local, [args(0), args(0xfffffff0)])).toThrow();
    expect(() => workers.run('noSuchKernel', local, [args(0)])).toThrow(/no kernel 'noSuchKernel'/);
  });
});
