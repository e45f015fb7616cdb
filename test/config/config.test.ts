// SearchConfig: one schema gives the type, the checks (each error names its path), the defaults
// and presets, the JSON Schema file and the CLI's flag tables; every earlier config.json upgrades.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { configFromArgs, searchCommand } from '../../src/cli/search-flags.js';
import { parseArgs } from '../../src/cli/flags.js';
import { configFields } from '../../src/config/fields.js';
import { PRESETS } from '../../src/config/presets.js';
import { recordedConfig } from '../../src/config/read.js';
import { issueText, resolveSearchConfig, SearchConfigError } from '../../src/config/resolve.js';
import { BACKEND_CHOICES as CONFIG_BACKENDS, STRATEGY_NAMES as CONFIG_STRATEGIES, TABLE_COLUMNS } from '../../src/config/schema.js';
import { ConfigVersionError, upgradeConfig } from '../../src/config/upgrade.js';
import { BACKEND_CHOICES } from '../../src/backend/index.js';
import { NB201_DATASETS } from '../../src/data/nats-bench.js';
import { STRATEGY_NAMES } from '../../src/strategies/index.js';
import { cliDocText, SCHEMA_FILE, schemaText } from '../../scripts/generate.js';

const ROOT = resolve(__dirname, '../..');
const issuesOf = (input: unknown): string[] => {
  try {
    resolveSearchConfig(input);
  } catch (err) {
    if (err instanceof SearchConfigError) return err.issues.map((i) => issueText(i));
    throw err;
  }
  throw new Error('no error');
};

describe('SearchConfig', () => {
  it('fills every default of an empty config: the main job, NASNet cells trained on CIFAR-10 with the tuned controller', () => {
    const c = resolveSearchConfig({}, { seed: () => 7 });
    expect(c).toMatchObject({
      format: 'nascent.search-config',
      version: 2,
      seed: 7,
      episodes: 150,
      backend: 'auto',
      problem: { space: 'nasnet', blocks: 5, hierarchical: false, data: { dataset: 'cifar10' } },
      evaluator: { kind: 'child', epochs: 6, batchSize: 128, lr: 1e-3, channels: [4, 16, 16, 256, 256] },
      strategy: {
        name: 'controller',
        preset: 'tuned',
        controller: { ...PRESETS.tuned.controller, units: 32 },
        baseline: { window: 20, initial: 0.1, decay: 0 },
      },
      scheduler: { fidelity: 'full', prune: 'none', retrainDuplicates: false },
      objective: { name: 'accuracy' },
    });
  });

  it('takes the preset that was measured for the kind of search, and a named setting over it', () => {
    expect(resolveSearchConfig({ evaluator: { kind: 'weight-sharing' } }).strategy).toMatchObject({
      preset: 'enas',
      controller: { lr: 3.5e-3, tanhConstant: 1.1 },
    });
    expect(resolveSearchConfig({ strategy: { preset: 'book', controller: { epsilon: 0.2 } } }).strategy.controller).toMatchObject({
      lr: 1e-3,
      epsilon: 0.2,
      temperature: 1,
    });
    expect(resolveSearchConfig({ problem: { space: 'nas-bench-201' } })).toMatchObject({
      evaluator: { kind: 'table' },
      problem: { column: 'cifar10' },
      episodes: 150,
    });
    expect(resolveSearchConfig({ evaluator: { kind: 'child', epochs: 9 }, scheduler: { fidelity: 'hyperband' } }).scheduler).toMatchObject({
      maxEpochs: 9,
      factor: 3,
    });
    expect(resolveSearchConfig({ scheduler: { prune: 'median' } }).scheduler).toMatchObject({ pruneWarmup: 0, pruneStartup: 5 });
    expect(resolveSearchConfig({ objective: { name: 'mnas', targetParams: 1000 } }).objective).toEqual({ name: 'mnas', targetParams: 1000, w: -0.07 });
  });

  it('names the path and what was expected for every bad field, all at once', () => {
    expect(issuesOf({ episodes: -1 })).toEqual(['episodes: expected a number ≥ 1, got -1']);
    expect(issuesOf({ evaluator: { kind: 'child', epochs: 'x', channels: [1, 2] }, strategy: { name: 'tp', extra: 1 } })).toEqual([
      'strategy.name: expected "controller" or "random" or "evolution" or "tpe", got "tp"',
      'strategy.extra: unknown field',
      'evaluator.epochs: expected number, got "x"',
      'evaluator.channels: expected at least 5 values, got [1,2]',
    ]);
    expect(issuesOf({ evaluator: { kind: 'nah' } })).toEqual(['evaluator.kind: unknown kind "nah"']);
    // Rules between fields name the other fields too.
    expect(issuesOf({ problem: { space: 'nas-bench-201' }, evaluator: { kind: 'child' } })).toEqual([
      'evaluator.kind "child" does not apply to nas-bench-201: each architecture\'s accuracy is looked up in the table',
    ]);
    expect(issuesOf({ evaluator: { kind: 'weight-sharing' }, strategy: { name: 'evolution' }, episodes: 3 })).toEqual([
      'strategy.name "evolution" does not learn from weight sharing\'s scores: it works with controller or random',
      'episodes does not apply to weight sharing: evaluator.passes and evaluator.controllerSteps set its length',
    ]);
    expect(issuesOf({ scheduler: { fidelity: 'hyperband', maxEpochs: 2 } })).toEqual([
      'scheduler.maxEpochs 2 is below scheduler.factor 3: hyperband would train every child 2 epochs, as scheduler.fidelity full does; raise scheduler.maxEpochs (e.g. 9)',
    ]);
    expect(issuesOf({ scheduler: { factor: 3 } })).toEqual([
      'scheduler.factor only applies with scheduler.fidelity hyperband or successive-halving, or with scheduler.proxyRung',
    ]);
    expect(issuesOf({ objective: { name: 'mnas' } })).toEqual([
      'objective.name "mnas" needs one target: objective.targetParams N or objective.targetLatencyMs T',
    ]);
    expect(issuesOf({ strategy: { name: 'evolution', evolution: { population: 4, tournament: 5 } } })).toEqual([
      'strategy.evolution.tournament 5 is larger than strategy.evolution.population 4',
    ]);
    expect(issuesOf({ problem: { space: 'nasnet', data: { dataset: 'cifar10', imageSize: 16 } } })).toEqual([
      "problem.data.imageSize applies to folder:DIR data sets; cifar10's images have their own size",
    ]);
  });

  it('shares its vocabulary with the modules that implement it', () => {
    expect([...CONFIG_STRATEGIES]).toEqual([...STRATEGY_NAMES]);
    expect([...CONFIG_BACKENDS]).toEqual([...BACKEND_CHOICES]);
    expect([...TABLE_COLUMNS]).toEqual([...NB201_DATASETS]);
  });

  it('gives every search flag one field, and the CLI the same ranges and defaults', () => {
    const byFlag = new Map(configFields().map((f) => [f.flag, f]));
    for (const spec of searchCommand.flags) {
      const field = byFlag.get(spec.name);
      if (!field) continue; // --out, --resume, --config, ...: not settings
      expect(spec.type, spec.name).toBe(field.kind.type);
      expect(spec.help, spec.name).toBe(field.help);
    }
    // A flag and a config file say the same search.
    const fromFlags = configFromArgs(
      parseArgs(searchCommand, [
        'cifar10',
        '--epochs',
        '2',
        '--strategy',
        'tpe',
        '--startup',
        '3',
        '--seed',
        '5',
        '--fidelity',
        'hyperband',
        '--max-epochs',
        '9',
      ]),
    );
    expect(
      resolveSearchConfig({
        evaluator: { kind: 'child', epochs: 2 },
        strategy: { name: 'tpe', tpe: { startup: 3 } },
        seed: 5,
        scheduler: { fidelity: 'hyperband', maxEpochs: 9 },
      }),
    ).toEqual(fromFlags);
  });

  it('keeps schema/search-config.schema.json and the CLI reference tables equal to the schema (npm run generate)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(schemaText());
    expect(readFileSync(join(ROOT, 'docs/reference/cli.md'), 'utf8')).toBe(cliDocText());
  });

  it('writes a JSON Schema that accepts what it resolves and refuses what it refuses', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')));
    const resolved = resolveSearchConfig({ seed: 1 });
    expect(validate(resolved), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ episodes: 0 })).toBe(false);
    expect(validate({ evaluator: { kind: 'child', epochs: 1, extra: 1 } })).toBe(false);
  });
});

describe('upgrades of earlier config.json', () => {
  const v1 = {
    format: 'nascent.search-config',
    version: 1,
    dataset: 'cifar10',
    episodes: 10,
    epochs: 2,
    batchSize: 32,
    lr: 0.001,
    channels: [2, 4, 4, 8, 8],
    blocks: 5,
    hierarchical: false,
    strategy: 'random',
    seed: 4,
    trainLimit: 100,
    backend: 'wasm',
    dataDir: '/data/cifar',
    synthetic: false,
    backendUsed: 'wasm',
    created: 'then',
    resumes: [{ at: 'later', afterEpisode: 3 }],
  };

  it("a version-1 run from before the presets: the book's controller, its data directory and its run facts", () => {
    const c = resolveSearchConfig(upgradeConfig(v1));
    expect(c).toMatchObject({
      episodes: 10,
      seed: 4,
      backend: 'wasm',
      problem: { space: 'nasnet', data: { dataset: 'cifar10', trainLimit: 100, dir: '/data/cifar' } },
      evaluator: { kind: 'child', epochs: 2, batchSize: 32, channels: [2, 4, 4, 8, 8] },
      strategy: { name: 'random', preset: 'book', controller: PRESETS.book.controller, baseline: { decay: 0 } },
      run: { created: 'then', backendUsed: 'wasm', resumes: [{ at: 'later', afterEpisode: 3 }], data: { dataDir: '/data/cifar', synthetic: false } },
    });
  });

  it('a version-1 run with presets but before decisionBias ran without it', () => {
    const c = resolveSearchConfig(
      upgradeConfig({
        ...v1,
        preset: 'tuned',
        controllerLr: 0.02,
        epsilon: 0.1,
        temperature: 5,
        tanhConstant: 2.5,
        entropyWeight: 0,
        controllerBatch: 1,
        normalizeAdvantages: false,
        baselineDecay: 0,
      }),
    );
    expect(c.strategy).toMatchObject({ preset: 'tuned', controller: { lr: 0.02, decisionBias: false } });
  });

  it('drops what older runs recorded for flags their search ignored: a table run with child settings, a weight-sharing run with episodes', () => {
    const table = resolveSearchConfig(
      upgradeConfig({
        ...v1,
        dataset: 'nas-bench-201',
        tableDataset: 'cifar100',
        table: '/t.csv',
        microBatch: 4,
        retrainDuplicates: false,
        fidelity: 'full',
        prune: 'none',
      }),
    );
    expect(table).toMatchObject({ problem: { space: 'nas-bench-201', column: 'cifar100', table: '/t.csv' }, evaluator: { kind: 'table' }, episodes: 10 });
    const ws = resolveSearchConfig(
      upgradeConfig({
        ...v1,
        strategy: 'controller',
        weightSharing: true,
        wsEpochs: 3,
        controllerSteps: 2,
        wsLr: 0.003,
        finalSamples: 4,
        topCells: 2,
        checkpointEvery: 5,
        microBatch: 64,
        retrainDuplicates: false,
      }),
    );
    expect(ws).not.toHaveProperty('episodes');
    expect(ws.evaluator).toEqual({
      kind: 'weight-sharing',
      batchSize: 32,
      lr: 0.003,
      channels: [2, 4, 4, 8, 8],
      passes: 3,
      controllerSteps: 2,
      finalSamples: 4,
      topCells: 2,
      checkpointEvery: 5,
    });
    const mnas = resolveSearchConfig(
      upgradeConfig({ ...v1, objective: 'mnas', targetParams: 5000, mnasW: -0.1, fidelity: 'hyperband', maxEpochs: 9, factor: 3, prune: 'none' }),
    );
    expect(mnas).toMatchObject({ objective: { name: 'mnas', targetParams: 5000, w: -0.1 }, scheduler: { fidelity: 'hyperband', maxEpochs: 9, factor: 3 } });
  });

  it('refuses what it cannot read, saying why', () => {
    expect(() => upgradeConfig({ format: 'nascent.search-config', version: 9 }, 'x.json')).toThrow(ConfigVersionError);
    expect(() => upgradeConfig({ format: 'nascent.search-config', version: 9 }, 'x.json')).toThrow(
      /x\.json: version 9 of nascent\.search-config is not one this nascent reads/,
    );
    expect(() => upgradeConfig({ format: 'something-else' }, 'x.json')).toThrow(/format "something-else"/);
    expect(() => upgradeConfig([], 'x.json')).toThrow(/expected a JSON object/);
    expect(() => upgradeConfig({ ...v1, dataset: undefined }, 'x.json')).toThrow(/x\.json: no dataset/);
  });

  it("a warm-started search takes the tuned preset's priority queue, one that sets it or uses another preset does not, and a run recorded before the queue resumes without it", () => {
    const warm = (extra: object) => resolveSearchConfig({ seed: 1, strategy: { warmup: { count: 100, proxy: 'synflow' }, ...extra } }).strategy.controller;
    expect(warm({})).toMatchObject({ queue: 10, queueWeight: 0.3, fresh: true, lr: 0.02 });
    expect(resolveSearchConfig({ seed: 1 }).strategy.controller).toMatchObject({ queue: 0, queueWeight: 0, fresh: false });
    expect(warm({ controller: { units: 32, queue: 3, fresh: false } })).toMatchObject({ queue: 3, queueWeight: 0.3, fresh: false });
    expect(warm({ preset: 'book' })).toMatchObject({ queue: 0, fresh: false, lr: 1e-3 });
    const recorded = JSON.parse(JSON.stringify(resolveSearchConfig({ seed: 1, strategy: { warmup: { count: 100, proxy: 'synflow' } } })));
    expect(recordedConfig(recorded).strategy.controller).toMatchObject({ queue: 10, fresh: true });
    for (const key of ['queue', 'queueWeight', 'fresh']) delete recorded.strategy.controller[key];
    expect(recordedConfig(recorded).strategy.controller).toMatchObject({ queue: 0, queueWeight: 0, fresh: false });
  });
});
