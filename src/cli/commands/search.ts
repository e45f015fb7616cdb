// `nascent search <problem>`: the main job. It wires the pieces together and nothing more: the
// problem (a space and an evaluator: NASNet cells trained on CIFAR-10, or NAS-Bench-201 cells looked
// up in the benchmark's table), backend, strategy, baseline and store, then hands them to runSearch.
import { join, resolve } from 'node:path';
import { prepareBackend, describeBackend, type PreparedBackend } from '../../backend/index.js';
import { defaultMicroBatch } from '../../evaluators/child/final-train.js';
import { ChildManager } from '../../evaluators/child/manager.js';
import { EmaBaseline, MovingBaseline } from '../../strategies/controller/baseline.js';
import { ensureNatsBenchTable, readNatsBenchTable } from '../../data/nats-bench.js';
import { runSearch } from '../../search/loop.js';
import { makePruner, makeScheduler } from '../../schedulers/index.js';
import { objectiveOf } from './objective-settings.js';
import { makeStrategy } from '../../strategies/index.js';
import { TabularEvaluator } from '../../evaluators/table/evaluator.js';
import { nasnetSpace } from '../../spaces/nasnet/space.js';
import { nasBench201Space } from '../../spaces/nas-bench-201/space.js';
import type { SearchSpace } from '../../spaces/types.js';
import type { Baseline, Evaluator } from '../../search/types.js';
import { RunStore } from '../../store/run-store.js';
import { recoverRun, type RecoveredRun } from '../../search/resume.js';
import { type ParsedArgs, UsageError } from '../flags.js';
import { SearchProgress, formatDuration } from '../progress.js';
import { LiveReport } from '../../report/live-report.js';
import { REPORT_DIR } from '../../report/report.js';
import { downloadBar } from '../download-bar.js';
import { dataSourceFromArgs, timestamp } from '../data-flags.js';
import { recordableSettings, resumeSettings, searchCommand, settingsFromArgs, strategySettingsOf, type SearchSettings } from './search-settings.js';
import { loadSearchData } from './search-data.js';
import { runWeightSharingSearch } from './search-ws.js';

export { resumeSettings, searchCommand, settingsFromArgs, type SearchSettings } from './search-settings.js';

function resumeHint(dir: string): string {
  return `resume with: nascent search --resume ${dir}   (or: npm run search:cifar -- --resume ${dir})`;
}

function baselineOf(s: SearchSettings): Baseline {
  return s.baselineDecay > 0 ? new EmaBaseline({ decay: s.baselineDecay, initial: s.baseline }) : new MovingBaseline({ window: s.window, initial: s.baseline });
}

/** What is searched: the space, how an architecture is scored, and what config.json records of the data. */
interface ProblemSetup {
  space: SearchSpace;
  evaluator: Evaluator;
  /** Recorded in config.json. */
  data: Record<string, unknown>;
  /** Training epochs per architecture, for progress (a lookup has none). */
  epochs: number;
  /** Every child's budget at full fidelity; undefined when the evaluator has no epochs (a table). */
  budget?: number;
}

async function setUpProblem(args: ParsedArgs, s: SearchSettings, backend: PreparedBackend, log: (line: string) => void): Promise<ProblemSetup> {
  if (s.dataset === 'nas-bench-201') {
    const file = await ensureNatsBenchTable({ table: s.table, log, onProgress: downloadBar() });
    const table = readNatsBenchTable(file);
    const best = table.best(s.tableDataset);
    log(
      `table: ${table.size} NAS-Bench-201 cells from ${file}; each architecture's ${s.tableDataset} test accuracy is looked up (best in the table ${best.accuracy.toFixed(2)})`,
    );
    return {
      space: nasBench201Space,
      evaluator: new TabularEvaluator(table, s.tableDataset),
      data: { table: file, tableOptimum: best.accuracy / 100 },
      epochs: 1,
    };
  }
  // Every data set behind the Dataset seam (src/data/datasets.ts): the child takes its image shape and classes.
  const splits = await loadSearchData(args, s, log);
  const { train, val } = splits;
  const evaluator = new ChildManager({
    data: { train, val },
    numClasses: splits.classes.length,
    channels: s.channels,
    epochs: s.epochs,
    batchSize: s.batchSize,
    learningRate: s.lr,
    seed: s.seed,
    hierarchical: s.hierarchical,
    microBatch: s.microBatch ?? defaultMicroBatch(backend.name),
  });
  const data = s.dataset === 'cifar10' ? splits.record : { ...splits.record, imageShape: [train.height, train.width, train.channels], classes: splits.classes };
  return { space: nasnetSpace({ blocks: s.blocks, hierarchical: s.hierarchical }), evaluator, data, epochs: s.maxEpochs ?? s.epochs, budget: s.epochs };
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
  if (settings.weightSharing) return runWeightSharingSearch(args, opened, settings, recordedConfig, log, created);
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

  dataSourceFromArgs(args, searchCommand); // bad --data-* flags fail before anything slow
  const backend = await prepareBackend(settings.backend);
  for (const line of describeBackend(backend)) log(line);
  const problem = await setUpProblem(args, settings, backend, log);
  const { space, evaluator } = problem;
  const strategy = makeStrategy(settings.strategy, space.decisions, settings.seed, strategySettingsOf(settings));
  const baseline = baselineOf(settings);
  const scheduler = makeScheduler(settings, problem.budget);
  const pruner = makePruner(settings);
  let store: RunStore;
  let config: Record<string, unknown>;
  try {
    if (opened && recovered) {
      store = opened;
      if (recovered.checkpoint) {
        await strategy.setState(recovered.checkpoint.strategy);
        baseline.setState(recovered.checkpoint.baseline);
        if (recovered.checkpoint.scheduler !== undefined) scheduler.setState(recovered.checkpoint.scheduler);
      }
      const resumes = Array.isArray(recordedConfig!.resumes) ? recordedConfig!.resumes : [];
      config = {
        ...recordedConfig,
        episodes: settings.episodes,
        backend: settings.backend,
        ...problem.data,
        ...(settings.microBatch !== undefined ? { microBatch: settings.microBatch } : {}),
        backendUsed: backend.name,
        resumes: [...resumes, { at: new Date().toISOString(), afterEpisode: recovered.done, backendUsed: backend.name }],
      };
      store.writeConfig(config);
      log(`run: ${store.dir} (resuming after episode ${recovered.done} of ${settings.episodes})`);
    } else {
      config = {
        format: 'nascent.search-config',
        version: 1,
        ...recordableSettings(settings),
        space: { id: space.id, ...space.settings },
        ...problem.data,
        backendUsed: backend.name,
        created: new Date().toISOString(),
      };
      store = RunStore.create(out, config);
      created(store);
      log(`run: ${store.dir}`);
    }
  } catch (err) {
    strategy.dispose();
    throw err;
  }
  // The ETA comes from the episodes this process runs; a resumed run's earlier ones are not among them.
  const progress = new SearchProgress({ epochs: problem.epochs, episodes: settings.episodes, done: recovered?.done });
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
      scheduler,
      pruner,
      retrainDuplicates: settings.retrainDuplicates,
      history: recovered?.trials,
      defaultBudget: problem.budget,
      objective: objectiveOf(settings).objective,
      frontCost: objectiveOf(settings).cost,
      // Every trained child's latency is recorded (a few batch-1 predictions); a table has none.
      measureLatency: settings.dataset !== 'nas-bench-201',
    });
    progress.clear();
    await report?.settle();
    const took = formatDuration((Date.now() - started) / 1000);
    if (result.stopped)
      log(`stopped after ${result.episodesDone} of ${settings.episodes} episodes (${took}); every finished episode is saved.\n${resumeHint(store.dir)}`);
    else if (recovered && recovered.done > 0)
      log(`finished ${result.episodesDone} episodes (${result.episodesDone - recovered.done} in ${took}, after resuming at ${recovered.done}).`);
    else log(`finished ${result.episodesDone} episodes in ${took}.`);
    if (result.best && result.best.accuracy !== null) {
      const what = settings.dataset === 'nas-bench-201' ? `${settings.tableDataset} test accuracy (table)` : 'validation accuracy';
      log(
        `best: episode ${result.best.episode}, ${what} ${result.best.accuracy.toFixed(4)}${settings.dataset === 'nas-bench-201' ? '' : `, ${result.best.params} parameters`}`,
      );
      for (const line of space.describe(space.validate(result.best.cells))) log(line);
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
