// Every earlier shape of config.json, brought to the current SearchConfig: the one place that knows
// the history of the format. A run of any version resumes through it, and `--config` reads an old
// run's config.json through it too. test/fixtures/runs/ holds a run of each earlier shape.
//
// Version 1 (2026-11 to 2026-12) was flat: every `nascent search` flag under its camel-cased name,
// beside what the run loaded. Its history within version 1:
//   - before the strategy presets (no `preset` key) runs used the book's controller settings;
//   - `decisionBias` came later, with runs before it using none;
//   - weight-sharing runs before 2026-12 recorded the defaults of flags they ignore (episodes,
//     epochs, microBatch, retrainDuplicates), and every run before 2026-12-03 those of the flags its
//     problem does not use (epochs of a table search, table of a trained one): dropped here;
//   - `dataDir` holds where the data was loaded from, which a resume reads it from again.
import { PRESETS } from './presets.js';
import { SEARCH_CONFIG_FORMAT, SEARCH_CONFIG_VERSION } from './schema.js';

type Json = Record<string, unknown>;

const pick = (from: Json, keys: readonly string[]): Json => Object.fromEntries(keys.filter((k) => from[k] !== undefined).map((k) => [k, from[k]]));
const renamed = (from: Json, names: Record<string, string>): Json =>
  Object.fromEntries(
    Object.entries(names)
      .filter(([old]) => from[old] !== undefined)
      .map(([old, now]) => [now, from[old]]),
  );

/** What a version-1 config recorded about the run rather than its settings. */
const V1_RUN_KEYS = ['created', 'backendUsed', 'library', 'resumes'];
/** What a version-1 config recorded about the data it loaded. */
const V1_DATA_KEYS = ['dataDir', 'synthetic', 'systemPackage', 'cacheFile', 'arrays', 'imageShape', 'classes', 'trainImages', 'valImages', 'tableOptimum'];

function upgradeV1(v1: Json, source: string): Json {
  // Every version-1 run recorded what it searched; a config without it was damaged after it was written.
  if (typeof v1.dataset !== 'string') throw new ConfigVersionError(`${source}: no dataset (a version-1 config records the data set or table it searched)`);
  const table = v1.dataset === 'nas-bench-201';
  const ws = v1.weightSharing === true;
  // The controller settings under their version-1 names, as the book's preset gives them: a run
  // from before the presets ran these; one from before decisionBias ran without it.
  const book = PRESETS.book;
  const bookV1: Json = {
    controllerLr: book.controller.lr,
    epsilon: book.controller.epsilon,
    temperature: book.controller.temperature,
    tanhConstant: book.controller.tanhConstant,
    entropyWeight: book.controller.entropyWeight,
    controllerBatch: book.controller.batch,
    normalizeAdvantages: book.controller.normalizeAdvantages,
    decisionBias: book.controller.decisionBias,
    baselineDecay: book.baselineDecay,
  };
  const before: Json = v1.preset === undefined ? bookV1 : { decisionBias: false };
  const recorded = (key: string) => (v1[key] !== undefined ? v1[key] : before[key]);
  const controllerKeys: Record<string, string> = {
    controllerLr: 'lr',
    epsilon: 'epsilon',
    temperature: 'temperature',
    tanhConstant: 'tanhConstant',
    entropyWeight: 'entropyWeight',
    controllerBatch: 'batch',
    normalizeAdvantages: 'normalizeAdvantages',
    decisionBias: 'decisionBias',
  };
  const controller: Json = { ...pick(v1, ['units']) };
  for (const [old, now] of Object.entries(controllerKeys)) if (recorded(old) !== undefined) controller[now] = recorded(old);
  const strategy: Json = {
    ...pick(v1, ['preset']),
    ...(v1.strategy !== undefined ? { name: v1.strategy } : {}),
    controller,
    baseline: {
      ...renamed(v1, { window: 'window', baseline: 'initial' }),
      ...(recorded('baselineDecay') !== undefined ? { decay: recorded('baselineDecay') } : {}),
    },
    evolution: pick(v1, ['population', 'tournament']),
    tpe: pick(v1, ['startup', 'candidates']),
  };
  if (v1.preset === undefined) strategy.preset = 'book';

  const problem: Json = table
    ? { space: 'nas-bench-201', ...renamed(v1, { tableDataset: 'column' }) }
    : {
        space: 'nasnet',
        ...pick(v1, ['blocks', 'hierarchical']),
        data: {
          dataset: v1.dataset,
          ...pick(v1, ['trainLimit', 'valLimit', 'valFraction']),
          // Only a folder takes an image size; older runs recorded the folder loader's own.
          ...(String(v1.dataset ?? '').startsWith('folder:') ? pick(v1, ['imageSize']) : {}),
        },
      };
  // The table's file: recorded as `table` by both the setting and the loaded data; a resume reads it again.
  if (table && typeof v1.table === 'string') problem.table = v1.table;

  const evaluator: Json = table
    ? { kind: 'table' }
    : ws
      ? {
          kind: 'weight-sharing',
          ...pick(v1, ['batchSize', 'channels', 'controllerSteps', 'finalSamples', 'finalScreen', 'topCells', 'checkpointEvery']),
          ...(v1.wsLr !== undefined ? { lr: v1.wsLr } : v1.lr !== undefined ? { lr: v1.lr } : {}),
          ...renamed(v1, { wsEpochs: 'passes' }),
        }
      : { kind: 'child', ...pick(v1, ['epochs', 'batchSize', 'lr', 'channels', 'microBatch']) };

  const scheduler: Json = table || ws ? {} : pick(v1, ['fidelity', 'maxEpochs', 'factor', 'prune', 'pruneWarmup', 'pruneStartup', 'retrainDuplicates']);
  const objective: Json = v1.objective === 'mnas' ? { name: 'mnas', ...pick(v1, ['targetParams', 'targetLatencyMs']), ...renamed(v1, { mnasW: 'w' }) } : {};

  const data = pick(v1, V1_DATA_KEYS);
  if (table && typeof v1.table === 'string') data.table = v1.table;
  // v1 kept where the data was loaded from in dataDir; the setting (--data-dir) and the fact were one key.
  if (!table && typeof v1.dataDir === 'string') (problem.data as Json).dir = v1.dataDir;
  return {
    format: SEARCH_CONFIG_FORMAT,
    version: SEARCH_CONFIG_VERSION,
    problem,
    strategy,
    scheduler,
    objective,
    evaluator,
    ...(ws ? {} : pick(v1, ['episodes'])),
    ...pick(v1, ['seed', 'backend']),
    run: { ...pick(v1, V1_RUN_KEYS), ...(Object.keys(data).length > 0 ? { data } : {}) },
  };
}

/** Thrown for a document that is no nascent search config, or one of a version this nascent does not know. */
export class ConfigVersionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigVersionError';
  }
}

/**
 * `raw` (a parsed config.json of any version, or a config written by hand) in the current
 * version's shape; not yet validated (resolveSearchConfig does that). A document without `format`
 * and `version` is taken as written for the current version.
 */
export function upgradeConfig(raw: unknown, source = 'config'): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigVersionError(`${source}: expected a JSON object`);
  const doc = raw as Json;
  if (doc.format !== undefined && doc.format !== SEARCH_CONFIG_FORMAT)
    throw new ConfigVersionError(`${source}: format ${JSON.stringify(doc.format)} is not ${SEARCH_CONFIG_FORMAT}`);
  const version = doc.version ?? (doc.format === undefined ? SEARCH_CONFIG_VERSION : undefined);
  if (version === 1) return upgradeV1(doc, source);
  if (version === SEARCH_CONFIG_VERSION) return doc;
  throw new ConfigVersionError(
    `${source}: version ${JSON.stringify(version)} of ${SEARCH_CONFIG_FORMAT} is not one this nascent reads (1 to ${SEARCH_CONFIG_VERSION}); a newer nascent wrote it?`,
  );
}
