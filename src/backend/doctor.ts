// What `nascent doctor` finds out: for each backend whether it can run here and why not, in the
// order `--backend auto` tries them, and which one auto would take. Nothing here trains or loads a
// backend: packages are looked up, libraries and drivers looked for, and Dawn is asked in a child
// process, so the answer comes in a second or two even on a machine where something is broken.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { findTfGpuLibraries, linkerCache, otherCudaRuntimes, TENSORFLOW_PACKAGES } from './tensorflow.js';
import { requestedWasmThreads } from './wasm/thread-count.js';
import { findLibrary, probeWebgpu, vulkanDrivers } from './webgpu.js';

export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

export interface BackendFinding {
  backend: BackendName;
  /** It can train here when asked for by name. */
  available: boolean;
  /** `auto` would take it when nothing before it in the order is taken. */
  autoWouldUse: boolean;
  /** One line: what it is, or why it cannot run. */
  summary: string;
  /** What was looked at: packages, libraries, drivers, the adapter. */
  details: string[];
}

export interface DoctorReport {
  backends: BackendFinding[];
  /** What `--backend auto` would pick. */
  auto: BackendName;
  node: string;
  cores: number;
}

const require = createRequire(import.meta.url);

/** The installed version of an npm package, or undefined. */
export function packageVersion(name: string): string | undefined {
  try {
    const entry = require.resolve(name);
    // walk up from the entry point to the package's own package.json
    for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
      const file = join(dir, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name) return pkg.version ?? 'unknown version';
    }
    return 'unknown version';
  } catch {
    return undefined;
  }
}

function nvidiaDriver(): string | undefined {
  try {
    return readFileSync('/proc/driver/nvidia/version', 'utf8').split('\n')[0]?.trim();
  } catch {
    return undefined;
  }
}

export function checkTensorflow(): BackendFinding {
  const found = TENSORFLOW_PACKAGES.map((p) => ({ pkg: p, version: packageVersion(p) }));
  const details = found.map((f) => `${f.pkg}: ${f.version ? `installed (${f.version})` : 'not installed'}`);
  const installed = found.find((f) => f.version);
  const driver = nvidiaDriver();
  details.push(`NVIDIA driver: ${driver ?? 'none (/proc/driver/nvidia/version is absent)'}`);
  let summary = installed
    ? `libtensorflow through ${installed.pkg}`
    : 'not installed: `npm install @tensorflow/tfjs-node-gpu --allow-scripts` (NVIDIA GPU, CUDA 11.2) or `@tensorflow/tfjs-node` (CPU); see docs/concepts/gpu.md';
  if (installed?.pkg === '@tensorflow/tfjs-node-gpu' || !installed) {
    const cache = linkerCache();
    const libs = findTfGpuLibraries(undefined, cache);
    const missing = libs.filter((l) => !l.path);
    details.push('libraries tfjs-node-gpu (libtensorflow 2.9.1) loads for the GPU, CUDA 11.2 and cuDNN 8.1:');
    for (const l of libs) details.push(`  ${l.file.padEnd(20)} ${l.path ? `found at ${l.path}` : `missing (${l.from})`}`);
    const others = otherCudaRuntimes(undefined, cache);
    if (others.length) details.push(`other CUDA runtimes here: ${others.join(', ')} (libtensorflow 2.9.1 cannot use them)`);
    if (installed && missing.length) summary += ` — on the CPU only: ${missing.map((l) => l.file).join(', ')} missing, so it registers no GPU`;
  }
  return { backend: 'tensorflow', available: installed !== undefined, autoWouldUse: installed !== undefined, summary, details };
}

export async function checkWebgpu(): Promise<BackendFinding> {
  const details: string[] = [];
  const version = packageVersion('webgpu');
  details.push(`webgpu (Dawn for Node): ${version ? `installed (${version})` : 'not installed'}`);
  details.push(`@tensorflow/tfjs-backend-webgpu: ${packageVersion('@tensorflow/tfjs-backend-webgpu') ?? 'not installed'}`);
  if (process.platform === 'linux') {
    details.push(`Vulkan loader: ${findLibrary('libvulkan.so.1') ?? 'missing (libvulkan.so.1; Debian/Ubuntu: apt-get install libvulkan1)'}`);
    const drivers = vulkanDrivers();
    details.push(
      drivers.length
        ? 'Vulkan drivers (ICD manifests):'
        : 'Vulkan drivers: none found (Mesa: mesa-vulkan-drivers; NVIDIA: its driver installs nvidia_icd.json)',
    );
    for (const d of drivers) details.push(`  ${d.manifest} -> ${d.library}`);
    details.push(`XDG_RUNTIME_DIR: ${process.env.XDG_RUNTIME_DIR ?? "unset (Mesa's drivers warn without it; set it to a private directory)"}`);
  }
  const probeDetail: { stderr?: string } = {};
  const probe = await probeWebgpu(probeDetail);
  if (probeDetail.stderr) for (const line of probeDetail.stderr.split('\n')) details.push(`Dawn said: ${line}`);
  if (!probe.ok) return { backend: 'webgpu', available: false, autoWouldUse: false, summary: probe.reason, details };
  const { name, software } = probe.adapter;
  details.push(`adapter: ${name} (${software ? 'software' : 'hardware'})`);
  const summary = software
    ? `works, but its adapter is ${name}: ${software}; auto passes it over for wasm (\`--backend webgpu\` still uses it)`
    : `WebGPU on ${name} (hardware)`;
  return { backend: 'webgpu', available: true, autoWouldUse: !software, summary, details };
}

export async function checkWasm(): Promise<BackendFinding> {
  const version = packageVersion('@tensorflow/tfjs-backend-wasm');
  const details = [`@tensorflow/tfjs-backend-wasm: ${version ? `installed (${version})` : 'not installed'}`];
  // The smallest module with one SIMD instruction (i32x4.splat): what WASM_HAS_SIMD_SUPPORT checks.
  const simd = WebAssembly.validate(
    new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]),
  );
  details.push(`SIMD: ${simd ? 'yes' : 'no (this Node cannot run the SIMD kernels; use Node 20 or newer)'}`);
  let threads: number;
  try {
    const requested = requestedWasmThreads();
    threads = requested.threads;
    details.push(`threads: ${threads} (${requested.fromEnv ? 'NASCENT_WASM_THREADS' : 'one per core'}; NASCENT_WASM_THREADS=N sets it)`);
  } catch (err) {
    return { backend: 'wasm', available: false, autoWouldUse: false, summary: (err as Error).message, details };
  }
  if (!version) return { backend: 'wasm', available: false, autoWouldUse: false, summary: 'not installed: run `npm install`', details };
  return {
    backend: 'wasm',
    available: true,
    autoWouldUse: true,
    summary: `WebAssembly${simd ? ' SIMD' : ''} with nascent's training kernels, ${threads} thread${threads === 1 ? '' : 's'}`,
    details,
  };
}

export function checkCpu(): BackendFinding {
  return { backend: 'cpu', available: true, autoWouldUse: false, summary: 'plain JavaScript, always there (slow: for reference results)', details: [] };
}

/** Every backend in auto's order, and auto's pick. */
export async function diagnoseBackends(): Promise<DoctorReport> {
  const backends = [checkTensorflow(), await checkWebgpu(), await checkWasm(), checkCpu()];
  const auto = backends.find((b) => b.available && b.autoWouldUse)?.backend ?? 'cpu';
  return { backends, auto, node: process.version, cores: availableParallelism() };
}
