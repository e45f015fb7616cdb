// The flags of `nascent search`, the settings they resolve to (recorded whole in config.json) and
// what a resume may change. The strategy's settings come from a preset (`tuned`, the default;
// `enas`, the default with --weight-sharing; or `book`, the seed chapter's) unless a flag names
// them; see the README for the measurements.
import { BACKEND_CHOICES, type BackendChoice } from '../../backend/index.js';
import { NB201_DATASETS, type Nb201Dataset } from '../../data/nats-bench.js';
import { STRATEGY_NAMES, type StrategyName, type StrategySettings } from '../../strategies/index.js';
import { RunStoreError } from '../../store/run-store.js';
import { type CommandSpec, type FlagSpec, type ParsedArgs, UsageError, parseArgs } from '../flags.js';
import { DATA_FLAGS, DATA_FLAG_NAMES, dataSourceFromArgs } from '../data-flags.js';
import { SCHEDULE_FLAGS, scheduleSettingsFromArgs, type ScheduleSettings } from './schedule-settings.js';
import { OBJECTIVE_FLAGS, objectiveSettingsFromArgs, type ObjectiveSettings } from './objective-settings.js';
import { DATASET_HELP, IMAGE_SIZE_FLAG, datasetNameFromArg, imageSizeFromArgs } from '../dataset-flags.js';
import { WS_FLAGS, WS_UNUSED_FLAGS, wsSettingsFromArgs, type WsSettingsPart } from './ws-settings.js';
import { TABLE_PROBLEMS, checkProblemFlags, unusedFlagsOf } from './problem-flags.js';

/** What can be searched: a data set of the Dataset seam (cifar10, fashion-mnist, mnist, folder:DIR) or a table of TABLE_PROBLEMS. */
export type Problem = string;

/**
 * Strategy settings by preset. `tuned` was chosen by `npm run bench:strategies` (NAS-Bench-201,
 * 50 seeds, and the NASNet-space objective): the book's controller barely moves in 150 updates.
 */
export const PRESETS = {
  tuned: {
    controllerLr: 2e-2,
    epsilon: 0.1,
    temperature: 5,
    tanhConstant: 2.5,
    entropyWeight: 0,
    controllerBatch: 1,
    normalizeAdvantages: false,
    baselineDecay: 0,
    decisionBias: true,
  },
  book: {
    controllerLr: 1e-3,
    epsilon: 0.5,
    temperature: 1,
    tanhConstant: 0,
    entropyWeight: 0,
    controllerBatch: 1,
    normalizeAdvantages: false,
    baselineDecay: 0,
    decisionBias: false,
  },
  // The default with --weight-sharing: ENAS's micro-search controller (Pham et al. 2018: Adam 3.5e-3,
  // tanh constant 1.1, entropy weight 1e-4) on tuned's other settings. `tuned`'s lr 2e-2 was chosen
  // for 150 rewards of trained children; a weight-sharing search feeds it a few dozen one-batch
  // rewards, and bench:weight-sharing (3 search seeds, 3 retrainings each) found its cells retrain
  // better with these: 0.319 / 0.312 / 0.318 against tuned's 0.311 / 0.277 / 0.249.
  enas: {
    controllerLr: 3.5e-3,
    epsilon: 0.1,
    temperature: 5,
    tanhConstant: 1.1,
    entropyWeight: 1e-4,
    controllerBatch: 1,
    normalizeAdvantages: false,
    baselineDecay: 0,
    decisionBias: true,
  },
} as const;
export type PresetName = keyof typeof PRESETS;
type PresetSettings = { -readonly [K in keyof (typeof PRESETS)['tuned']]: (typeof PRESETS)['tuned'][K] extends boolean ? boolean : number };

const presetLabel = (key: keyof PresetSettings) => `${PRESETS.tuned[key]} (--preset book: ${PRESETS.book[key]}; enas: ${PRESETS.enas[key]})`;
/** The preset a search takes when --preset is not given. */
const defaultPreset = (weightSharing: boolean): PresetName => (weightSharing ? 'enas' : 'tuned');

const STRATEGY_FLAGS: FlagSpec[] = [
  { name: 'strategy', type: 'enum', choices: STRATEGY_NAMES, default: 'controller', help: 'how architectures are chosen' },
  {
    name: 'preset',
    type: 'enum',
    choices: Object.keys(PRESETS),
    defaultLabel: 'tuned (with --weight-sharing: enas)',
    help: "the controller's settings: tuned (measured on trained children), book (the seed chapter's) or enas (ENAS's, measured with weight sharing)",
  },
  {
    name: 'controller-lr',
    type: 'number',
    min: 0,
    exclusiveMin: true,
    max: 10,
    defaultLabel: presetLabel('controllerLr'),
    help: "controller's Adam learning rate",
  },
  { name: 'epsilon', type: 'number', min: 0, max: 1, defaultLabel: presetLabel('epsilon'), help: 'probability of drawing a uniformly random architecture' },
  {
    name: 'temperature',
    type: 'number',
    min: 0,
    exclusiveMin: true,
    max: 1000,
    defaultLabel: presetLabel('temperature'),
    help: 'controller logits are divided by this',
  },
  {
    name: 'tanh-constant',
    type: 'number',
    min: 0,
    max: 1000,
    defaultLabel: presetLabel('tanhConstant'),
    help: 'C > 0 squashes controller logits to C*tanh(logits); 0: off',
  },
  {
    name: 'entropy-weight',
    type: 'number',
    min: 0,
    max: 10,
    defaultLabel: presetLabel('entropyWeight'),
    help: "weight of the policy's entropy in the controller's objective",
  },
  {
    name: 'controller-batch',
    type: 'int',
    min: 1,
    max: 1000,
    defaultLabel: presetLabel('controllerBatch'),
    help: 'children per controller update (gradients averaged)',
  },
  { name: 'normalize-advantages', type: 'bool', defaultLabel: presetLabel('normalizeAdvantages'), help: "standardize each batch's rewards before the update" },
  { name: 'decision-bias', type: 'bool', defaultLabel: presetLabel('decisionBias'), help: 'a learned logit bias per decision beside the shared heads' },
  {
    name: 'baseline-decay',
    type: 'number',
    min: 0,
    max: 0.9999,
    defaultLabel: presetLabel('baselineDecay'),
    help: 'exponential moving-average baseline with this decay; 0: the mean of the last --window',
  },
  { name: 'window', type: 'int', default: 20, min: 1, help: 'episodes in the moving-average baseline' },
  { name: 'baseline', type: 'number', default: 0.1, min: 0, max: 1, help: 'baseline accuracy before any child has finished' },
  { name: 'units', type: 'int', default: 32, min: 1, max: 4096, help: 'controller LSTM units' },
  { name: 'population', type: 'int', default: 20, min: 1, max: 100000, help: 'evolution: population size P' },
  { name: 'tournament', type: 'int', default: 5, min: 1, max: 100000, help: 'evolution: members sampled per parent choice S' },
  { name: 'startup', type: 'int', default: 10, min: 1, max: 100000, help: 'tpe: random proposals before the model is used' },
  { name: 'candidates', type: 'int', default: 24, min: 1, max: 100000, help: 'tpe: candidates scored per proposal' },
];

export const searchCommand: CommandSpec = {
  name: 'search',
  brief: 'search for cells on a data set (CIFAR-10, Fashion-MNIST, MNIST, a folder) or the NAS-Bench-201 table, or --resume a run',
  summary:
    'Search for a normal and a reduction cell on a data set (each episode trains the child the cells\n' +
    "define), or for a NAS-Bench-201 cell looked up in the benchmark's table. The strategy is rewarded\n" +
    "with each architecture's accuracy minus a moving baseline.",
  positionals: [{ name: 'problem', help: `${DATASET_HELP} or nas-bench-201 (may be left out with --resume)` }],
  flags: [
    { name: 'episodes', type: 'int', default: 150, min: 1, help: 'architectures to evaluate' },
    { name: 'epochs', type: 'int', default: 6, min: 1, help: 'training epochs per child' },
    { name: 'batch-size', type: 'int', default: 128, min: 1, max: 65536, help: 'child training batch size' },
    { name: 'lr', type: 'number', default: 1e-3, min: 0, exclusiveMin: true, max: 10, help: "child's Adam learning rate" },
    ...STRATEGY_FLAGS,
    { name: 'channels', type: 'int-list', default: [4, 16, 16, 256, 256], length: 5, min: 1, max: 4096, help: 'filters of the stem-side cells, 5 values' },
    { name: 'blocks', type: 'int', default: 5, min: 1, max: 10, help: 'blocks per cell' },
    { name: 'hierarchical', type: 'bool', default: false, help: 'let blocks take earlier blocks of the cell as inputs (NASNet)' },
    { name: 'seed', type: 'int', min: 0, max: 2 ** 31 - 1, defaultLabel: 'random, recorded in config.json', help: 'seed of every random choice' },
    {
      name: 'train-limit',
      type: 'int',
      min: 1,
      max: 10_000_000,
      defaultLabel: 'all: 40000 of cifar10, 48000 of fashion-mnist and mnist',
      help: 'training images per child (low fidelity)',
    },
    {
      name: 'val-limit',
      type: 'int',
      min: 1,
      max: 10_000_000,
      defaultLabel: 'all: 10000 of cifar10, 12000 of fashion-mnist and mnist',
      help: 'validation images per child',
    },
    {
      name: 'val-fraction',
      type: 'number',
      min: 0,
      exclusiveMin: true,
      max: 0.75,
      defaultLabel: '0.2 (of a folder: of all its images, beside 0.2 for test)',
      help: 'share of the training images held out for validation; more gives steadier accuracies, fewer to train on',
    },
    IMAGE_SIZE_FLAG,
    {
      name: 'micro-batch',
      type: 'int',
      min: 0,
      max: 65536,
      defaultLabel: '64 on wasm, else 0',
      help: 'train each batch in slices of this size, gradients summed (0: whole batch)',
    },
    { name: 'backend', type: 'enum', choices: BACKEND_CHOICES, default: 'auto', help: 'tfjs backend' },
    ...DATA_FLAGS,
    { name: 'table', type: 'string', defaultLabel: 'downloaded to ~/.cache/nascent/nats-bench', help: 'nas-bench-201: the benchmark table (nats_bench.csv)' },
    { name: 'dataset', type: 'enum', choices: NB201_DATASETS, default: 'cifar10', help: 'nas-bench-201: whose test accuracy is the reward' },
    { name: 'out', type: 'string', defaultLabel: 'runs/<timestamp>', help: 'run directory to write' },
    { name: 'report', type: 'bool', default: true, help: 'rewrite <run>/report/ (plots, cell diagrams, index.html) after every episode; --no-report to skip' },
    { name: 'resume', type: 'string', help: "continue the run in this directory from its last finished episode, with the run's own settings" },
    ...SCHEDULE_FLAGS,
    ...OBJECTIVE_FLAGS,
    ...WS_FLAGS,
  ],
  examples: [
    'npm run search:cifar',
    'npm run search:cifar -- --episodes 3 --epochs 1 --train-limit 2000 --val-limit 1000 --channels 8,16,16,32,32',
    'nascent search cifar10 --strategy random --seed 7 --out runs/random-7',
    'nascent search fashion-mnist --episodes 2 --epochs 1 --train-limit 10000',
    'nascent search folder:photos --image-size 32',
    'nascent search nas-bench-201 --table nats_bench.csv --strategy evolution',
    'nascent search --resume runs/random-7 --episodes 300',
  ],
};

export interface SearchSettings extends PresetSettings, ScheduleSettings, ObjectiveSettings, WsSettingsPart {
  /** What is searched (config key `dataset`, as runs before nas-bench-201 recorded it). */
  dataset: Problem;
  episodes: number;
  epochs: number;
  batchSize: number;
  lr: number;
  preset: PresetName;
  window: number;
  baseline: number;
  units: number;
  population: number;
  tournament: number;
  startup: number;
  candidates: number;
  channels: number[];
  blocks: number;
  hierarchical: boolean;
  strategy: StrategyName;
  seed: number;
  trainLimit?: number;
  valLimit?: number;
  /** Share of the training images held out for validation (the data set's loader default when unset). */
  valFraction?: number;
  /** folder:DIR only: the side images are resized to. */
  imageSize?: number;
  backend: BackendChoice;
  dataDir?: string;
  microBatch?: number;
  table?: string;
  tableDataset: Nb201Dataset;
}

// Flags whose config.json key is not their camel-cased name.
const KEY_OF_FLAG: Record<string, string> = { dataset: 'tableDataset' };

export const settingKey = (flag: string): string => KEY_OF_FLAG[flag] ?? flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export function settingsFromArgs(args: ParsedArgs): SearchSettings {
  const f = args.flags;
  const problem = args.positionals[0];
  if (problem === undefined) throw new UsageError(`missing <problem> (${DATASET_HELP} or nas-bench-201), or --resume DIR to continue a run`, searchCommand);
  const dataset = datasetNameFromArg(problem, searchCommand, TABLE_PROBLEMS);
  checkProblemFlags(args, dataset, searchCommand);
  const imageSize = imageSizeFromArgs(args, dataset, searchCommand);
  const preset = (f.preset as PresetName | undefined) ?? defaultPreset(f['weight-sharing'] === true);
  const fromPreset = <K extends keyof PresetSettings>(key: K, flag: string): PresetSettings[K] =>
    (f[flag] as PresetSettings[K] | undefined) ?? (PRESETS[preset][key] as PresetSettings[K]);
  const strategy = f.strategy as StrategyName;
  if (strategy === 'evolution' && (f.tournament as number) > (f.population as number)) {
    throw new UsageError(`--tournament ${f.tournament} is larger than --population ${f.population}`, searchCommand);
  }
  return {
    dataset,
    episodes: f.episodes as number,
    epochs: f.epochs as number,
    batchSize: f['batch-size'] as number,
    lr: f.lr as number,
    preset,
    controllerLr: fromPreset('controllerLr', 'controller-lr'),
    epsilon: fromPreset('epsilon', 'epsilon'),
    temperature: fromPreset('temperature', 'temperature'),
    tanhConstant: fromPreset('tanhConstant', 'tanh-constant'),
    entropyWeight: fromPreset('entropyWeight', 'entropy-weight'),
    controllerBatch: fromPreset('controllerBatch', 'controller-batch'),
    normalizeAdvantages: fromPreset('normalizeAdvantages', 'normalize-advantages'),
    baselineDecay: fromPreset('baselineDecay', 'baseline-decay'),
    decisionBias: fromPreset('decisionBias', 'decision-bias'),
    window: f.window as number,
    baseline: f.baseline as number,
    units: f.units as number,
    population: f.population as number,
    tournament: f.tournament as number,
    startup: f.startup as number,
    candidates: f.candidates as number,
    channels: f.channels as number[],
    blocks: f.blocks as number,
    hierarchical: f.hierarchical as boolean,
    strategy,
    seed: (f.seed as number | undefined) ?? Math.floor(Math.random() * 2 ** 31),
    ...(f['train-limit'] !== undefined ? { trainLimit: f['train-limit'] as number } : {}),
    ...(f['val-limit'] !== undefined ? { valLimit: f['val-limit'] as number } : {}),
    ...(f['val-fraction'] !== undefined ? { valFraction: f['val-fraction'] as number } : {}),
    ...(imageSize !== undefined ? { imageSize } : {}),
    backend: f.backend as BackendChoice,
    ...(f['data-dir'] !== undefined ? { dataDir: dataSourceFromArgs(args, searchCommand).dataDir } : {}),
    ...(f['micro-batch'] !== undefined ? { microBatch: f['micro-batch'] as number } : {}),
    ...(f.table !== undefined ? { table: f.table as string } : {}),
    tableDataset: f.dataset as Nb201Dataset,
    ...scheduleSettingsFromArgs(args, problem, searchCommand),
    ...objectiveSettingsFromArgs(args, problem, searchCommand),
    ...wsSettingsFromArgs(args, problem, searchCommand),
  };
}

// What a resumed run may change: how far it goes and where and how it computes. Every other setting
// defines the search itself; changing one would make the run two searches under one name.
const RESUMABLE_FLAGS = new Set(['resume', 'episodes', 'backend', 'micro-batch', 'report', 'table', ...DATA_FLAG_NAMES]);

const shown = (v: unknown): string => (Array.isArray(v) ? v.join(',') : v === undefined ? '(not set)' : String(v));

// Settings that runs recorded before they were flags, with the value those runs used.
const BEFORE_PRESETS: Record<string, unknown> = { preset: 'book', ...PRESETS.book };
// Settings added to the presets later, with the value the runs recorded before them used.
const BEFORE_FLAGS: Record<string, unknown> = { decisionBias: false };

/** The settings of a run being resumed (config.json), with the flags a resume may change applied. */
export function resumeSettings(args: ParsedArgs, config: Record<string, unknown>, configPath: string): SearchSettings {
  if (args.given.has('out')) throw new UsageError('--out cannot be used with --resume: a resumed run stays in its own directory', searchCommand);
  // The recorded settings go back through the flag parser, so a damaged or hand-edited config.json
  // is checked as strictly as a command line. A run from before the presets ran the book's settings.
  const recordedValue = (key: string) => (config[key] !== undefined ? config[key] : config.preset === undefined ? BEFORE_PRESETS[key] : BEFORE_FLAGS[key]);
  const argv = [String(config.dataset)];
  for (const spec of searchCommand.flags) {
    const value = recordedValue(settingKey(spec.name));
    if (spec.name === 'resume' || spec.name === 'out' || value === undefined) continue;
    // A weight-sharing run's config.json from before 2026-12 recorded these flags' defaults, and
    // every run's config.json before 2026-12-03 those of the flags its problem does not use.
    if (config.weightSharing === true && spec.name in WS_UNUSED_FLAGS) continue;
    if (unusedFlagsOf(String(config.dataset)).includes(spec.name)) continue;
    argv.push(`--${spec.name}=${shown(value)}`);
  }
  let recorded: SearchSettings;
  try {
    recorded = settingsFromArgs(parseArgs(searchCommand, argv));
  } catch (err) {
    if (err instanceof UsageError) throw new RunStoreError(`${configPath}: ${err.message.replace(/^unknown data set "undefined"[^;]*/, 'no dataset')}`);
    throw err;
  }
  const given = args.positionals[0];
  const problem = given === undefined ? undefined : datasetNameFromArg(given, searchCommand, TABLE_PROBLEMS);
  if (problem !== undefined && problem !== recorded.dataset) throw new UsageError(`${problem} conflicts with the run's ${recorded.dataset}`, searchCommand);
  // A resume may extend a standard search (--episodes) or change its slicing (--micro-batch); a
  // weight-sharing run has neither, and a flag it would ignore is refused rather than dropped.
  const unused = recorded.weightSharing ? Object.keys(WS_UNUSED_FLAGS).find((name) => args.given.has(name)) : undefined;
  if (unused) throw new UsageError(`--${unused} does not apply when resuming a weight-sharing run: ${WS_UNUSED_FLAGS[unused]}`, searchCommand);
  checkProblemFlags(args, recorded.dataset, searchCommand);
  const conflicts = [...args.given]
    .filter((name) => !RESUMABLE_FLAGS.has(name) && JSON.stringify(args.flags[name]) !== JSON.stringify(recordedValue(settingKey(name))))
    .map((name) => `--${name} ${shown(args.flags[name])} conflicts with the run's ${shown(recordedValue(settingKey(name)))}`);
  if (conflicts.length > 0) {
    throw new UsageError(
      `${conflicts.join('; ')} (${configPath}). A resumed search keeps its settings; only --episodes, --backend, --micro-batch, --report, --table and the --data-* flags may change.`,
      searchCommand,
    );
  }
  const f = args.flags;
  return {
    ...recorded,
    ...(args.given.has('episodes') ? { episodes: f.episodes as number } : {}),
    ...(args.given.has('backend') ? { backend: f.backend as BackendChoice } : {}),
    ...(args.given.has('data-dir') ? { dataDir: dataSourceFromArgs(args, searchCommand).dataDir } : {}),
    ...(args.given.has('micro-batch') ? { microBatch: f['micro-batch'] as number } : {}),
    ...(args.given.has('table') ? { table: f.table as string } : {}),
  };
}

/** The settings a run records in config.json: none that its search never reads. */
export function recordableSettings(settings: SearchSettings): Record<string, unknown> {
  const unused = new Set([...unusedFlagsOf(settings.dataset), ...(settings.weightSharing ? Object.keys(WS_UNUSED_FLAGS) : [])].map(settingKey));
  return Object.fromEntries(Object.entries(settings).filter(([key]) => !unused.has(key)));
}

/**
 * What each strategy is built with, from a search's settings (or a preset alone, as
 * bench:strategies does; the rest then take the strategies' own defaults).
 */
export function strategySettingsOf(
  s: PresetSettings & Partial<Pick<SearchSettings, 'units' | 'population' | 'tournament' | 'startup' | 'candidates'>>,
): StrategySettings {
  return {
    controller: {
      units: s.units,
      learningRate: s.controllerLr,
      epsilon: s.epsilon,
      temperature: s.temperature,
      tanhConstant: s.tanhConstant,
      entropyWeight: s.entropyWeight,
      batch: s.controllerBatch,
      normalizeAdvantages: s.normalizeAdvantages,
      decisionBias: s.decisionBias,
    },
    evolution: { population: s.population, tournament: s.tournament },
    tpe: { startup: s.startup, candidates: s.candidates },
  };
}
