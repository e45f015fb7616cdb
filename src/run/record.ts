// The run directory of a search: its config.json (the settings, and the run's own facts under `run`)
// written when the search starts or resumes.
import type { PreparedBackend } from '../backend/index.js';
import type { SearchConfig } from '../config/schema.js';
import { readWsCheckpoint } from '../evaluators/supernet/search.js';
import { RunStore } from '../store/run-store.js';
import type { RunOptions, Target } from './types.js';

/** A Redis URL as config.json keeps it: without its password (a resume is given the URL again). */
export const withoutPassword = (url: string): string =>
  url.replace(/^(rediss?:\/\/)([^@/]*)@/, (_m, scheme: string, auth: string) => `${scheme}${auth.includes(':') ? `${auth.split(':')[0]}:***` : auth}@`);

/** The config as config.json records it: the settings, and the run's facts under `run`. */
export function recordOf(input: SearchConfig, backend: PreparedBackend, facts: Record<string, unknown>, target: Target, options: RunOptions): SearchConfig {
  const config = input.redis === undefined ? input : { ...input, redis: withoutPassword(input.redis) };
  const at = new Date().toISOString();
  const run = config.run ?? {};
  if (target.store) {
    const afterWhat =
      config.evaluator.kind === 'weight-sharing'
        ? { afterStep: readWsCheckpoint(target.store.dir)?.checkpoint.trainSteps ?? 0 }
        : { afterEpisode: target.recovered?.done ?? 0 };
    return {
      ...config,
      run: {
        ...run,
        backendUsed: backend.name,
        data: { ...run.data, ...facts },
        resumes: [...(run.resumes ?? []), { at, ...afterWhat, backendUsed: backend.name }],
      },
    };
  }
  return {
    ...config,
    ...(options.strategy ? { strategy: { ...config.strategy, name: options.strategy.name as SearchConfig['strategy']['name'] } } : {}),
    run: {
      created: at,
      backendUsed: backend.name,
      ...(Object.keys(facts).length > 0 ? { data: facts } : {}),
      ...(options.strategy || options.evaluator || options.dataset ? { library: true } : {}),
    },
  };
}

/** Opens or creates the run directory and writes config.json; the store is the caller's to close. */
export function storeFor(config: SearchConfig, target: Target): RunStore {
  if (target.store) {
    target.store.writeConfig(config as unknown as Record<string, unknown>);
    return target.store;
  }
  return RunStore.create(target.out!, config as unknown as Record<string, unknown>);
}
