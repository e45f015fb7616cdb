// ProxyNetworks for the project's networks.
import { type BuildOptions, buildChild } from '../evaluators/child/build.js';
import { type Nb201NetworkOptions, nb201Network } from '../spaces/nas-bench-201/network.js';
import type { Nb201Cell } from '../spaces/nas-bench-201/space.js';
import type { CellPair } from '../spaces/nasnet/types.js';
import type { ProxyNetwork } from './types.js';

/**
 * The NASNet child of `cells`, seeded (opts.seed, default 0) so every build has the same weights.
 * buildChild has no switch for batch normalisation, so batchNorm: false builds it with its
 * batch-norm layers, which synflow (the one proxy that asks for none) skips as the reference does.
 */
export function childProxyNetwork(cells: CellPair, opts: BuildOptions): ProxyNetwork {
  const seeded = { ...opts, seed: opts.seed ?? 0 };
  return { build: () => buildChild(cells, seeded) };
}

/** The NAS-Bench-201 network of `cell` (seed default 0), without BatchNorm when asked, as the benchmark's proxy code builds it for synflow. */
export function nb201ProxyNetwork(cell: Nb201Cell | string, opts: Omit<Nb201NetworkOptions, 'batchNorm'> = {}): ProxyNetwork {
  return { build: ({ batchNorm }) => nb201Network(cell, { ...opts, batchNorm }) };
}
