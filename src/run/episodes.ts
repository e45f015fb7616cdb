// A search whose evaluator scores one architecture per episode: trained children, or lookups in
// the NAS-Bench-201 table (or your own evaluator). The episode loop is src/search/loop.ts; this
// builds what it needs from the config.
import type { PreparedBackend } from '../backend/index.js';
import type { SearchConfig } from '../config/schema.js';
import { TabularEvaluator } from '../evaluators/table/evaluator.js';
import { runSearch } from '../search/loop.js';
import { baselineOf, childEvaluatorOf, fullBudgetOf, loadSearchImages, loadTable, objectiveOf, schedulingOf, spaceOf, strategyOf } from './parts.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Strategy } from '../search/types.js';
import { warmStart } from '../strategies/warm-start.js';
import { type Children, childrenLeave, startChildren } from './children.js';
import { screenOf } from './proxy-screen.js';
import { tableImagesIfNeeded, type WarmUpImages, type WarmUpPool, warmUpPool } from './warm-up.js';
import { recordOf, storeFor } from './record.js';
import { type BrowserTiming, browserLatencyFor } from '../export/browser-evaluator.js';
import type { RunOptions, SearchResult, Target } from './types.js';

export async function runEpisodes(config: SearchConfig, backend: PreparedBackend, options: RunOptions, target: Target): Promise<SearchResult> {
  const log = options.log ?? (() => {});
  const space = spaceOf(config);
  let evaluator = options.evaluator;
  let facts: Record<string, unknown> = {};
  let children: Children | undefined;
  let warmImages: WarmUpImages | undefined;
  let browser: BrowserTiming | undefined;
  if (!evaluator && config.problem.space === 'nas-bench-201') {
    const { file, table } = await loadTable(config, { log, onProgress: options.onDownloadProgress });
    const column = config.problem.column;
    const best = table.best(column);
    log(
      `table: ${table.size} NAS-Bench-201 cells from ${file}; each architecture's ${column} test accuracy is looked up (best in the table ${best.accuracy.toFixed(2)})`,
    );
    evaluator = new TabularEvaluator(table, column);
    facts = { table: file, tableOptimum: best.accuracy / 100 };
  } else if (!evaluator && config.evaluator.kind === 'child') {
    const splits = await loadSearchImages(config, { log, onProgress: options.onDownloadProgress }, options.dataset);
    const { train, val } = splits;
    warmImages = { set: train, numClasses: splits.classes.length };
    const about =
      options.dataset || config.problem.space !== 'nasnet' || config.problem.data.dataset !== 'cifar10'
        ? `, ${train.height}x${train.width}x${train.channels}, ${splits.classes.length} classes`
        : '';
    log(`data: ${train.count} training and ${val.count} validation images (disjoint) from ${splits.source}${about}`);
    // --latency-on browser: Chromium starts here, so a missing or broken one stops the search before any child.
    browser = await browserLatencyFor(config, { ...train, classes: splits.classes.length }, log);
    if (childrenLeave(config)) {
      if (options.dataset)
        throw new Error('children trained in other processes load their images by name: a search with your own images runs with parallel 1 and no redis');
      children = await startChildren(config, space, splits, log, (workers) => options.onEvent?.({ type: 'workers', workers }));
      evaluator = children.evaluator;
    } else evaluator = childEvaluatorOf(config, splits, backend.name);
    if (browser) evaluator = browser.wrap(evaluator);
    facts = {
      ...splits.record,
      imageShape: [train.height, train.width, train.channels],
      classes: splits.classes,
      trainImages: train.count,
      valImages: val.count,
    };
  }
  if (!evaluator) throw new Error(`no evaluator for a ${config.evaluator.kind} search`);

  const recoveredCheckpoint = target.recovered?.checkpoint;
  const warm = config.strategy.warmup.count > 0 && options.strategy === undefined;
  let warmPool: WarmUpPool | undefined;
  // With a proxy, every architecture is scored before it is trained (its trial records the scores);
  // with --proxy-rung, the scores decide whether it is trained at all.
  const screening = (config.strategy.warmup.count > 0 || config.scheduler.proxyRung === true) && config.evaluator.kind !== 'weight-sharing';
  if (screening) warmImages ??= await tableImagesIfNeeded(config, log);
  if (warm && !recoveredCheckpoint) warmPool = await warmUpPool(config, space, warmImages, log);
  const screen = screening ? screenOf(config, space, warmImages, warmPool, target) : undefined;
  const strategy = options.strategy ?? (await warmStrategy(strategyOf(config, space.decisions), config, warm, warmPool, log));
  const ownStrategy = options.strategy === undefined;
  // A Ctrl-C-twice (stopNow) drops the children in hand: a local pool's trainers stop with them.
  const stopChildren = () => void children?.close();
  options.stopNow?.addEventListener('abort', stopChildren, { once: true });
  try {
    const baseline = baselineOf(config);
    const { scheduler, pruner } = schedulingOf(config);
    const recovered = target.recovered;
    if (recovered?.checkpoint) {
      await strategy.setState(recovered.checkpoint.strategy);
      baseline.setState(recovered.checkpoint.baseline);
      if (recovered.checkpoint.scheduler !== undefined) scheduler.setState(recovered.checkpoint.scheduler);
    }
    const recordedConfig = recordOf(config, backend, facts, target, options);
    const store = storeFor(recordedConfig, target);
    if (warmPool)
      writeFileSync(
        join(store.dir, 'warmup.jsonl'),
        warmPool.pool.map((p) => JSON.stringify({ cells: p.arch, score: Number.isFinite(p.score) ? p.score : null, scores: p.scores })).join('\n') + '\n',
      );
    try {
      log(target.store ? `run: ${store.dir} (resuming after episode ${recovered?.done ?? 0} of ${config.episodes})` : `run: ${store.dir}`);
      options.onRun?.({ dir: store.dir, config: recordedConfig, done: recovered?.done ?? 0, resumed: target.store !== undefined, backend: backend.name });
      const { objective, cost } = objectiveOf(config);
      const outcome = await runSearch({
        store,
        space,
        strategy,
        evaluator,
        baseline,
        episodes: config.episodes!,
        done: recovered?.done,
        best: recovered?.best,
        backend: backend.name,
        settings: recordedConfig as unknown as Record<string, unknown>,
        onEvent: options.onEvent,
        signal: options.signal,
        childSignal: options.stopNow,
        scheduler,
        pruner,
        retrainDuplicates: config.scheduler.retrainDuplicates,
        history: recovered?.trials,
        defaultBudget: fullBudgetOf(config),
        objective,
        frontCost: cost,
        // Every trained child's latency is recorded (a few batch-1 predictions); a table has none.
        measureLatency: config.evaluator.kind === 'child' && options.evaluator === undefined,
        parallel: children?.parallel ?? config.parallel ?? 1,
        ...(screen ? { screen } : {}),
        queued: children !== undefined,
        ...(recovered?.checkpoint?.inflight
          ? {
              inflight: {
                children: recovered.checkpoint.inflight,
                dispatched: recovered.checkpoint.dispatched ?? recovered.done,
                run: recovered.checkpoint.run ?? 'run',
                pending: recovered.checkpoint.pending,
              },
            }
          : {}),
      });
      return {
        dir: store.dir,
        config: recordedConfig,
        backend: backend.name,
        stopped: outcome.stopped,
        best: outcome.best,
        trials: store.readTrials().trials,
        episodesDone: outcome.episodesDone,
        ...(recovered ? { resumedAfter: recovered.done } : {}),
      };
    } finally {
      if (!target.store) store.close();
    }
  } finally {
    options.stopNow?.removeEventListener('abort', stopChildren);
    await children?.close();
    await browser?.close();
    screen?.dispose();
    if (ownStrategy) strategy.dispose();
  }
}

/**
 * The strategy a warm-started search runs: the controller pre-trained on the pool, any other proposing
 * the pool's best first. A resumed warm search wraps the same way (its seeds come from the checkpoint).
 */
async function warmStrategy(
  strategy: Strategy,
  config: SearchConfig,
  warm: boolean,
  pool: WarmUpPool | undefined,
  log: (line: string) => void,
): Promise<Strategy> {
  if (!warm) return strategy;
  if (pool) {
    const finite = pool.pool.filter((p) => Number.isFinite(p.score));
    const best = Math.max(...finite.map((p) => p.score));
    log(
      `warm-up: ${pool.pool.length} architectures scored by ${config.strategy.warmup.proxy} in ${pool.seconds.toFixed(1)} s` +
        `${pool.failures ? ` (${pool.failures} could not be scored)` : ''}; best score ${best.toPrecision(4)}`,
    );
  }
  return warmStart(strategy, pool?.pool, {
    episodes: config.episodes ?? 1,
    population: config.strategy.evolution.population,
    startup: config.strategy.tpe.startup,
  });
}
