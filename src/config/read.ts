// Reading a recorded config (a run's config.json, best-cells.json's `settings`) of any version for
// what it says, where a damaged or foreign one should not stop the reader: the report, `nascent
// train --cells`, `nascent runs`.
import { resolveSearchConfig } from './resolve.js';
import type { SearchConfig } from './schema.js';
import { upgradeConfig } from './upgrade.js';

/** `raw` as a current SearchConfig, or undefined when it is none (any version is upgraded first). */
export function searchConfigOf(raw: unknown): SearchConfig | undefined {
  try {
    return resolveSearchConfig(upgradeConfig(raw), { seed: () => 0 });
  } catch {
    return undefined;
  }
}
