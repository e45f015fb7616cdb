// WebGPU through Dawn (the `webgpu` package): finding an adapter, telling a real GPU from a
// software rasterizer, and installing what tfjs-backend-webgpu expects of a browser.
//
// tfjs-backend-webgpu reads `navigator.gpu` when it loads and uses the WebGPU enum objects
// (GPUBufferUsage, GPUMapMode, GPUTextureUsage, GPUShaderStage, ...) as globals, as a browser
// defines them. Under Node nobody does; Dawn's package exports them as `globals`, and they must be
// on globalThis before the first buffer is made, or the first batch fails with "GPUBufferUsage is
// not defined".
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importOptional } from './optional-import.js';

// The few WebGPU shapes we touch, so the project needs no WebGPU type package.
export interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
export interface GpuAdapterLike {
  info?: GpuAdapterInfoLike;
  /** Older Dawn builds and the spec before 2024 put the flag on the adapter itself. */
  isFallbackAdapter?: boolean;
}
export interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapterLike | null>;
}
interface DawnModule {
  create?: (flags: string[]) => GpuLike;
  globals?: Record<string, unknown>;
}

/** What Dawn offered, named and classified. */
export interface AdapterReport {
  /** vendor, architecture and description joined, for a log line. */
  name: string;
  /** Why this adapter is no real GPU (a CPU rasterizer or a flagged fallback); absent for hardware. */
  software?: string;
}

export type WebgpuProbe = { ok: true; adapter: AdapterReport } | { ok: false; reason: string };

// Mesa's llvmpipe (GL) and lavapipe (Vulkan, which names its device "llvmpipe"), Google's
// SwiftShader, Mesa's softpipe, Microsoft's WARP ("Basic Render Driver"): rasterizers on the CPU.
const SOFTWARE_NAMES = /llvmpipe|lavapipe|swiftshader|softpipe|basic render driver|\bwarp\b/i;

/** Why the adapter is a software one, or undefined for a hardware GPU. */
export function softwareAdapterReason(adapter: GpuAdapterLike): string | undefined {
  const info = adapter.info ?? {};
  const text = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
  const named = SOFTWARE_NAMES.exec(text)?.[0];
  if (named) return `${named} is a software rasterizer that runs on the CPU`;
  if (info.isFallbackAdapter || adapter.isFallbackAdapter) return 'the adapter is flagged as a fallback (software) adapter';
  if (/^software$/i.test(info.architecture ?? '')) return 'the adapter reports a software architecture';
  return undefined;
}

export function adapterName(adapter: GpuAdapterLike): string {
  const info = adapter.info ?? {};
  return [info.vendor, info.architecture, info.description || info.device].filter(Boolean).join(' ') || 'unnamed adapter';
}

/** Directories searched for shared libraries: LD_LIBRARY_PATH first, then the usual ones. */
export function libraryDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const extra = (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
  return [
    ...extra,
    `/usr/lib/${arch}-linux-gnu`,
    `/lib/${arch}-linux-gnu`,
    '/usr/lib64',
    '/usr/lib',
    '/usr/local/lib',
    '/usr/local/nvidia/lib64',
    '/usr/local/cuda/lib64',
  ];
}

/** The first directory holding `file`, or undefined. */
export function findLibrary(file: string, dirs = libraryDirs()): string | undefined {
  for (const d of dirs) if (existsSync(join(d, file))) return join(d, file);
  return undefined;
}

/** Vulkan drivers (ICD manifests) the loader would find, with the library each names. */
export function vulkanDrivers(env: NodeJS.ProcessEnv = process.env): Array<{ manifest: string; library: string }> {
  const explicit = (env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES ?? '').split(':').filter(Boolean);
  const manifests: string[] = [...explicit];
  if (explicit.length === 0) {
    const dirs = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/local/nvidia/share/vulkan/icd.d'];
    for (const d of dirs) {
      try {
        for (const f of readdirSync(d)) if (f.endsWith('.json')) manifests.push(join(d, f));
      } catch {
        // a missing directory holds no drivers
      }
    }
  }
  return manifests.map((manifest) => {
    try {
      const json = JSON.parse(readFileSync(manifest, 'utf8')) as { ICD?: { library_path?: string } };
      return { manifest, library: json.ICD?.library_path ?? '(no library_path)' };
    } catch (err) {
      return { manifest, library: `(unreadable: ${(err as Error).message})` };
    }
  });
}

const NO_LOADER =
  'no Vulkan loader (libvulkan.so.1) on this machine, so Dawn has no GPU to offer (Debian/Ubuntu: ' +
  "`apt-get install libvulkan1`, plus `mesa-vulkan-drivers` for AMD/Intel GPUs; NVIDIA's driver ships its own Vulkan driver)";

const NOT_INSTALLED = 'the `webgpu` package (Dawn for Node) is not installed: `npm install webgpu`';
const NO_ADAPTER =
  'Dawn found no adapter: no Vulkan driver for a GPU (`vulkaninfo --summary` from vulkan-tools shows what Vulkan sees; ' +
  'Mesa 22 and older lack a feature Dawn requires, so take mesa-vulkan-drivers from bookworm-backports on Debian 12)';

// Run in a child process: Dawn prints native warnings to stderr while it opens an adapter (Mesa's
// "maxDynamic...BuffersPerPipelineLayout artificially reduced"), and a broken driver can crash
// the process that asks. A probe costs ~0.15 s; the answer decides whether to load Dawn here.
const PROBE_SCRIPT = `
const { create } = await import(process.argv[1]);
const a = await create([]).requestAdapter({ powerPreference: 'high-performance' });
const i = a?.info ?? {};
process.stdout.write(JSON.stringify(a ? { info: { vendor: i.vendor, architecture: i.architecture, device: i.device,
  description: i.description, isFallbackAdapter: i.isFallbackAdapter }, isFallbackAdapter: a.isFallbackAdapter } : null));
process.exit(0);`;

export interface WebgpuProbeDetail {
  /** Dawn's own messages while opening the adapter. */
  stderr?: string;
}

/** Asks Dawn for its preferred adapter, in a child process, without loading tfjs's webgpu backend. */
export async function probeWebgpu(detail: WebgpuProbeDetail = {}): Promise<WebgpuProbe> {
  // Dawn prints a native warning when it cannot load Vulkan; on Linux, look for the loader first.
  if (process.platform === 'linux' && !findLibrary('libvulkan.so.1')) return { ok: false, reason: NO_LOADER };
  let entry: string;
  try {
    entry = import.meta.resolve('webgpu');
  } catch {
    return { ok: false, reason: NOT_INSTALLED };
  }
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', PROBE_SCRIPT, entry], { encoding: 'utf8', timeout: 30_000 });
  detail.stderr = r.stderr?.trim() || undefined;
  if (r.status !== 0) {
    const why = r.error ? r.error.message : r.signal ? `it was killed by ${r.signal}` : `it exited with ${r.status}`;
    const last = (r.stderr ?? '').trim().split('\n').pop();
    return { ok: false, reason: `asking Dawn for an adapter failed: ${why}${last ? ` (${last})` : ''}` };
  }
  const adapter = JSON.parse(r.stdout || 'null') as GpuAdapterLike | null;
  if (!adapter) return { ok: false, reason: NO_ADAPTER };
  return { ok: true, adapter: { name: adapterName(adapter), software: softwareAdapterReason(adapter) } };
}

/** Opens Dawn in this process (after a probe found an adapter) and installs the browser globals. */
export async function openDawn(): Promise<void> {
  const dawn = await importOptional<DawnModule>('webgpu');
  if (!dawn?.create) throw new Error(NOT_INSTALLED);
  installWebgpuGlobals(dawn.create([]), dawn.globals);
}

/**
 * Puts `navigator.gpu` and the WebGPU enum globals where tfjs-backend-webgpu looks for them.
 * Existing definitions (a browser's, or an earlier call's) are left alone.
 */
export function installWebgpuGlobals(gpu: GpuLike, globals: Record<string, unknown> = {}): void {
  const g = globalThis as Record<string, unknown> & { navigator?: { gpu?: GpuLike } };
  for (const [name, value] of Object.entries(globals)) {
    if (!(name in g)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  else if (!g.navigator.gpu) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
}
