// Runs an exported ONNX model with onnxruntime-web, whose wasm build runs in Node as it does in a
// page: the same runtime the example page uses checks the file `nascent export` writes.
import * as ort from 'onnxruntime-web';
import type { Predict } from './verify.js';

export interface OnnxRunner {
  predict: Predict;
  release(): Promise<void>;
}

export async function onnxRunner(model: Uint8Array, shape: [number, number, number]): Promise<OnnxRunner> {
  // One thread: no worker threads to start or leave behind, and the machine's cores stay for tfjs.
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
  const [input] = session.inputNames;
  const [output] = session.outputNames;
  return {
    predict: async (pixels, n) => {
      const result = await session.run({ [input!]: new ort.Tensor('float32', pixels, [n, ...shape]) });
      return result[output!]!.data as Float32Array;
    },
    release: () => session.release(),
  };
}
