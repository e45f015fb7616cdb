// Choosing and preparing the tfjs backend. Every backend but `cpu` is imported lazily, so a user
// without the optional packages (tfjs-node, tfjs-node-gpu, webgpu) never pays for or trips on them.
import * as tf from '@tensorflow/tfjs-core';
import { importOptional } from './optional-import.js';
import { TENSORFLOW_PACKAGES, findTfGpuLibraries, linkerCache, mappedLibraries, otherCudaRuntimes, tensorflowGpuProblem } from './tensorflow.js';
import { openDawn, probeWebgpu } from './webgpu.js';

export const BACKEND_CHOICES = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface PreparedBackend {
  /** tfjs's name of the active backend: tensorflow, webgpu, wasm or cpu. */
  name: string;
  /** What was loaded, for the log. */
  detail: string;
  /** Under `auto`: the faster backends passed over, and why. */
  skipped?: string[];
  /** Said at start: the backend works, but not as well as its name promises (a software GPU, no CUDA). */
  warnings?: string[];
}

export class BackendUnavailableError extends Error {
  constructor(
    readonly backend: string,
    readonly reason: string,
  ) {
    super(`backend "${backend}" is not available: ${reason}`);
    this.name = 'BackendUnavailableError';
  }
}

// tfjs prints a banner recommending tfjs-node on every Node process; our choice is deliberate.
tf.env().set('PROD', true);

async function loadTensorflow(): Promise<PreparedBackend> {
  for (const pkg of TENSORFLOW_PACKAGES) {
    if ((await importOptional(pkg)) !== undefined) {
      await activate('tensorflow');
      const warnings: string[] = [];
      if (pkg === '@tensorflow/tfjs-node-gpu') {
        // libtensorflow dlopens CUDA when it first places an op; look at what it mapped after one.
        tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)));
        const cache = linkerCache();
        const problem = tensorflowGpuProblem(mappedLibraries(), findTfGpuLibraries(undefined, cache), otherCudaRuntimes(undefined, cache));
        if (problem) warnings.push(problem);
      }
      return { name: 'tensorflow', detail: `libtensorflow through ${pkg}${warnings.length ? ' (on the CPU: no GPU device)' : ''}`, warnings };
    }
  }
  throw new BackendUnavailableError(
    'tensorflow',
    'neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed. ' +
      'Install one with `npm install @tensorflow/tfjs-node-gpu --allow-scripts` (CUDA GPU) or ' +
      '`npm install @tensorflow/tfjs-node --allow-scripts` (CPU); their install step downloads libtensorflow.',
  );
}

/**
 * WebGPU through Dawn. `acceptSoftware` false (under auto) refuses a software adapter: lavapipe
 * or SwiftShader run every shader on the CPU, far slower than the wasm backend on the same cores.
 */
async function loadWebgpu(acceptSoftware = true): Promise<PreparedBackend> {
  const probe = await probeWebgpu();
  if (!probe.ok) throw new BackendUnavailableError('webgpu', probe.reason);
  const { adapter } = probe;
  if (adapter.software && !acceptSoftware) {
    throw new BackendUnavailableError(
      'webgpu',
      `its only adapter is ${adapter.name}: ${adapter.software}, slower than wasm on the same cores (\`--backend webgpu\` uses it anyway)`,
    );
  }
  await openDawn();
  await import('@tensorflow/tfjs-backend-webgpu');
  await activate('webgpu');
  const warnings = adapter.software ? [`webgpu runs on ${adapter.name}, ${adapter.software}: expect it to be far slower than --backend wasm`] : [];
  return { name: 'webgpu', detail: `WebGPU through Dawn (${adapter.name}${adapter.software ? ', software' : ''})`, warnings };
}

async function loadWasm(): Promise<PreparedBackend> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const { registerWasmTrainingKernels, configureWasmThreads } = await import('./wasm/index.js');
  const threads = configureWasmThreads(wasm);
  registerWasmTrainingKernels();
  await activate('wasm');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return { name: 'wasm', detail: `WebAssembly${simd ? ' SIMD' : ''} (XNNPACK) with nascent's training kernels${threads ? `, ${threads}` : ''}` };
}

async function loadCpu(): Promise<PreparedBackend> {
  await import('@tensorflow/tfjs-backend-cpu');
  await activate('cpu');
  return { name: 'cpu', detail: 'plain JavaScript (slow: for tests and reference results)' };
}

async function activate(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new BackendUnavailableError(name, 'tfjs could not initialize it');
  await tf.ready();
}

/**
 * Makes `choice` the active tfjs backend. `auto` prefers libtensorflow (tfjs-node-gpu / tfjs-node)
 * when installed, then a real WebGPU adapter, then wasm: the fastest of them that can train here.
 */
export async function prepareBackend(choice: BackendChoice): Promise<PreparedBackend> {
  switch (choice) {
    case 'tensorflow':
      return loadTensorflow();
    case 'webgpu':
      return loadWebgpu();
    case 'wasm':
      return loadWasm();
    case 'cpu':
      return loadCpu();
    case 'auto': {
      const skipped: string[] = [];
      for (const load of [loadTensorflow, () => loadWebgpu(false)]) {
        try {
          return { ...(await load()), skipped };
        } catch (err) {
          if (!(err instanceof BackendUnavailableError)) throw err;
          skipped.push(`${err.backend}: ${err.reason}`);
        }
      }
      return { ...(await loadWasm()), skipped };
    }
  }
}

/** The lines a command prints about its backend: what runs, what auto passed over, what to know. */
export function describeBackend(backend: PreparedBackend): string[] {
  return [
    `backend: ${backend.name} — ${backend.detail}`,
    ...(backend.skipped ?? []).map((reason) => `  (passed over ${reason})`),
    ...(backend.warnings ?? []).map((w) => `  warning: ${w}`),
  ];
}
