// `nascent search cifar10`: the main job. It wires the pieces together and nothing more: data,
// backend, evaluator (ChildManager), strategy, baseline and store, then hands them to runSearch.
import { join, resolve } from 'node:path';
import { prepareBackend, describeBackend, BACKEND_CHOICES, type BackendChoice } from '../../backend/index.js';
import { formatCells } from '../../cells/format.js';
import { defaultMicroBatch } from '../../child/final-train.js';
import { ChildManager } from '../../child/manager.js';
import { MovingBaseline } from '../../controller/baseline.js';
import { isSyntheticCifar10, loadCifar10 } from '../../data/cifar10.js';
import { ControllerStrategy } from '../../search/controller-strategy.js';
import { runSearch } from '../../search/loop.js';
import { RandomStrategy } from '../../search/random-strategy.js';
import { nasnetSpace } from '../../cells/space.js';
import type { SearchSpace } from '../../spaces/types.js';
import type { Strategy } from '../../search/types.js';
import { RunStore, RunStoreError } from '../../store/run-store.js';
import { recoverRun, type RecoveredRun } from '../../search/resume.js';
import { type CommandSpec, type ParsedArgs, UsageError, parseArgs } from '../flags.js';
import { SearchProgress, formatDuration } from '../progress.js';
import { LiveReport } from '../../report/live-report.js';
import { REPORT_DIR } from '../../report/report.js';
import { DATA_FLAGS, DATA_FLAG_NAMES, dataSourceFromArgs, obtainCifar10, timestamp } from '../data-flags.js';

export const STRATEGIES = ['controller', 'random'] as const;

export const searchCommand: CommandSpec = {
  name: 'search',
  brief: 'search for a normal and a reduction cell on CIFAR-10, or --resume a run',
  summary:
    'Search for a normal and a reduction cell on CIFAR-10. Each episode samples cells, trains the child\n' +
    'network they define, and rewards the strategy with its validation accuracy minus a moving baseline.',
  positionals: [{ name: 'dataset', help: 'the data set to search on: cifar10 (may be left out with --resume)' }],
  flags: [
    { name: 'episodes', type: 'int', default: 150, min: 1, help: 'children to train' },
    { name: 'epochs', type: 'int', default: 6, min: 1, help: 'training epochs per child' },
    { name: 'batch-size', type: 'int', default: 128, min: 1, max: 65536, help: 'child training batch size' },
    { name: 'lr', type: 'number', default: 1e-3, min: 0, exclusiveMin: true, max: 10, help: "child's Adam learning rate" },
    { name: 'controller-lr', type: 'number', default: 1e-3, min: 0, exclusiveMin: true, max: 10, help: "controller's Adam learning rate" },
    { name: 'epsilon', type: 'number', default: 0.5, min: 0, max: 1, help: 'probability of drawing a uniformly random architecture' },
    { name: 'window', type: 'int', default: 20, min: 1, help: 'episodes in the moving-average baseline' },
    { name: 'baseline', type: 'number', default: 0.1, min: 0, max: 1, help: 'baseline accuracy before any child has finished' },
    { name: 'units', type: 'int', default: 32, min: 1, max: 4096, help: "controller LSTM units" },
    { name: 'channels', type: 'int-list', default: [4, 16, 16, 256, 256], length: 5, min: 1, max: 4096, help: 'filters of the stem-side cells, 5 values' },
    { name: 'blocks', type: 'int', default: 5, min: 1, max: 10, help: 'blocks per cell' },
    { name: 'hierarchical', type: 'bool', default: false, help: 'let blocks take earlier blocks of the cell as inputs (NASNet)' },
    { name: 'strategy', type: 'enum', choices: STRATEGIES, default: 'controller', help: 'how architectures are chosen' },
    { name: 'seed', type: 'int', min: 0, max: 2 ** 31 - 1, defaultLabel: 'random, recorded in config.json', help: 'seed of every random choice' },
    { name: 'train-limit', type: 'int', min: 1, max: 40000, defaultLabel: 'all 40000', help: 'training images per child (low fidelity)' },
    { name: 'val-limit', type: 'int', min: 1, max: 10000, defaultLabel: 'all 10000', help: 'validation images per child' },
    { name: 'micro-batch', type: 'int', min: 0, max: 65536, defaultLabel: '64 on wasm, else 0', help: 'train each batch in slices of this size, gradients summed (0: whole batch)' },
    { name: 'backend', type: 'enum', choices: BACKEND_CHOICES, default: 'auto', help: 'tfjs backend' },
    ...DATA_FLAGS,
    { name: 'out', type: 'string', defaultLabel: 'runs/<timestamp>', help: 'run directory to write' },
    { name: 'report', type: 'bool', default: true, help: 'rewrite <run>/report/ (plots, cell diagrams, index.html) after every episode; --no-report to skip' },
    { name: 'resume', type: 'string', help: "continue the run in this directory from its last finished episode, with the run's own settings" },
  ],
  examples: [
    'npm run search:cifar',
    'npm run search:cifar -- --episodes 3 --epochs 1 --train-limit 2000 --val-limit 1000 --channels 8,16,16,32,32',
    'nascent search cifar10 --strategy random --seed 7 --out runs/random-7',
    'nascent search --resume runs/random-7 --episodes 300',
  ],
};

export interface SearchSettings {
  dataset: 'cifar10';
  episodes: number;
  epochs: number;
  batchSize: number;
  lr: number;
  controllerLr: number;
  epsilon: number;
  window: number;
  baseline: number;
  units: number;
  channels: number[];
  blocks: number;
  hierarchical: boolean;
  strategy: (typeof STRATEGIES)[number];
  seed: number;
  trainLimit?: number;
  valLimit?: number;
  backend: BackendChoice;
  dataDir?: string;
  microBatch?: number;
}


export function settingsFromArgs(args: ParsedArgs): SearchSettings {
  const f = args.flags;
  const dataset = args.positionals[0];
  if (dataset === undefined) throw new UsageError('missing <dataset> (cifar10), or --resume DIR to continue a run', searchCommand);
  if (dataset !== 'cifar10') throw new UsageError(`unknown dataset ${JSON.stringify(dataset)}: the only one is cifar10`, searchCommand);
  return {
    dataset,
    episodes: f.episodes as number,
    epochs: f.epochs as number,
    batchSize: f['batch-size'] as number,
    lr: f.lr as number,
    controllerLr: f['controller-lr'] as number,
    epsilon: f.epsilon as number,
    window: f.window as number,
    baseline: f.baseline as number,
    units: f.units as number,
    channels: f.channels as number[],
    blocks: f.blocks as number,
    hierarchical: f.hierarchical as boolean,
    strategy: f.strategy as SearchSettings['strategy'],
    seed: (f.seed as number | undefined) ?? Math.floor(Math.random() * 2 ** 31),
    ...(f['train-limit'] !== undefined ? { trainLimit: f['train-limit'] as number } : {}),
    ...(f['val-limit'] !== undefined ? { valLimit: f['val-limit'] as number } : {}),
    backend: f.backend as BackendChoice,
    ...(f['data-dir'] !== undefined ? { dataDir: dataSourceFromArgs(args, searchCommand).dataDir } : {}),
    ...(f['micro-batch'] !== undefined ? { microBatch: f['micro-batch'] as number } : {}),
  };
}

function makeStrategy(s: SearchSettings, space: SearchSpace): Strategy {
  if (s.strategy === 'random') return new RandomStrategy(space.decisions, s.seed);
  return ControllerStrategy.create(space.decisions, {
    units: s.units,
    learningRate: s.controllerLr,
    epsilon: s.epsilon,
    seed: s.seed,
  });
}

// What a resumed run may change: how far it goes and where and how it computes. Every other setting
// defines the search itself; changing one would make the run two searches under one name.
const RESUMABLE_FLAGS = new Set(['resume', 'episodes', 'backend', 'micro-batch', 'report', ...DATA_FLAG_NAMES]);

const settingKey = (flag: string): string => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const shown = (v: unknown): string => (Array.isArray(v) ? v.join(',') : v === undefined ? '(not set)' : String(v));

/** The settings of a run being resumed (config.json), with the flags a resume may change applied. */
export function resumeSettings(args: ParsedArgs, config: Record<string, unknown>, configPath: string): SearchSettings {
  if (args.given.has('out')) throw new UsageError('--out cannot be used with --resume: a resumed run stays in its own directory', searchCommand);
  // The recorded settings go back through the flag parser, so a damaged or hand-edited config.json
  // is checked as strictly as a command line.
  const argv = [String(config.dataset)];
  for (const spec of searchCommand.flags) {
    const value = config[settingKey(spec.name)];
    if (spec.name === 'resume' || spec.name === 'out' || value === undefined) continue;
    argv.push(`--${spec.name}=${shown(value)}`);
  }
  let recorded: SearchSettings;
  try {
    recorded = settingsFromArgs(parseArgs(searchCommand, argv));
  } catch (err) {
    if (err instanceof UsageError) throw new RunStoreError(`${configPath}: ${err.message.replace(/^unknown dataset "undefined"/, 'no dataset')}`);
    throw err;
  }
  const dataset = args.positionals[0];
  if (dataset !== undefined && dataset !== recorded.dataset) throw new UsageError(`dataset ${dataset} conflicts with the run's ${recorded.dataset}`, searchCommand);
  const conflicts = [...args.given]
    .filter((name) => !RESUMABLE_FLAGS.has(name) && JSON.stringify(args.flags[name]) !== JSON.stringify(config[settingKey(name)]))
    .map((name) => `--${name} ${shown(args.flags[name])} conflicts with the run's ${shown(config[settingKey(name)])}`);
  if (conflicts.length > 0) {
    throw new UsageError(`${conflicts.join('; ')} (${configPath}). A resumed search keeps its settings; only --episodes, --backend, --micro-batch, --report and the --data-* flags may change.`, searchCommand);
  }
  const f = args.flags;
  return {
    ...recorded,
    ...(args.given.has('episodes') ? { episodes: f.episodes as number } : {}),
    ...(args.given.has('backend') ? { backend: f.backend as BackendChoice } : {}),
    ...(args.given.has('data-dir') ? { dataDir: dataSourceFromArgs(args, searchCommand).dataDir } : {}),
    ...(args.given.has('micro-batch') ? { microBatch: f['micro-batch'] as number } : {}),
  };
}

function resumeHint(dir: string): string {
  return `resume with: nascent search --resume ${dir}   (or: npm run search:cifar -- --resume ${dir})`;
}

export async function runSearchCommand(args: ParsedArgs, log: (line: string) => void = console.log): Promise<number> {
  // A resume takes the run's lock before anything slow, so a run in use is refused at once.
  const resumeDir = args.flags.resume as string | undefined;
  let store = resumeDir === undefined ? undefined : RunStore.open(resolve(resumeDir));
  try {
    return await searchWith(args, store, log, (s) => (store = s));
  } finally {
    store?.close();
  }
}

async function searchWith(args: ParsedArgs, opened: RunStore | undefined, log: (line: string) => void, created: (s: RunStore) => void): Promise<number> {
  const recordedConfig = opened?.readConfig();
  const settings = opened ? resumeSettings(args, recordedConfig!, opened.path('config')) : settingsFromArgs(args);
  const out = opened?.dir ?? resolve((args.flags.out as string | undefined) ?? join('runs', timestamp()));

  // A resume repairs the run and checks there is work left before the slow part (backend, data).
  let recovered: RecoveredRun | undefined;
  if (opened) {
    if (opened.stalePid !== undefined) log(`taking over the lock of process ${opened.stalePid}, which ended without releasing it`);
    recovered = recoverRun(opened);
    for (const repair of recovered.repairs) log(`repaired: ${repair}`);
    if (settings.episodes < recovered.done) {
      throw new UsageError(`--episodes ${settings.episodes} is fewer than the ${recovered.done} episodes the run has finished`, searchCommand);
    }
    if (recovered.done >= settings.episodes) {
      log(`the run has already finished its ${recovered.done} episodes; pass --episodes N (N > ${recovered.done}) to go on.`);
      return 0;
    }
  }

  const source = dataSourceFromArgs(args, searchCommand);
  const backend = await prepareBackend(settings.backend);
  for (const line of describeBackend(backend)) log(line);

  const dataDir = await obtainCifar10({ ...source, dataDir: settings.dataDir }, log);
  const data = loadCifar10(dataDir, { trainLimit: settings.trainLimit, valLimit: settings.valLimit, splitSeed: 0 });
  log(`data: ${data.train.count} training and ${data.val.count} validation images (disjoint) from ${dataDir}`);

  const space = nasnetSpace({ blocks: settings.blocks, hierarchical: settings.hierarchical });
  const strategy = makeStrategy(settings, space);
  const baseline = new MovingBaseline({ window: settings.window, initial: settings.baseline });
  let store: RunStore;
  let config: Record<string, unknown>;
  try {
    if (opened && recovered) {
      store = opened;
      if (recovered.checkpoint) {
        await strategy.setState(recovered.checkpoint.strategy);
        baseline.setState(recovered.checkpoint.baseline as Parameters<MovingBaseline['setState']>[0]);
      }
      const resumes = Array.isArray(recordedConfig!.resumes) ? recordedConfig!.resumes : [];
      config = {
        ...recordedConfig,
        episodes: settings.episodes,
        backend: settings.backend,
        dataDir,
        ...(settings.microBatch !== undefined ? { microBatch: settings.microBatch } : {}),
        backendUsed: backend.name,
        resumes: [...resumes, { at: new Date().toISOString(), afterEpisode: recovered.done, backendUsed: backend.name }],
      };
      store.writeConfig(config);
      log(`run: ${store.dir} (resuming after episode ${recovered.done} of ${settings.episodes})`);
    } else {
      config = { format: 'nascent.search-config', version: 1, ...settings, dataDir, synthetic: isSyntheticCifar10(dataDir), backendUsed: backend.name, created: new Date().toISOString() };
      store = RunStore.create(out, config);
      created(store);
      log(`run: ${store.dir}`);
    }
  } catch (err) {
    strategy.dispose();
    throw err;
  }
  const evaluator = new ChildManager({
    data,
    channels: settings.channels,
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    learningRate: settings.lr,
    seed: settings.seed,
    hierarchical: settings.hierarchical,
    microBatch: settings.microBatch ?? defaultMicroBatch(backend.name),
  });
  // The ETA comes from the episodes this process runs; a resumed run's earlier ones are not among them.
  const progress = new SearchProgress({ epochs: settings.epochs, episodes: settings.episodes, done: recovered?.done });
  const report = args.flags.report === false ? undefined : new LiveReport(store.dir, (m) => (progress.clear(), log(m)));
  // First Ctrl-C: finish the episode in progress and its writes. Second Ctrl-C, or SIGTERM (a
  // shutdown, which will not wait for a child to finish): drop that episode now; the run stays
  // consistent at the previous one and a resume trains it again.
  const stop = new AbortController();
  const stopChild = new AbortController();
  const stopNow = () => {
    if (stopChild.signal.aborted) return;
    stop.abort();
    stopChild.abort(new Error('interrupted'));
    log('\nstopping now; the unfinished episode is not recorded.');
  };
  const onSigint = () => {
    progress.clear();
    if (!stop.signal.aborted) {
      stop.abort();
      log('\nstopping after the current episode (Ctrl-C again to stop now)...');
    } else stopNow();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', stopNow);
  const started = Date.now();
  try {
    const result = await runSearch({
      store,
      space,
      strategy,
      evaluator,
      baseline,
      episodes: settings.episodes,
      done: recovered?.done,
      best: recovered?.best,
      backend: backend.name,
      settings: config,
      onEvent: (e) => {
        progress.handle(e);
        if (e.type === 'episode-end') report?.request();
      },
      signal: stop.signal,
      childSignal: stopChild.signal,
    });
    progress.clear();
    await report?.settle();
    const took = formatDuration((Date.now() - started) / 1000);
    if (result.stopped) log(`stopped after ${result.episodesDone} of ${settings.episodes} episodes (${took}); every finished episode is saved.\n${resumeHint(store.dir)}`);
    else if (recovered && recovered.done > 0) log(`finished ${result.episodesDone} episodes (${result.episodesDone - recovered.done} in ${took}, after resuming at ${recovered.done}).`);
    else log(`finished ${result.episodesDone} episodes in ${took}.`);
    if (result.best && result.best.accuracy !== null) {
      log(`best: episode ${result.best.episode}, validation accuracy ${result.best.accuracy.toFixed(4)}, ${result.best.params} parameters`);
      log(formatCells(result.best.cells));
      log(`best cells: ${store.path('best')}`);
    } else log('no child trained successfully.');
    log(`trials: ${store.path('trials')}`);
    if (report) log(`report: ${join(store.dir, REPORT_DIR, 'index.html')}`);
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', stopNow);
    strategy.dispose();
  }
}
