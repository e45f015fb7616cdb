// The pieces of a search, built from its SearchConfig alone: the space, the strategy and its
// baseline, the scheduler and pruner, the objective, and the images or the table an evaluator
// reads. The runner (runner.ts) puts them together; a worker or a browser tab can build the same
// pieces from the same document.
import type { SearchConfig } from '../config/schema.js';
import { type DatasetLoadOptions, type DatasetSplits, type Dataset, resolveDataset } from '../data/datasets.js';
import type { DownloadProgress } from '../data/download.js';
import { withOfflineHint } from '../data/offline-hint.js';
import { ensureNatsBenchTable, readNatsBenchTable, type NatsBenchTable } from '../data/nats-bench.js';
import { defaultMicroBatch } from '../evaluators/child/final-train.js';
import { ChildManager } from '../evaluators/child/manager.js';
import { makePruner, makeScheduler } from '../schedulers/index.js';
import type { MedianPruner } from '../schedulers/median-pruner.js';
import type { Scheduler } from '../schedulers/types.js';
import { accuracyObjective, mnasObjective, type Objective } from '../search/objective.js';
import type { CostName } from '../search/pareto.js';
import type { Baseline, Strategy } from '../search/types.js';
import { nasBench201Space } from '../spaces/nas-bench-201/space.js';
import { nasnetSpace } from '../spaces/nasnet/space.js';
import type { SearchSpace } from '../spaces/types.js';
import { EmaBaseline, MovingBaseline } from '../strategies/controller/baseline.js';
import { makeStrategy, type StrategySettings } from '../strategies/index.js';
import type { Decision } from '../spaces/types.js';

/** The space a config searches. */
export function spaceOf(config: SearchConfig): SearchSpace {
  const p = config.problem;
  return p.space === 'nas-bench-201' ? (nasBench201Space as SearchSpace) : (nasnetSpace({ blocks: p.blocks, hierarchical: p.hierarchical }) as SearchSpace);
}

/** What each built-in strategy is built with. */
export function strategySettingsOf(s: SearchConfig['strategy']): StrategySettings {
  const c = s.controller;
  return {
    controller: {
      units: c.units,
      learningRate: c.lr,
      epsilon: c.epsilon,
      temperature: c.temperature,
      tanhConstant: c.tanhConstant,
      entropyWeight: c.entropyWeight,
      batch: c.batch,
      normalizeAdvantages: c.normalizeAdvantages,
      decisionBias: c.decisionBias,
      queue: c.queue,
      queueWeight: c.queueWeight,
      fresh: c.fresh,
    },
    evolution: s.evolution,
    tpe: s.tpe,
  };
}

/** With K children in flight the controller updates on at least K results (one batch in flight). */
export function strategyOf(config: SearchConfig, decisions: readonly Decision[]): Strategy {
  const settings = strategySettingsOf(config.strategy);
  const parallel = config.parallel ?? 1;
  if (settings.controller && parallel > 1) settings.controller.batch = Math.max(settings.controller.batch ?? 1, parallel);
  return makeStrategy(config.strategy.name, decisions, config.seed, settings);
}

export function baselineOf(config: SearchConfig): Baseline {
  const b = config.strategy.baseline;
  return b.decay > 0 ? new EmaBaseline({ decay: b.decay, initial: b.initial }) : new MovingBaseline({ window: b.window, initial: b.initial });
}

/** Every child's budget at full fidelity; undefined when the evaluator has no epochs (a table). */
export const fullBudgetOf = (config: SearchConfig): number | undefined => (config.evaluator.kind === 'child' ? config.evaluator.epochs : undefined);

export function schedulingOf(config: SearchConfig): { scheduler: Scheduler; pruner?: MedianPruner } {
  return { scheduler: makeScheduler(config.scheduler, fullBudgetOf(config), config.parallel ?? 1), pruner: makePruner(config.scheduler) };
}

/** The objective, and the cost its Pareto front is drawn against (none for plain accuracy). */
export function objectiveOf(config: SearchConfig): { objective: Objective; cost?: CostName } {
  const o = config.objective;
  if (o.name !== 'mnas') return { objective: accuracyObjective };
  const cost: CostName = o.targetParams !== undefined ? 'params' : o.latencyOn?.startsWith('browser') ? 'browser-latency' : 'latency';
  return { objective: mnasObjective({ cost, target: (o.targetParams ?? o.targetLatencyMs)!, w: o.w ?? -0.07 }), cost };
}

/** Where to look for the data, beside what the config says: a run's recorded directory, a download bar. */
export interface DataAccess {
  /** A directory that overrides the config's (a resume on another machine). */
  dir?: string;
  onProgress?: DownloadProgress;
  log?: (line: string) => void;
}

/** The train and validation splits a NASNet search's children see (a search never reads the test set). */
export function loadSearchImages(config: SearchConfig, access: DataAccess = {}, dataset?: Dataset): Promise<DatasetSplits> {
  if (config.problem.space !== 'nasnet') throw new Error(`the ${config.problem.space} space reads no images`);
  const d = config.problem.data;
  const options: DatasetLoadOptions = {
    ...((access.dir ?? d.dir) !== undefined ? { dataDir: access.dir ?? d.dir } : {}),
    ...(d.url !== undefined ? { url: d.url } : {}),
    ...(d.md5 !== undefined ? { md5: d.md5 } : {}),
    allowHttp: d.allowHttp,
    trainLimit: d.trainLimit,
    valLimit: d.valLimit,
    valFraction: d.valFraction,
    imageSize: d.imageSize,
    splitSeed: 0,
    test: false,
    onProgress: access.onProgress,
    log: access.log,
  };
  return (dataset ?? resolveDataset(d.dataset)).load(options).catch(withOfflineHint(d.dataset));
}

/** The NAS-Bench-201 table of a table search, downloaded (and checked) the first time. */
export async function loadTable(
  config: SearchConfig,
  access: { table?: string; onProgress?: DownloadProgress; log?: (line: string) => void } = {},
): Promise<{ file: string; table: NatsBenchTable }> {
  if (config.problem.space !== 'nas-bench-201') throw new Error(`the ${config.problem.space} space has no table`);
  const file = await ensureNatsBenchTable({ table: access.table ?? config.problem.table, log: access.log, onProgress: access.onProgress });
  return { file, table: readNatsBenchTable(file) };
}

/** The trained-child evaluator of a config, on images already loaded: the same child for the same seed and cells wherever it is built. */
export function childEvaluatorOf(config: SearchConfig, splits: Pick<DatasetSplits, 'train' | 'val' | 'classes'>, backendName: string): ChildManager {
  const e = config.evaluator;
  if (e.kind !== 'child') throw new Error(`a ${e.kind} evaluator trains no child of its own`);
  return new ChildManager({
    data: { train: splits.train, val: splits.val },
    numClasses: splits.classes.length,
    channels: e.channels,
    epochs: e.epochs,
    batchSize: e.batchSize,
    learningRate: e.lr,
    seed: config.seed,
    hierarchical: config.problem.space === 'nasnet' && config.problem.hierarchical,
    microBatch: e.microBatch ?? defaultMicroBatch(backendName),
  });
}
