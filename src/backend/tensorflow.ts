// libtensorflow through @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node, and the one way it
// fails without a word: tfjs-node-gpu 4.x ships libtensorflow 2.9.1, built against CUDA 11.2 and
// cuDNN 8.1. On a machine with only CUDA 12 (today's drivers and toolkits) it cannot dlopen those
// libraries, logs a line among many, registers no GPU device and trains on the CPU. We look for
// the libraries it will ask for, and after loading for whether the CUDA driver was mapped at all.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { libraryDirs } from './webgpu.js';

export const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/**
 * The shared libraries libtensorflow 2.9.1's GPU build dlopens (tensorflow/tsl's dso_loader:
 * CUDA 11.x sonames, cuDNN 8). libcuda.so.1 is the driver's; the rest come with CUDA 11.2 and cuDNN 8.1.
 */
export const TF_GPU_LIBRARIES = [
  { file: 'libcuda.so.1', from: 'the NVIDIA driver' },
  { file: 'libcudart.so.11.0', from: 'CUDA 11 runtime' },
  { file: 'libcublas.so.11', from: 'CUDA 11 cuBLAS' },
  { file: 'libcublasLt.so.11', from: 'CUDA 11 cuBLAS' },
  { file: 'libcufft.so.10', from: 'CUDA 11 cuFFT' },
  { file: 'libcurand.so.10', from: 'CUDA 11 cuRAND' },
  { file: 'libcusolver.so.11', from: 'CUDA 11 cuSOLVER' },
  { file: 'libcusparse.so.11', from: 'CUDA 11 cuSPARSE' },
  { file: 'libcudnn.so.8', from: 'cuDNN 8' },
] as const;

/** Library file names the dynamic linker's cache knows (`ldconfig -p`), empty where there is none. */
export function linkerCache(): Map<string, string> {
  const names = new Map<string, string>();
  for (const bin of ['/sbin/ldconfig', '/usr/sbin/ldconfig', 'ldconfig']) {
    const r = spawnSync(bin, ['-p'], { encoding: 'utf8', timeout: 5000 });
    if (r.status !== 0 || !r.stdout) continue;
    for (const m of r.stdout.matchAll(/^\s+(\S+) \(.*\) => (\S+)$/gm)) if (!names.has(m[1])) names.set(m[1], m[2]);
    break;
  }
  return names;
}

export interface LibraryCheck {
  file: string;
  from: string;
  /** Where it was found, or undefined. */
  path?: string;
}

/** Where each library tfjs-node-gpu needs was found (LD_LIBRARY_PATH, the usual folders, ldconfig's cache). */
export function findTfGpuLibraries(dirs: string[] = libraryDirs(), cache: Map<string, string> = linkerCache()): LibraryCheck[] {
  return TF_GPU_LIBRARIES.map(({ file, from }) => {
    const dir = dirs.find((d) => existsSync(join(d, file)));
    return { file, from, path: dir ? join(dir, file) : cache.get(file) };
  });
}

/** CUDA libraries of other major versions that are present (say, libcudart.so.12), for the message. */
export function otherCudaRuntimes(dirs: string[] = libraryDirs(), cache: Map<string, string> = linkerCache()): string[] {
  const found = new Set<string>();
  for (const name of cache.keys()) if (/^libcudart\.so\.\d+$/.test(name) && name !== 'libcudart.so.11.0') found.add(name);
  for (const d of dirs) {
    for (const v of ['12', '13']) if (existsSync(join(d, `libcudart.so.${v}`))) found.add(`libcudart.so.${v}`);
  }
  return [...found].sort();
}

/** The shared libraries mapped into this process (from /proc/self/maps), by file name. */
export function mappedLibraries(maps = readMaps()): Set<string> {
  const out = new Set<string>();
  for (const line of maps.split('\n')) {
    const path = line.split(/\s+/)[5];
    if (path?.includes('.so')) out.add(basename(path));
  }
  return out;
}

function readMaps(): string {
  try {
    return readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return '';
  }
}

/**
 * After tfjs-node-gpu has run an op: why it has no GPU, or undefined when the CUDA driver and
 * runtime were loaded. `missing` are the libraries not found on disk.
 */
export function tensorflowGpuProblem(mapped: Set<string>, libs: LibraryCheck[], others: string[] = []): string | undefined {
  const hasDriver = [...mapped].some((n) => n.startsWith('libcuda.so'));
  const hasRuntime = [...mapped].some((n) => n.startsWith('libcudart.so.11'));
  if (hasDriver && hasRuntime) return undefined;
  const missing = libs.filter((l) => !l.path).map((l) => l.file);
  const what = missing.length ? `it cannot find ${missing.join(', ')}` : 'libtensorflow did not load the CUDA driver and runtime';
  const newer = others.length ? ` (this machine has ${others.join(', ')}, which libtensorflow 2.9.1 cannot use)` : '';
  return (
    `@tensorflow/tfjs-node-gpu is loaded but registered no GPU: ${what}${newer}. Its libtensorflow 2.9.1 needs ` +
    'CUDA 11.2 and cuDNN 8.1; without them it trains on the CPU. See docs/concepts/gpu.md, or run `nascent doctor`'
  );
}
