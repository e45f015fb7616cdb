// Zero-cost proxies (Abdelfattah et al. 2021, "Zero-Cost Proxies for Lightweight NAS"): score an
// untrained network from one minibatch. Every proxy here is higher-is-better.
import { fisher } from './fisher.js';
import { gradNorm } from './grad-norm.js';
import { grasp } from './grasp.js';
import { jacobCov } from './jacob-cov.js';
import { naswot } from './naswot.js';
import { flops, params } from './size.js';
import { snip } from './snip.js';
import { synflow } from './synflow.js';
import { PROXY_NAMES, type ProxyName } from './names.js';
import type { ZeroCostProxy } from './types.js';

export { PROXY_NAMES, type ProxyName };

const PROXIES: Record<ProxyName, ZeroCostProxy> = {
  grad_norm: gradNorm,
  snip,
  grasp,
  fisher,
  jacob_cov: jacobCov,
  naswot,
  synflow,
  params,
  flops,
};

export function proxyByName(name: string): ZeroCostProxy {
  if (!(PROXY_NAMES as readonly string[]).includes(name)) throw new Error(`unknown zero-cost proxy '${name}' (known: ${PROXY_NAMES.join(', ')})`);
  return PROXIES[name as ProxyName];
}

export { kendallTau, rankAverage, ranks, spearman, voteScore } from './combine.js';
export { execute } from './executor.js';
export { childProxyNetwork, nb201ProxyNetwork } from './networks.js';
export { graspWithStep } from './grasp.js';
export { jacobCovScore } from './jacob-cov.js';
export { countMacs, countParams } from './size.js';
export { synflowLog } from './synflow.js';
export { type ProxyBatch, ProxyFailure, type ProxyNetwork, type ZeroCostProxy } from './types.js';
export { parseProxySpec, proxySpecProblem } from './names.js';
export { combinedScores, ProxyScorer, type ProxyScores, type ScoredNetwork, standing } from './scorer.js';
