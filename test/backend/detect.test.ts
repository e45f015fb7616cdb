// What the backend chooser and `nascent doctor` conclude from what they find: software adapters
// told from GPUs, the WebGPU globals installed for tfjs, Vulkan drivers read from their manifests,
// and tfjs-node-gpu's CUDA libraries looked for and judged, on made-up machines.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adapterName, installWebgpuGlobals, softwareAdapterReason, vulkanDrivers, type GpuLike } from '../../src/backend/webgpu.js';
import { findTfGpuLibraries, mappedLibraries, otherCudaRuntimes, tensorflowGpuProblem, TF_GPU_LIBRARIES } from '../../src/backend/tensorflow.js';

const work = mkdtempSync(join(tmpdir(), 'nascent-detect-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('softwareAdapterReason', () => {
  it('names CPU rasterizers and flagged fallbacks, and passes real GPUs', () => {
    const lavapipe = {
      info: {
        vendor: 'mesa',
        architecture: 'software',
        device: 'llvmpipe-llvm-15',
        description: 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)',
        isFallbackAdapter: true,
      },
    };
    expect(softwareAdapterReason(lavapipe)).toMatch(/llvmpipe is a software rasterizer/);
    expect(softwareAdapterReason({ info: { vendor: 'google', description: 'SwiftShader Device (Subzero)' } })).toMatch(/SwiftShader is a software rasterizer/);
    expect(softwareAdapterReason({ info: { vendor: 'microsoft', description: 'Microsoft Basic Render Driver' } })).toMatch(/Basic Render Driver/);
    expect(softwareAdapterReason({ info: { vendor: 'x', description: 'some adapter', isFallbackAdapter: true } })).toMatch(/flagged as a fallback/);
    expect(softwareAdapterReason({ isFallbackAdapter: true, info: { vendor: 'x' } })).toMatch(/flagged as a fallback/);
    expect(softwareAdapterReason({ info: { vendor: 'x', architecture: 'software' } })).toMatch(/software architecture/);
    const h200 = { info: { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200', isFallbackAdapter: false } };
    expect(softwareAdapterReason(h200)).toBeUndefined();
    expect(softwareAdapterReason({ info: { vendor: 'amd', architecture: 'rdna-3', description: 'AMD Radeon RX 7900 XTX (RADV NAVI31)' } })).toBeUndefined();
    expect(adapterName(h200)).toBe('nvidia hopper NVIDIA H200');
    expect(adapterName({})).toBe('unnamed adapter');
  });
});

describe('installWebgpuGlobals', () => {
  it("puts navigator.gpu and Dawn's enums on globalThis, leaving existing ones alone", () => {
    const g = globalThis as Record<string, unknown>;
    const gpu: GpuLike = { requestAdapter: async () => null };
    const hadNavigator = 'navigator' in g;
    g.NascentTestExisting = 'mine';
    installWebgpuGlobals(gpu, { NascentTestUsage: { STORAGE: 128 }, NascentTestExisting: 'theirs' });
    expect((g.NascentTestUsage as { STORAGE: number }).STORAGE).toBe(128);
    expect(g.NascentTestExisting).toBe('mine');
    expect((g.navigator as { gpu?: GpuLike }).gpu).toBe(gpu);
    installWebgpuGlobals({ requestAdapter: async () => null }, {});
    expect((g.navigator as { gpu?: GpuLike }).gpu).toBe(gpu); // the first one stays
    delete g.NascentTestUsage;
    delete g.NascentTestExisting;
    if (!hadNavigator) delete g.navigator;
  });
});

describe('vulkanDrivers', () => {
  it('lists the manifests VK_DRIVER_FILES names, with their libraries, and says when one is unreadable', () => {
    const good = join(work, 'nvidia_icd.json');
    writeFileSync(good, JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: 'libGLX_nvidia.so.0', api_version: '1.3.277' } }));
    const bad = join(work, 'broken_icd.json');
    writeFileSync(bad, '{ not json');
    const found = vulkanDrivers({ VK_DRIVER_FILES: `${good}:${bad}` });
    expect(found[0]).toEqual({ manifest: good, library: 'libGLX_nvidia.so.0' });
    expect(found[1]!.library).toMatch(/^\(unreadable: /);
  });
});

describe("tfjs-node-gpu's CUDA libraries", () => {
  const libDir = join(work, 'cuda11');
  mkdirSync(libDir, { recursive: true });
  for (const f of ['libcuda.so.1', 'libcudart.so.11.0', 'libcudnn.so.8']) writeFileSync(join(libDir, f), '');

  it('finds them on LD_LIBRARY_PATH and in the linker cache, and names the missing ones', () => {
    const libs = findTfGpuLibraries([libDir], new Map([['libcublas.so.11', '/opt/cuda/lib64/libcublas.so.11']]));
    expect(libs.map((l) => l.file)).toEqual(TF_GPU_LIBRARIES.map((l) => l.file));
    const at = Object.fromEntries(libs.map((l) => [l.file, l.path]));
    expect(at['libcudart.so.11.0']).toBe(join(libDir, 'libcudart.so.11.0'));
    expect(at['libcublas.so.11']).toBe('/opt/cuda/lib64/libcublas.so.11');
    expect(at['libcufft.so.10']).toBeUndefined();
  });

  it('says a CUDA-12-only machine trains on the CPU, and is quiet when CUDA was loaded', () => {
    const cuda12 = join(work, 'cuda12');
    mkdirSync(cuda12, { recursive: true });
    writeFileSync(join(cuda12, 'libcudart.so.12'), '');
    const none = findTfGpuLibraries([cuda12], new Map());
    const others = otherCudaRuntimes([cuda12], new Map());
    expect(others).toEqual(['libcudart.so.12']);
    const problem = tensorflowGpuProblem(new Set(['libtensorflow.so.2']), none, others);
    expect(problem).toMatch(/registered no GPU: it cannot find .*libcudart\.so\.11\.0.*libcudnn\.so\.8/);
    expect(problem).toMatch(/this machine has libcudart\.so\.12, which libtensorflow 2\.9\.1 cannot use/);
    expect(problem).toMatch(/CUDA 11\.2 and cuDNN 8\.1/);
    expect(tensorflowGpuProblem(new Set(['libcuda.so.1', 'libcudart.so.11.0', 'libcudnn.so.8']), none)).toBeUndefined();
  });

  it('reads the mapped libraries from /proc/self/maps lines', () => {
    const maps = [
      '7f0000000000-7f0000001000 r-xp 00000000 08:01 123 /usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05',
      '7f0000002000-7f0000003000 r--p 00000000 08:01 124 /usr/local/cuda/lib64/libcudart.so.11.0',
      '7f0000004000-7f0000005000 rw-p 00000000 00:00 0 [heap]',
    ].join('\n');
    const mapped = mappedLibraries(maps);
    expect([...mapped]).toEqual(['libcuda.so.535.104.05', 'libcudart.so.11.0']);
    expect(tensorflowGpuProblem(mapped, [])).toBeUndefined();
  });
});
