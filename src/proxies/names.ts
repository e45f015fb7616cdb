// The zero-cost proxies by name, apart from their code: the search config (src/config/schema.ts)
// lists them without loading tfjs.
export const PROXY_NAMES = ['grad_norm', 'snip', 'grasp', 'fisher', 'jacob_cov', 'naswot', 'synflow', 'params', 'flops'] as const;
export type ProxyName = (typeof PROXY_NAMES)[number];

/**
 * The proxies a spec names: one name, or several joined by '+' (`synflow+jacob_cov+params`), whose
 * scores are combined by their mean rank. Proxies that err in different ways combine best: on
 * NAS-Bench-201 synflow and jacob_cov together rank cells better than either alone.
 */
export function parseProxySpec(spec: string): ProxyName[] {
  const names = spec.split('+').map((s) => s.trim());
  for (const name of names)
    if (!(PROXY_NAMES as readonly string[]).includes(name))
      throw new Error(`unknown zero-cost proxy '${name}' in '${spec}' (known: ${PROXY_NAMES.join(', ')}; combine them with '+')`);
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated) throw new Error(`zero-cost proxy '${repeated}' is named twice in '${spec}'`);
  return names as ProxyName[];
}

/** The spec's error message, or undefined when it is a valid spec. */
export function proxySpecProblem(spec: string): string | undefined {
  try {
    parseProxySpec(spec);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
