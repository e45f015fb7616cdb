// The flags of `nascent search --weight-sharing` (ENAS: one shared network, children scored on
// validation batches instead of trained; src/evaluators/supernet/search.ts). Appended to the search's
// flags by search-settings.ts; recorded in config.json only when --weight-sharing is on, so a run's
// config names no setting it did not use.
import { type CommandSpec, type FlagSpec, type ParsedArgs, UsageError } from '../flags.js';

/** Strategies that can learn from (or ignore) a stream of shared-weight scores. */
export const WS_STRATEGIES = ['controller', 'random'] as const;

export const WS_FLAGS: FlagSpec[] = [
  {
    name: 'weight-sharing',
    type: 'bool',
    default: false,
    help: 'ENAS: train one shared network (a step per training batch on an architecture the strategy proposes), score children on validation batches with its weights',
  },
  { name: 'ws-epochs', type: 'int', min: 1, max: 100000, defaultLabel: '10', help: 'weight sharing: passes of shared-weight training over the training split' },
  {
    name: 'controller-steps',
    type: 'int',
    min: 0,
    max: 1000000,
    defaultLabel: '20',
    help: 'weight sharing: strategy steps (architectures scored on a validation batch, then fed back) after each pass',
  },
  {
    name: 'ws-lr',
    type: 'number',
    min: 0,
    exclusiveMin: true,
    max: 10,
    defaultLabel: 'the value of --lr',
    help: "weight sharing: the shared weights' Adam learning rate",
  },
  {
    name: 'final-samples',
    type: 'int',
    min: 1,
    max: 100000,
    defaultLabel: '100',
    help: 'weight sharing: distinct architectures drawn at the end and scored on the whole validation split',
  },
  {
    name: 'final-screen',
    type: 'int',
    min: 1,
    max: 10_000_000,
    defaultLabel: 'off: every sample on the whole split',
    help: 'weight sharing: score each final sample first on this many validation images, and only the best --top-cells on the whole split',
  },
  { name: 'top-cells', type: 'int', min: 1, max: 100000, defaultLabel: '10', help: 'weight sharing: lines of top-cells.jsonl (the best final samples)' },
  {
    name: 'checkpoint-every',
    type: 'int',
    min: 1,
    max: 1000000,
    defaultLabel: '50',
    help: 'weight sharing: training steps between checkpoints (one is also written after every pass)',
  },
];

const WS_ONLY = WS_FLAGS.map((f) => f.name).filter((n) => n !== 'weight-sharing');

export interface WsSettingsPart {
  weightSharing?: true;
  wsEpochs?: number;
  controllerSteps?: number;
  wsLr?: number;
  finalSamples?: number;
  finalScreen?: number;
  topCells?: number;
  checkpointEvery?: number;
}

/**
 * Flags of trained children that a weight-sharing search would otherwise take and silently ignore:
 * refused on its command line, left out of its config.json, and skipped when an older run's
 * config.json (which recorded their defaults) is replayed on resume.
 */
export const WS_UNUSED_FLAGS: Record<string, string> = {
  episodes: '--ws-epochs passes and --controller-steps steps after each set its length',
  epochs: 'no child is trained on its own (--ws-epochs sets the passes of the shared network)',
  'retrain-duplicates': 'no child is trained on its own',
  'micro-batch': 'the shared network takes each batch whole',
};

export function wsSettingsFromArgs(args: ParsedArgs, problem: string, command: CommandSpec): WsSettingsPart {
  const f = args.flags;
  if (f['weight-sharing'] !== true) {
    const bad = WS_ONLY.find((n) => args.given.has(n));
    if (bad) throw new UsageError(`--${bad} only applies with --weight-sharing`, command);
    return {};
  }
  if (problem === 'nas-bench-201')
    throw new UsageError('--weight-sharing trains a shared network on images: it applies to an image data set, not the nas-bench-201 table', command);
  const strategy = f.strategy as string;
  if (!(WS_STRATEGIES as readonly string[]).includes(strategy))
    throw new UsageError(`--weight-sharing works with --strategy ${WS_STRATEGIES.join(' or ')}, not ${strategy}`, command);
  for (const [flag, plain] of [
    ['fidelity', 'full'],
    ['prune', 'none'],
    ['objective', 'accuracy'],
  ] as const) {
    if (f[flag] !== plain) throw new UsageError(`--${flag} ${f[flag]} does not apply with --weight-sharing: no child is trained on its own`, command);
  }
  const ignored = Object.keys(WS_UNUSED_FLAGS).find((n) => args.given.has(n));
  if (ignored) throw new UsageError(`--${ignored} does not apply with --weight-sharing: ${WS_UNUSED_FLAGS[ignored]}`, command);
  return {
    weightSharing: true,
    wsEpochs: (f['ws-epochs'] as number | undefined) ?? 10,
    controllerSteps: (f['controller-steps'] as number | undefined) ?? 20,
    wsLr: (f['ws-lr'] as number | undefined) ?? (f.lr as number),
    finalSamples: (f['final-samples'] as number | undefined) ?? 100,
    ...(f['final-screen'] !== undefined ? { finalScreen: f['final-screen'] as number } : {}),
    topCells: (f['top-cells'] as number | undefined) ?? 10,
    checkpointEvery: (f['checkpoint-every'] as number | undefined) ?? 50,
  };
}
