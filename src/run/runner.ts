// The one runner behind every search: `search(config)` starts one from a SearchConfig, `resume(dir)`
// continues one from the config.json it wrote. The CLI, the library and (later) workers and
// browser tabs call these; none of them wires spaces, strategies, evaluators or stores itself.
//
// The kinds of search differ only in their evaluator: trained children and table lookups go
// through the episode loop (episodes.ts), weight sharing through its own loop over a shared network
// (weight-sharing.ts). Both write the same run directory.
import { join, resolve } from 'node:path';
import { describeBackend, prepareBackend, type PreparedBackend } from '../backend/index.js';
import { resolveSearchConfig, settingsOnly } from '../config/resolve.js';
import type { SearchConfig, SearchConfigInput } from '../config/schema.js';
import { recordedConfig } from '../config/read.js';
import { readWsCheckpoint, WS_FILES } from '../evaluators/supernet/search.js';
import { recoverRun, type RecoveredRun } from '../search/resume.js';
import { RunStore, RunStoreError } from '../store/run-store.js';
import { runEpisodes } from './episodes.js';
import { objectiveOf } from './parts.js';
import type { ResumeOverrides, RunOptions, SearchResult, Target } from './types.js';
import { runWeightSharingSearch } from './weight-sharing.js';

export type { ResumeOverrides, RunEvent, RunInfoEvent, RunOptions, SearchResult } from './types.js';

const timestamp = (d = new Date()) =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
    .replace('T', '-');

/** Starts the search `config` describes in `out` (default runs/<timestamp>). */
export async function search(input: SearchConfigInput | SearchConfig, options: RunOptions & { out?: string } = {}): Promise<SearchResult> {
  const config = settingsOnly(resolveSearchConfig(input, { source: 'search config' }));
  const out = resolve(options.out ?? join('runs', timestamp()));
  // Refused before anything slow: a directory that already holds a run.
  RunStore.assertFree(out);
  const backend = await prepareBackend(config.backend);
  for (const line of describeBackend(backend)) options.log?.(line);
  return run(config, backend, options, { out });
}

/** The config.json of the run in `dir`, in the current version's shape. */
export function readRunConfig(store: RunStore): SearchConfig {
  return recordedConfigOf(store.readConfig(), store.path('config'));
}

/** A run's recorded config (config.json of any version) as a current SearchConfig; a RunStoreError names what is wrong. */
export function recordedConfigOf(raw: unknown, path: string): SearchConfig {
  try {
    return recordedConfig(raw, path);
  } catch (err) {
    throw new RunStoreError((err as Error).message);
  }
}

/** Continues the run in `dir` with its own settings; `overrides` change only where and how far it runs. */
export async function resume(dir: string, options: RunOptions & ResumeOverrides = {}): Promise<SearchResult> {
  const store = RunStore.open(resolve(dir));
  try {
    const recorded = readRunConfig(store);
    const config = applyOverrides(recorded, options);
    const log = options.log ?? (() => {});
    if (store.stalePid !== undefined) log(`taking over the lock of process ${store.stalePid}, which ended without releasing it`);
    const prepared = config.evaluator.kind === 'weight-sharing' ? prepareWsResume(store, config, log) : prepareEpisodeResume(store, config, log);
    if (prepared.finished) {
      return {
        dir: store.dir,
        config,
        backend: '',
        stopped: false,
        alreadyFinished: true,
        trials: prepared.recovered?.trials ?? [],
        episodesDone: prepared.recovered?.done ?? 0,
        best: prepared.recovered?.best,
      };
    }
    const backend = await prepareBackend(config.backend);
    for (const line of describeBackend(backend)) log(line);
    return await run(config, backend, options, { store, recovered: prepared.recovered });
  } finally {
    store.close();
  }
}

/** A resumed run's config with what a resume may change applied. */
export function applyOverrides(c: SearchConfig, o: ResumeOverrides): SearchConfig {
  const out = structuredClone(c);
  if (o.episodes !== undefined) {
    if (out.evaluator.kind === 'weight-sharing')
      throw new RunStoreError('episodes do not apply to a weight-sharing run: its passes and controller steps set its length');
    out.episodes = o.episodes;
  }
  if (o.backend !== undefined) out.backend = o.backend;
  if (o.dataDir !== undefined && out.problem.space === 'nasnet') out.problem.data.dir = resolve(o.dataDir);
  if (o.table !== undefined && out.problem.space === 'nas-bench-201') out.problem.table = resolve(o.table);
  if (o.microBatch !== undefined && out.evaluator.kind === 'child') out.evaluator.microBatch = o.microBatch;
  if (o.parallel !== undefined) out.parallel = o.parallel;
  if (o.redis !== undefined) out.redis = o.redis;
  // How the children are trained may change on resume, within the rules between fields (a table run has no children).
  return o.parallel !== undefined || o.redis !== undefined ? resolveSearchConfig(out, { source: 'resumed config' }) : out;
}

function prepareEpisodeResume(store: RunStore, config: SearchConfig, log: (line: string) => void): { finished: boolean; recovered: RecoveredRun } {
  const recovered = recoverRun(store, objectiveOf(config).cost);
  for (const repair of recovered.repairs) log(`repaired: ${repair}`);
  const episodes = config.episodes!;
  if (episodes < recovered.done) throw new RunStoreError(`episodes ${episodes} is fewer than the ${recovered.done} episodes the run has finished`);
  if (recovered.done >= episodes) {
    log(`the run has already finished its ${recovered.done} episodes; pass --episodes N (N > ${recovered.done}) to go on.`);
    return { finished: true, recovered };
  }
  return { finished: false, recovered };
}

function prepareWsResume(store: RunStore, config: SearchConfig, log: (line: string) => void): { finished: boolean; recovered?: undefined } {
  const removed = store.removeTemporaryFiles();
  if (removed > 0) log(`repaired: removed ${removed} temporary file${removed === 1 ? '' : 's'} of an interrupted write`);
  const saved = readWsCheckpoint(store.dir);
  if (saved?.checkpoint.phase === 'done') {
    const e = config.evaluator as Extract<SearchConfig['evaluator'], { kind: 'weight-sharing' }>;
    log(
      `the run has already finished its weight-sharing search (${e.passes} passes, ${e.finalSamples} final samples); its best cells: ${join(store.dir, WS_FILES.best)}`,
    );
    return { finished: true };
  }
  return { finished: false };
}

function run(config: SearchConfig, backend: PreparedBackend, options: RunOptions, target: Target): Promise<SearchResult> {
  return config.evaluator.kind === 'weight-sharing' ? runWeightSharingSearch(config, backend, options, target) : runEpisodes(config, backend, options, target);
}
