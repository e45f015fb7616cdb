// Reading a recorded config (a run's config.json, best-cells.json's `settings`) of any version: the
// upgrade to the current shape, then the checks, with the seed it recorded (a recorded config
// always has one; 0 stands in only for a damaged one, which the checks then name).
import { resolveSearchConfig } from './resolve.js';
import type { SearchConfig } from './schema.js';
import { upgradeConfig } from './upgrade.js';

/** `raw`, a config of any version, as the current SearchConfig; throws naming `source` and each bad field. */
export function recordedConfig(raw: unknown, source = 'config'): SearchConfig {
  return resolveSearchConfig(withoutQueue(upgradeConfig(raw, source)), { source, seed: () => 0 });
}

/**
 * A run recorded before the controller's priority queue existed ran without it: its recorded
 * controller settings (every one filled in when it started) lack `queue`, which the preset would
 * now fill for a warm-started search.
 */
function withoutQueue(config: unknown): unknown {
  const c = config as { strategy?: { controller?: Record<string, unknown> } };
  const controller = c?.strategy?.controller;
  if (!controller || typeof controller !== 'object' || !('lr' in controller) || 'queue' in controller) return config;
  return { ...c, strategy: { ...c.strategy, controller: { ...controller, queue: 0, queueWeight: 0, fresh: false } } };
}

/** The same, or undefined when `raw` is none, for readers a damaged config should not stop (the report, `nascent runs`). */
export function searchConfigOf(raw: unknown): SearchConfig | undefined {
  try {
    return recordedConfig(raw);
  } catch {
    return undefined;
  }
}
