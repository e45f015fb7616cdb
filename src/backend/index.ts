// Choosing and preparing the tfjs backend. Every backend but `cpu` is imported lazily, so a user
// without the optional packages (tfjs-node, tfjs-node-gpu, webgpu) never pays for or trips on them.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

export const BACKEND_CHOICES = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface PreparedBackend {
  /** tfjs's name of the active backend: tensorflow, webgpu, wasm or cpu. */
  name: string;
  /** What was loaded, for the log. */
  detail: string;
  /** Under `auto`: the faster backends passed over, and why. */
  skipped?: string[];
}

export class BackendUnavailableError extends Error {
  constructor(
    readonly backend: string,
    reason: string,
  ) {
    super(`backend "${backend}" is not available: ${reason}`);
    this.name = 'BackendUnavailableError';
  }
}

// tfjs prints a banner recommending tfjs-node on every Node process; our choice is deliberate.
tf.env().set('PROD', true);

async function tryImport(specifier: string): Promise<unknown | undefined> {
  try {
    return await import(specifier);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return undefined;
    throw err;
  }
}

async function loadTensorflow(): Promise<PreparedBackend> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    if ((await tryImport(pkg)) !== undefined) {
      await activate('tensorflow');
      return { name: 'tensorflow', detail: `libtensorflow through ${pkg}` };
    }
  }
  throw new BackendUnavailableError(
    'tensorflow',
    'neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed. ' +
      'Install one with `npm install @tensorflow/tfjs-node-gpu --allow-scripts` (CUDA GPU) or ' +
      '`npm install @tensorflow/tfjs-node --allow-scripts` (CPU); their install step downloads libtensorflow.',
  );
}

/** A WebGPU adapter from Dawn (the `webgpu` package), or a reason why there is none. */
// The few WebGPU shapes we touch, so the project needs no WebGPU type package.
interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; description?: string };
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapterLike | null>;
}

// Dawn prints a native warning when it cannot load Vulkan; on Linux, look for the loader first.
function vulkanLoaderMissing(): boolean {
  if (process.platform !== 'linux') return false;
  const dirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/usr/local/lib'];
  const extra = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  return ![...extra, ...dirs].some((d) => existsSync(join(d, 'libvulkan.so.1')));
}

async function findWebgpuAdapter(): Promise<{ ok: true; info: string } | { ok: false; reason: string }> {
  if (vulkanLoaderMissing()) return { ok: false, reason: 'no Vulkan loader (libvulkan.so.1) on this machine, so no GPU adapter for Dawn (on Debian/Ubuntu with a GPU driver: `apt-get install libvulkan1`, plus `mesa-vulkan-drivers` for AMD/Intel; NVIDIA\'s driver ships its own Vulkan ICD)' };
  const mod = (await tryImport('webgpu')) as { create?: (flags: string[]) => GpuLike } | undefined;
  if (!mod?.create) return { ok: false, reason: 'the `webgpu` package (Dawn for Node) is not installed: `npm install webgpu`' };
  const gpu = mod.create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return { ok: false, reason: 'Dawn found no GPU adapter on this machine (no Vulkan/Metal/D3D12 GPU, or its driver lacks Vulkan support; `vulkaninfo` from vulkan-tools shows what Vulkan sees)' };
  // tfjs-backend-webgpu looks for navigator.gpu when it is imported, so this must come first.
  const g = globalThis as { navigator?: { gpu?: GpuLike } };
  if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  else if (!g.navigator.gpu) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  const info = adapter.info;
  return { ok: true, info: [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') || 'adapter' };
}

async function loadWebgpu(): Promise<PreparedBackend> {
  const found = await findWebgpuAdapter();
  if (!found.ok) throw new BackendUnavailableError('webgpu', found.reason);
  await import('@tensorflow/tfjs-backend-webgpu');
  await activate('webgpu');
  return { name: 'webgpu', detail: `WebGPU through Dawn (${found.info})` };
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
      for (const load of [loadTensorflow, loadWebgpu]) {
        try {
          return { ...(await load()), skipped };
        } catch (err) {
          if (!(err instanceof BackendUnavailableError)) throw err;
          skipped.push(err.message);
        }
      }
      return { ...(await loadWasm()), skipped };
    }
  }
}
