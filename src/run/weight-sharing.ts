// A weight-sharing search (ENAS): one shared network trained along the strategy's proposals, and
// children scored with its weights; the loop is src/evaluators/supernet/search.ts, this builds what
// it needs from the config.
import type { PreparedBackend } from '../backend/index.js';
import type { SearchConfig } from '../config/schema.js';
import { readWsCheckpoint, runWeightSharing } from '../evaluators/supernet/search.js';
import { SupernetWeights } from '../evaluators/supernet/shared-weights.js';
import { baselineOf, loadSearchImages, spaceOf, strategyOf } from './parts.js';
import { recordOf, storeFor } from './record.js';
import type { RunOptions, SearchResult, Target } from './types.js';

export async function runWeightSharingSearch(config: SearchConfig, backend: PreparedBackend, options: RunOptions, target: Target): Promise<SearchResult> {
  const log = options.log ?? (() => {});
  const e = config.evaluator as Extract<SearchConfig['evaluator'], { kind: 'weight-sharing' }>;
  if (options.evaluator) throw new Error('a weight-sharing search scores children with its shared network; it takes no evaluator of your own');
  if (config.problem.space !== 'nasnet') throw new Error('weight sharing searches the NASNet space');
  const splits = await loadSearchImages(config, { log, onProgress: options.onDownloadProgress }, options.dataset);
  const data = { train: splits.train, val: splits.val };
  const about =
    options.dataset || config.problem.data.dataset !== 'cifar10'
      ? `, ${data.train.height}x${data.train.width}x${data.train.channels}, ${splits.classes.length} classes`
      : '';
  log(`data: ${data.train.count} training and ${data.val.count} validation images (disjoint) from ${splits.source}${about}`);
  const space = spaceOf(config);
  const strategy = options.strategy ?? strategyOf(config, space.decisions);
  const baseline = baselineOf(config);
  const { height, width, channels } = data.train;
  const numClasses = splits.classes.length;
  const p = config.problem;
  const net = new SupernetWeights({
    channels: e.channels,
    blocks: p.blocks,
    hierarchical: p.hierarchical,
    inputShape: [height, width, channels],
    numClasses,
    seed: config.seed,
    learningRate: e.lr,
  });
  try {
    const facts = {
      ...splits.record,
      imageShape: [height, width, channels],
      classes: splits.classes,
      trainImages: data.train.count,
      valImages: data.val.count,
    };
    const saved = target.store ? readWsCheckpoint(target.store.dir) : undefined;
    const recordedConfig = recordOf(config, backend, facts, target, options);
    const store = storeFor(recordedConfig, target);
    try {
      log(
        target.store
          ? `run: ${store.dir} (resuming ${saved ? `at pass ${saved.checkpoint.epoch + 1}, after ${saved.checkpoint.trainSteps} shared-weight steps and ${saved.checkpoint.steps} strategy steps` : 'from the start: no checkpoint was written'})`
          : `run: ${store.dir}`,
      );
      options.onRun?.({ dir: store.dir, config: recordedConfig, done: 0, resumed: target.store !== undefined, backend: backend.name });
      const screening = e.finalScreen !== undefined && e.finalScreen < data.val.count;
      log(
        `weight sharing: ${e.passes} passes of ${Math.ceil(data.train.count / e.batchSize)} shared-weight steps (batch ${e.batchSize}, Adam ${e.lr}), ` +
          `${e.controllerSteps} ${config.strategy.name} steps on validation batches after each; then ${e.finalSamples} architectures scored on ${screening ? `${e.finalScreen} validation images, the best ${Math.min(e.topCells, e.finalSamples)} of them on all ${data.val.count}` : `all ${data.val.count} validation images`}`,
      );
      const signal = anySignal(options.signal, options.stopNow);
      const outcome = await runWeightSharing({
        dir: store.dir,
        space,
        strategy,
        baseline,
        net,
        data,
        settings: {
          wsEpochs: e.passes,
          controllerSteps: e.controllerSteps,
          batchSize: e.batchSize,
          finalSamples: e.finalSamples,
          ...(e.finalScreen !== undefined ? { finalScreen: e.finalScreen } : {}),
          topCells: e.topCells,
          checkpointEvery: e.checkpointEvery,
          seed: config.seed,
          numClasses,
        },
        config: recordedConfig as unknown as Record<string, unknown>,
        onEvent: options.onEvent,
        signal,
      });
      return {
        dir: store.dir,
        config: recordedConfig,
        backend: backend.name,
        stopped: outcome.stopped,
        best: outcome.best,
        trials: [],
        episodesDone: 0,
        weightSharing: outcome,
      };
    } finally {
      if (!target.store) store.close();
    }
  } finally {
    if (!options.strategy) strategy.dispose();
    net.dispose();
  }
}

/** One signal that fires when either does (weight sharing checkpoints at the next step for both). */
function anySignal(a?: AbortSignal, b?: AbortSignal): AbortSignal | undefined {
  if (!a || !b) return a ?? b;
  return AbortSignal.any([a, b]);
}
