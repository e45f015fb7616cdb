// The zero-cost proxies by name, apart from their code: the search config (src/config/schema.ts)
// lists them without loading tfjs.
export const PROXY_NAMES = ['grad_norm', 'snip', 'grasp', 'fisher', 'jacob_cov', 'naswot', 'synflow', 'params', 'flops'] as const;
export type ProxyName = (typeof PROXY_NAMES)[number];
