// SearchConfig: one plain, versioned JSON document that describes a whole search, and the one place
// its shape is written down. From this schema come the TypeScript type, the validation (every error
// names the field's path), the defaults, schema/search-config.schema.json and the flag tables of the
// CLI reference; the CLI's flags of `nascent search` are read off it too (src/config/flags.ts).
//
// A field's `flag` is the `nascent search` flag that sets it; `help` is that flag's help line.
// Defaults that depend on other fields (the controller preset, Hyperband's largest budget) are
// filled in by resolve.ts after validation, so that a document holds every value it ran with.
import { z } from 'zod';
import { PROXY_NAMES, proxySpecProblem } from '../proxies/names.js';

export const SEARCH_CONFIG_FORMAT = 'nascent.search-config';
export const SEARCH_CONFIG_VERSION = 2;

// The names below are the vocabulary of a config. The modules that implement them import these
// lists (or a test holds them equal), so a new strategy or data set is added once.
export const STRATEGY_NAMES = ['controller', 'random', 'evolution', 'tpe'] as const;
export const PRESET_NAMES = ['tuned', 'book', 'enas'] as const;
export const BACKEND_CHOICES = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export const TABLE_COLUMNS = ['cifar10', 'cifar100', 'imagenet16-120'] as const;
export const FIDELITIES = ['full', 'successive-halving', 'hyperband'] as const;
export const PRUNERS = ['none', 'median'] as const;
export const OBJECTIVES = ['accuracy', 'mnas'] as const;
/** Strategies that can learn from (or ignore) a stream of shared-weight scores. */
export const WS_STRATEGIES = ['controller', 'random'] as const;

export type StrategyName = (typeof STRATEGY_NAMES)[number];
export type PresetName = (typeof PRESET_NAMES)[number];
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
export type TableColumn = (typeof TABLE_COLUMNS)[number];
export type Fidelity = (typeof FIDELITIES)[number];
export type PrunerName = (typeof PRUNERS)[number];

/** What the CLI reads off a field: its flag, help line and (where the value is computed) a default label. */
export type FieldMeta = {
  flag: string;
  help: string;
  defaultLabel?: string;
};
const f = (flag: string, help: string, defaultLabel?: string): FieldMeta => ({ flag, help, ...(defaultLabel ? { defaultLabel } : {}) });

const MAX_SEED = 2 ** 31 - 1;
const count = (max: number) => z.int().min(1).max(max);
const channels = z
  .array(z.int().min(1).max(4096))
  .length(5)
  .default([4, 16, 16, 256, 256])
  .meta(f('channels', "filters of the five cells (the book's initial_channels ** width)"));
const batchSize = z.int().min(1).max(65536).default(128).meta(f('batch-size', 'child training batch size'));

/** Where the images come from and how much of them a child sees. */
const DataSchema = z.strictObject({
  dataset: z.string().min(1).default('cifar10').meta(f('problem', 'cifar10, fashion-mnist, mnist or folder:DIR (a positional argument of nascent search)')),
  dir: z
    .string()
    .min(1)
    .optional()
    .meta(f('data-dir', "the data set's cache, or a directory that already holds its files", '$NASCENT_DATA or ~/.cache/nascent/<data set>')),
  url: z
    .string()
    .min(1)
    .superRefine((url, ctx) => {
      let protocol: string;
      try {
        protocol = new URL(url).protocol;
      } catch {
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(url)} is not a URL` });
        return;
      }
      if (protocol !== 'https:' && protocol !== 'http:')
        ctx.addIssue({ code: 'custom', message: `only https (or http with {problem.data.allowHttp}) URLs, got ${protocol}` });
    })
    .optional()
    .meta(f('data-url', 'download from a mirror: the archive URL (CIFAR-10) or base URL (MNIST, Fashion-MNIST)', 'the official archive')),
  md5: z
    .string()
    .regex(/^[0-9a-fA-F]{32}$/, 'expected 32 hexadecimal digits')
    .optional()
    .meta(f('data-md5', "md5 the downloaded archive must have (only for a mirror's own archive)", "the official archive's")),
  allowHttp: z.boolean().default(false).meta(f('allow-http', 'allow a plain-http --data-url (the archive is still md5-checked)')),
  trainLimit: count(10_000_000)
    .optional()
    .meta(f('train-limit', 'training images per child (low fidelity)', 'all: 40000 of cifar10, 48000 of fashion-mnist and mnist')),
  valLimit: count(10_000_000)
    .optional()
    .meta(f('val-limit', 'validation images per child', 'all: 10000 of cifar10, 12000 of fashion-mnist and mnist')),
  valFraction: z
    .number()
    .gt(0)
    .max(0.75)
    .optional()
    .meta(
      f(
        'val-fraction',
        'share of the training images held out for validation; more gives steadier accuracies, fewer to train on',
        '0.2 (of a folder: of all its images, beside 0.2 for test)',
      ),
    ),
  imageSize: z
    .int()
    .min(4)
    .max(1024)
    .optional()
    .meta(f('image-size', 'folder:DIR: side of the square images are resized to', '32')),
});

const NasnetProblem = z.strictObject({
  space: z.literal('nasnet'),
  blocks: z.int().min(1).max(10).default(5).meta(f('blocks', 'blocks per cell')),
  hierarchical: z.boolean().default(false).meta(f('hierarchical', 'let blocks take earlier blocks of the cell as inputs (NASNet)')),
  data: DataSchema.default({ dataset: 'cifar10', allowHttp: false }),
});

const TableProblem = z.strictObject({
  space: z.literal('nas-bench-201'),
  table: z
    .string()
    .min(1)
    .optional()
    .meta(f('table', 'nas-bench-201: the benchmark table (nats_bench.csv)', 'downloaded to ~/.cache/nascent/nats-bench')),
  column: z.enum(TABLE_COLUMNS).default('cifar10').meta(f('dataset', 'nas-bench-201: whose test accuracy is the reward')),
});

const ProblemSchema = z.discriminatedUnion('space', [NasnetProblem, TableProblem]);

// Preset-dependent settings are optional here and filled from the preset by resolve.ts.
const ControllerSchema = z.strictObject({
  lr: z
    .number()
    .gt(0)
    .max(10)
    .optional()
    .meta(f('controller-lr', "controller's Adam learning rate", 'from --preset')),
  epsilon: z
    .number()
    .min(0)
    .max(1)
    .optional()
    .meta(f('epsilon', 'probability of drawing a uniformly random architecture', 'from --preset')),
  temperature: z
    .number()
    .gt(0)
    .max(1000)
    .optional()
    .meta(f('temperature', 'controller logits are divided by this', 'from --preset')),
  tanhConstant: z
    .number()
    .min(0)
    .max(1000)
    .optional()
    .meta(f('tanh-constant', 'C > 0 squashes controller logits to C*tanh(logits); 0: off', 'from --preset')),
  entropyWeight: z
    .number()
    .min(0)
    .max(10)
    .optional()
    .meta(f('entropy-weight', "weight of the policy's entropy in the controller's objective", 'from --preset')),
  batch: z
    .int()
    .min(1)
    .max(1000)
    .optional()
    .meta(f('controller-batch', 'children per controller update (gradients averaged)', 'from --preset')),
  normalizeAdvantages: z
    .boolean()
    .optional()
    .meta(f('normalize-advantages', "standardize each batch's rewards before the update", 'from --preset')),
  decisionBias: z
    .boolean()
    .optional()
    .meta(f('decision-bias', 'a learned logit bias per decision beside the shared heads', 'from --preset')),
  queue: z
    .int()
    .min(0)
    .max(1000)
    .optional()
    .meta(
      f(
        'controller-queue',
        'priority-queue training: the controller also learns to propose its N best children; 0: off',
        'from --preset; 10 with --warmup under tuned',
      ),
    ),
  queueWeight: z
    .number()
    .min(0)
    .max(100)
    .optional()
    .meta(f('queue-weight', "weight of the queue's log-likelihood beside REINFORCE", 'from --preset; 0.3 with --warmup under tuned')),
  fresh: z
    .boolean()
    .optional()
    .meta(
      f(
        'fresh-proposals',
        'the controller draws again a sample equal to one it proposed before (up to 100 draws)',
        'from --preset; on with --warmup under tuned',
      ),
    ),
  units: z.int().min(1).max(4096).default(32).meta(f('units', 'controller LSTM units')),
});

const BaselineSchema = z.strictObject({
  decay: z
    .number()
    .min(0)
    .max(0.9999)
    .optional()
    .meta(f('baseline-decay', 'exponential moving-average baseline with this decay; 0: the mean of the last --window', 'from --preset')),
  window: z.int().min(1).default(20).meta(f('window', 'episodes in the moving-average baseline')),
  initial: z.number().min(0).max(1).default(0.1).meta(f('baseline', 'baseline accuracy before any child has finished')),
});

const StrategySchema = z.strictObject({
  name: z.enum(STRATEGY_NAMES).default('controller').meta(f('strategy', 'how architectures are chosen')),
  preset: z
    .enum(PRESET_NAMES)
    .optional()
    .meta(
      f(
        'preset',
        "the controller's settings: tuned (measured on trained children), book (the seed chapter's) or enas (ENAS's, measured with weight sharing)",
        'tuned (with --weight-sharing: enas)',
      ),
    ),
  controller: ControllerSchema.default({ units: 32 }),
  baseline: BaselineSchema.default({ window: 20, initial: 0.1 }),
  evolution: z
    .strictObject({
      population: z.int().min(1).max(100000).default(20).meta(f('population', 'evolution: population size P')),
      tournament: z.int().min(1).max(100000).default(5).meta(f('tournament', 'evolution: members sampled per parent choice S')),
    })
    .default({ population: 20, tournament: 5 }),
  tpe: z
    .strictObject({
      startup: z.int().min(1).max(100000).default(10).meta(f('startup', 'tpe: random proposals before the model is used')),
      candidates: z.int().min(1).max(100000).default(24).meta(f('candidates', 'tpe: candidates scored per proposal')),
    })
    .default({ startup: 10, candidates: 24 }),
  warmup: z
    .strictObject({
      count: z
        .int()
        .min(0)
        .max(1_000_000)
        .default(0)
        .meta(f('warmup', 'architectures scored by a zero-cost proxy before the search, to start the strategy from the best-scored (0: none)')),
      proxy: z
        .string()
        .superRefine((spec, ctx) => {
          const problem = proxySpecProblem(spec);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        .default('synflow')
        .meta(f('proxy', `the zero-cost proxy of --warmup and --proxy-rung: ${PROXY_NAMES.join(', ')}, or several joined by + (their mean rank)`)),
      dataDir: z
        .string()
        .min(1)
        .optional()
        .meta(f('proxy-data-dir', "nas-bench-201 with --warmup: CIFAR-10's directory, whose training images the proxy scores networks on", "CIFAR-10's cache")),
    })
    .default({ count: 0, proxy: 'synflow' }),
});

const SchedulerSchema = z.strictObject({
  fidelity: z
    .enum(FIDELITIES)
    .default('full')
    .meta(
      f('fidelity', 'full: every child --epochs epochs; hyperband or successive-halving: short trainings first, the best continued from their saved weights'),
    ),
  maxEpochs: z
    .int()
    .min(1)
    .max(10000)
    .optional()
    .meta(f('max-epochs', 'hyperband/successive-halving: the largest budget (R)', 'the value of --epochs')),
  factor: z
    .int()
    .min(2)
    .max(100)
    .optional()
    .meta(
      f(
        'factor',
        'hyperband/successive-halving: keep the best 1/factor of each rung, at factor times the epochs (eta); with --proxy-rung, also its share',
        '3',
      ),
    ),
  synchronous: z
    .boolean()
    .default(false)
    .meta(
      f(
        'synchronous',
        'hyperband/successive-halving with --parallel above 1: keep each rung waiting for all its children (synchronous Hyperband) instead of ASHA',
      ),
    ),
  proxyRung: z
    .boolean()
    .optional()
    .meta(
      f(
        'proxy-rung',
        'a zeroth rung of --proxy before hyperband/successive-halving (or a table search): a new architecture scoring below the best 1/factor of those scored so far is recorded as rejected, untrained',
        'off',
      ),
    ),
  rungProxy: z
    .string()
    .superRefine((spec, ctx) => {
      const problem = proxySpecProblem(spec);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional()
    .meta(f('rung-proxy', 'the proxy of --proxy-rung, when it is not --proxy (a cheap one, e.g. params, beside a costly warm-up)', 'the value of --proxy')),
  prune: z
    .enum(PRUNERS)
    .default('none')
    .meta(f('prune', "median: stop a child whose accuracy after an epoch is below the median of earlier children's at that epoch")),
  pruneWarmup: z
    .int()
    .min(0)
    .max(10000)
    .optional()
    .meta(f('prune-warmup', 'median pruning: epochs of each child never pruned', '0')),
  pruneStartup: z
    .int()
    .min(0)
    .max(100000)
    .optional()
    .meta(f('prune-startup', 'median pruning: children trained to the end before any is pruned', '5')),
  retrainDuplicates: z
    .boolean()
    .default(false)
    .meta(
      f(
        'retrain-duplicates',
        'train an architecture again when its canonical key was already trained at the same budget (default: reuse that result, marked cached)',
      ),
    ),
});

const ObjectiveSchema = z.strictObject({
  name: z
    .enum(OBJECTIVES)
    .default('accuracy')
    .meta(f('objective', 'what children are ranked by: validation accuracy, or mnas: accuracy x (cost/target)^w (MnasNet)')),
  targetParams: z.int().min(1).max(1e12).optional().meta(f('target-params', 'mnas: the target parameter count T (cost = parameters)')),
  targetLatencyMs: z
    .number()
    .gt(0)
    .max(1e7)
    .optional()
    .meta(f('target-latency-ms', 'mnas: the target batch-1 latency T in ms on the search backend (cost = measured latency)')),
  w: z
    .number()
    .min(-10)
    .max(0)
    .optional()
    .meta(f('mnas-w', 'mnas: the exponent w; more negative punishes cost harder', '-0.07')),
  latencyOn: z
    .string()
    .regex(/^(node|browser(:(wasm|webgl|webgpu|cpu))?)$/, 'expected node, browser, or browser:wasm|webgl|webgpu|cpu')
    .optional()
    .meta(
      f(
        'latency-on',
        'mnas: also time each child in headless Chromium with tfjs on this backend (browser = browser:wasm); that latency is the cost of --target-latency-ms and the front',
        'node',
      ),
    ),
});

const ChildEvaluator = z.strictObject({
  kind: z.literal('child'),
  epochs: z.int().min(1).default(6).meta(f('epochs', 'training epochs per child')),
  batchSize,
  lr: z.number().gt(0).max(10).default(1e-3).meta(f('lr', "child's Adam learning rate")),
  channels,
  microBatch: z
    .int()
    .min(0)
    .max(65536)
    .optional()
    .meta(f('micro-batch', 'train each batch in slices of this size, gradients summed (0: whole batch)', '64 on wasm, else 0')),
});

const WeightSharingEvaluator = z.strictObject({
  kind: z.literal('weight-sharing'),
  batchSize,
  lr: z
    .number()
    .gt(0)
    .max(10)
    .default(1e-3)
    .meta(f('ws-lr', "weight sharing: the shared weights' Adam learning rate", 'the value of --lr')),
  channels,
  passes: z.int().min(1).max(100000).default(10).meta(f('ws-epochs', 'weight sharing: passes of shared-weight training over the training split')),
  controllerSteps: z
    .int()
    .min(0)
    .max(1000000)
    .default(20)
    .meta(f('controller-steps', 'weight sharing: strategy steps (architectures scored on a validation batch, then fed back) after each pass')),
  finalSamples: z
    .int()
    .min(1)
    .max(100000)
    .default(100)
    .meta(f('final-samples', 'weight sharing: distinct architectures drawn at the end and scored on the whole validation split')),
  finalScreen: z
    .int()
    .min(1)
    .max(10_000_000)
    .optional()
    .meta(
      f(
        'final-screen',
        'weight sharing: score each final sample first on this many validation images, and only the best --top-cells on the whole split',
        'off: every sample on the whole split',
      ),
    ),
  topCells: z.int().min(1).max(100000).default(10).meta(f('top-cells', 'weight sharing: lines of top-cells.jsonl (the best final samples)')),
  checkpointEvery: z
    .int()
    .min(1)
    .max(1000000)
    .default(50)
    .meta(f('checkpoint-every', 'weight sharing: training steps between checkpoints (one is also written after every pass)')),
});

const TableEvaluator = z.strictObject({ kind: z.literal('table') });

const EvaluatorSchema = z.discriminatedUnion('kind', [ChildEvaluator, WeightSharingEvaluator, TableEvaluator]);

/**
 * What a run adds to its config.json when it starts and resumes: facts about the run, not settings.
 * Ignored when a config is read to start another search.
 */
const RunInfoSchema = z.looseObject({
  created: z.string().optional(),
  backendUsed: z.string().optional(),
  library: z.boolean().optional(),
  /** What was loaded: the data set's source, split seed, image counts, shape and classes, or the table's file. */
  data: z.record(z.string(), z.unknown()).optional(),
  resumes: z.array(z.record(z.string(), z.unknown())).optional(),
});

export const SearchConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    format: z.literal(SEARCH_CONFIG_FORMAT).default(SEARCH_CONFIG_FORMAT),
    version: z.literal(SEARCH_CONFIG_VERSION).default(SEARCH_CONFIG_VERSION),
    problem: ProblemSchema.default({ space: 'nasnet', blocks: 5, hierarchical: false, data: { dataset: 'cifar10', allowHttp: false } }),
    strategy: StrategySchema.default({
      name: 'controller',
      controller: { units: 32 },
      baseline: { window: 20, initial: 0.1 },
      evolution: { population: 20, tournament: 5 },
      tpe: { startup: 10, candidates: 24 },
      warmup: { count: 0, proxy: 'synflow' },
    }),
    scheduler: SchedulerSchema.default({ fidelity: 'full', synchronous: false, prune: 'none', retrainDuplicates: false }),
    objective: ObjectiveSchema.default({ name: 'accuracy' }),
    evaluator: EvaluatorSchema.optional().meta({ description: 'child (the default on an image data set), weight-sharing, or table (nas-bench-201)' }),
    episodes: z
      .int()
      .min(1)
      .max(10_000_000)
      .optional()
      .meta(f('episodes', 'architectures to evaluate', '150')),
    seed: z
      .int()
      .min(0)
      .max(MAX_SEED)
      .optional()
      .meta(f('seed', 'seed of every random choice', 'random, recorded in config.json')),
    backend: z.enum(BACKEND_CHOICES).default('auto').meta(f('backend', 'tfjs backend')),
    parallel: z
      .int()
      .min(1)
      .max(4096)
      .default(1)
      .meta(f('parallel', 'children in flight at once: trainer processes on this machine, or jobs on the queue with --redis')),
    redis: z
      .string()
      .regex(/^rediss?:\/\/[^\s]+$/, 'expected a redis:// or rediss:// URL (redis://host:6379)')
      .optional()
      .meta(
        f(
          'redis',
          'a Redis server whose queue `nascent worker`s on any machine take the children from (rediss:// for TLS)',
          'none: trainer processes on this machine',
        ),
      ),
    run: RunInfoSchema.optional(),
  })
  .meta({
    title: 'nascent search configuration',
    description: 'One search: its problem, strategy, scheduler, objective and evaluator (docs/reference/config.md).',
  });

/** A config as a person or program writes it: every field with a default may be left out. */
export type SearchConfigInput = z.input<typeof SearchConfigSchema>;
type Parsed = z.output<typeof SearchConfigSchema>;
export type ProblemConfig = Parsed['problem'];
export type DataConfig = z.output<typeof DataSchema>;
export type StrategyConfig = Parsed['strategy'];
export type SchedulerConfig = Parsed['scheduler'];
export type ObjectiveConfig = Parsed['objective'];
export type EvaluatorConfig = z.output<typeof EvaluatorSchema>;
export type ChildEvaluatorConfig = z.output<typeof ChildEvaluator>;
export type WeightSharingEvaluatorConfig = z.output<typeof WeightSharingEvaluator>;
export type RunInfo = z.output<typeof RunInfoSchema>;
export type ControllerSettings = Required<z.output<typeof ControllerSchema>>;

/**
 * A whole, resolved search: every default filled in (resolve.ts), the seed drawn, the evaluator
 * chosen. This is what a run's config.json holds and what the runner reads.
 */
export interface SearchConfig extends Omit<Parsed, 'evaluator' | 'episodes' | 'seed' | 'strategy' | 'scheduler' | 'objective'> {
  evaluator: EvaluatorConfig;
  /** Architectures to evaluate; absent for weight sharing, whose passes set its length. */
  episodes?: number;
  seed: number;
  strategy: StrategyConfig & { preset: PresetName; controller: ControllerSettings; baseline: Required<StrategyConfig['baseline']> };
  scheduler: SchedulerConfig;
  objective: ObjectiveConfig;
}
