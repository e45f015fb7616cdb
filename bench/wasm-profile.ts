// Per-kernel timers for a tfjs backend: wraps every registered kernel of `backendName` so each call
// adds its exclusive time (time inside nested kernel calls is charged to the callee). The time is
// process CPU time, which other processes on a shared machine do not inflate (with XNNPACK
// threads or SIMD workers it sums the threads' time); `clock: 'wall'` measures elapsed time
// instead, which shows what multi-threaded kernels gain (and includes other load).

import * as tf from '@tensorflow/tfjs-core';

/** CPU time of this process (all threads) in milliseconds. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export interface KernelStat {
  name: string;
  calls: number;
  ms: number;
}

export class KernelProfiler {
  private readonly stats = new Map<string, KernelStat>();
  private readonly stack: number[] = [];
  private readonly originals: tf.KernelConfig[] = [];
  enabled = false;
  /** Also keep stats per kernel and input shapes (keyed "Name [shape] [shape]"). */
  readonly detailed = new Map<string, KernelStat>();
  detail = false;

  private readonly now: () => number;

  constructor(
    private readonly backendName: string,
    clock: 'cpu' | 'wall' = 'cpu',
  ) {
    this.now = clock === 'wall' ? () => performance.now() : cpuMs;
  }

  install(): void {
    for (const config of tf.getKernelsForBackend(this.backendName)) {
      const inner = config.kernelFunc;
      const stat: KernelStat = { name: config.kernelName, calls: 0, ms: 0 };
      this.stats.set(config.kernelName, stat);
      const wrapped: tf.KernelFunc = (args) => {
        if (!this.enabled) return inner(args);
        const t0 = this.now();
        this.stack.push(0);
        try {
          return inner(args);
        } finally {
          const total = this.now() - t0;
          const children = this.stack.pop()!;
          stat.calls++;
          stat.ms += total - children;
          if (this.detail) {
            const shapes = Object.values(args.inputs as Record<string, tf.TensorInfo>)
              .map((t) => `[${t?.shape}]`)
              .join(' ');
            const key = `${config.kernelName} ${shapes}`;
            let d = this.detailed.get(key);
            if (!d) this.detailed.set(key, (d = { name: key, calls: 0, ms: 0 }));
            d.calls++;
            d.ms += total - children;
          }
          if (this.stack.length > 0) this.stack[this.stack.length - 1]! += total;
        }
      };
      this.originals.push(config);
      tf.unregisterKernel(config.kernelName, this.backendName);
      tf.registerKernel({ ...config, kernelFunc: wrapped });
    }
  }

  uninstall(): void {
    for (const config of this.originals) {
      tf.unregisterKernel(config.kernelName, this.backendName);
      tf.registerKernel(config);
    }
    this.originals.length = 0;
  }

  topDetailed(n: number): KernelStat[] {
    return [...this.detailed.values()].sort((a, b) => b.ms - a.ms).slice(0, n);
  }

  reset(): void {
    this.detailed.clear();
    for (const s of this.stats.values()) {
      s.calls = 0;
      s.ms = 0;
    }
  }

  top(n: number): KernelStat[] {
    return [...this.stats.values()]
      .filter((s) => s.calls > 0)
      .sort((a, b) => b.ms - a.ms)
      .slice(0, n);
  }

  totalMs(): number {
    let t = 0;
    for (const s of this.stats.values()) t += s.ms;
    return t;
  }
}
