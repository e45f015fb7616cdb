// Kernels that let tfjs's wasm backend train the child network, fast. tfjs-backend-wasm 4.22 has
// no Conv2DBackpropFilter and no depthwise gradients; its Conv2DBackpropInput, pooling gradients,
// leading-axis reductions, Slice/Concat/Tile and FusedBatchNorm are scalar loops or extra copies,
// its Identity copies every tensor tfjs saves for backprop, and XNNPACK's 7x7 depthwise runs at
// ~1 GMAC/s. The replacements run SIMD microkernels assembled at run time over the wasm heap
// (simd/), or XNNPACK where it is the faster choice. With the threaded build, the largest SIMD
// calls (convolution gradients, depthwise forward and input gradient) are split across worker
// threads that share the heap (simd/workers.ts), one per XNNPACK thread beyond the first.
//
// Entry points: registerWasmTrainingKernels(); useThreadedWasm()/configureWasmThreads() for the
// threaded build. The kernels of batchNormTrain()/FusedBatchNormalization, the child network's
// training-mode batch norm with a fused gradient, are registered here; the op itself is portable and
// lives with the child (src/evaluators/child/batch-norm.ts).

import * as tf from '@tensorflow/tfjs-core';
import { castConfig, identityConfig } from './aliasing.js';
import { guardHeap, rememberOriginal, type BackendWasm } from './backend-access.js';
import { useThreadedWasm } from './threads.js';
import { requestedWasmThreads } from './thread-count.js';
import { conv2DConfig, fusedConv2DConfig } from './conv2d-forward.js';
import { conv2DBackpropFilterConfig, conv2DBackpropInputConfig } from './conv2d-grads.js';
import { concatConfig, sliceConfig, splitVConfig, tileConfig } from './copy.js';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig, depthwiseConv2dConfig } from './depthwise-grads.js';
import { avgPoolGradConfig, maxPoolGradConfig } from './pool-grads.js';
import { fusedBatchNormConfig } from './batch-norm.js';
import { batchNormGradConfig, batchNormStatsConfig } from './batch-norm-train.js';
import { addConfig, multiplyConfig, realDivConfig, subConfig } from './elementwise.js';
import { meanConfig, sumConfig } from './reduce.js';

export const WASM_TRAINING_KERNELS: readonly tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  depthwiseBackpropInputConfig,
  depthwiseBackpropFilterConfig,
  // Not missing, but slow enough in tfjs-backend-wasm 4.22 to dominate a training step.
  depthwiseConv2dConfig,
  conv2DConfig,
  fusedConv2DConfig,
  identityConfig,
  castConfig,
  maxPoolGradConfig,
  avgPoolGradConfig,
  sumConfig,
  meanConfig,
  sliceConfig,
  splitVConfig,
  concatConfig,
  tileConfig,
  addConfig,
  subConfig,
  multiplyConfig,
  realDivConfig,
  fusedBatchNormConfig,
  // Kernels of batchNormTrain / FusedBatchNormalization (batch-norm-train.ts).
  batchNormStatsConfig,
  batchNormGradConfig,
];

/** Names of the kernels registered (or replaced) for the 'wasm' backend. */
export const WASM_TRAINING_KERNEL_NAMES: readonly string[] = WASM_TRAINING_KERNELS.map((k) => k.kernelName);

const registered = new Set<tf.KernelConfig>();

/**
 * Registers the gradient kernels for backendName 'wasm'. Idempotent. Kernels the wasm package
 * already has are replaced (the original stays reachable as a fallback); call after importing
 * '@tensorflow/tfjs-backend-wasm', before or after the backend is initialised.
 */
export function registerWasmTrainingKernels(): void {
  for (const config of WASM_TRAINING_KERNELS) {
    if (registered.has(config)) continue;
    const existing = tf.getKernel(config.kernelName, 'wasm');
    if (existing === config) {
      registered.add(config);
      continue;
    }
    if (existing) {
      rememberOriginal(config.kernelName);
      tf.unregisterKernel(config.kernelName, 'wasm');
    }
    tf.registerKernel(config);
    registered.add(config);
  }
  const running = (tf.engine() as unknown as { registry: Record<string, unknown> }).registry.wasm;
  if (running) guardHeap(running as BackendWasm);
}

export { useThreadedWasm, type WasmThreadsResult } from './threads.js';
export { WasmHeapExhaustedError } from './backend-access.js';

/**
 * Called by the backend chooser before it activates 'wasm'. XNNPACK gets one thread per core by
 * default, and nascent's large SIMD kernel calls use as many threads. On the idle 2-core machine two
 * threads trained the reference child 6-25% faster in wall time (at ~15% more CPU per image) with
 * XNNPACK alone threaded, and another ~10-35% with the SIMD kernels split too; when other work
 * holds the cores they are slower than one, so NASCENT_WASM_THREADS=1 turns them off (the test
 * suite, which runs files in parallel, does). Returns a note for the log.
 */
export function configureWasmThreads(wasm: typeof import('@tensorflow/tfjs-backend-wasm')): string {
  const result = useThreadedWasm(wasm, requestedWasmThreads().threads);
  return result.threads > 1 ? `${result.threads} XNNPACK threads` : '1 thread';
}
