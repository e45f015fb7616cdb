// `nascent search <dataset> --weight-sharing`: wires the weight-sharing search (src/evaluators/
// supernet/search.ts) to a run directory, the data, the backend, the strategy and the supernet
// (src/evaluators/supernet/shared-weights.ts). Its own module, so the standard search's wiring stays as it is.
import { join, resolve } from 'node:path';
import { describeBackend, prepareBackend } from '../../backend/index.js';
import { nasnetSpace } from '../../spaces/nasnet/space.js';
import { SupernetWeights } from '../../evaluators/supernet/shared-weights.js';
import { EmaBaseline, MovingBaseline } from '../../strategies/controller/baseline.js';
import { writeWsReport } from '../../report/ws-report.js';
import { REPORT_DIR } from '../../report/report.js';
import { makeStrategy } from '../../strategies/index.js';
import type { Baseline } from '../../search/types.js';
import { readWsCheckpoint, runWeightSharing, WS_FILES, type WsEvent } from '../../evaluators/supernet/search.js';
import { RunStore } from '../../store/run-store.js';
import type { ParsedArgs } from '../flags.js';
import { dataSourceFromArgs, timestamp } from '../data-flags.js';
import { loadSearchData } from './search-data.js';
import { formatDuration } from '../progress.js';
import { recordableSettings, searchCommand, strategySettingsOf, type SearchSettings } from './search-settings.js';

function baselineOf(s: SearchSettings): Baseline {
  return s.baselineDecay > 0 ? new EmaBaseline({ decay: s.baselineDecay, initial: s.baseline }) : new MovingBaseline({ window: s.window, initial: s.baseline });
}

export async function runWeightSharingSearch(
  args: ParsedArgs,
  opened: RunStore | undefined,
  settings: SearchSettings,
  recordedConfig: Record<string, unknown> | undefined,
  log: (line: string) => void,
  created: (s: RunStore) => void,
): Promise<number> {
  const out = opened?.dir ?? resolve((args.flags.out as string | undefined) ?? join('runs', timestamp()));
  const saved = opened ? readWsCheckpoint(opened.dir) : undefined;
  if (opened) {
    if (opened.stalePid !== undefined) log(`taking over the lock of process ${opened.stalePid}, which ended without releasing it`);
    const removed = opened.removeTemporaryFiles();
    if (removed > 0) log(`repaired: removed ${removed} temporary file${removed === 1 ? '' : 's'} of an interrupted write`);
    if (saved?.checkpoint.phase === 'done') {
      log(
        `the run has already finished its weight-sharing search (${settings.wsEpochs} passes, ${settings.finalSamples} final samples); its best cells: ${join(opened.dir, WS_FILES.best)}`,
      );
      return 0;
    }
  }
  dataSourceFromArgs(args, searchCommand); // bad --data-* flags fail before anything slow
  const backend = await prepareBackend(settings.backend);
  for (const line of describeBackend(backend)) log(line);
  // Any data set behind the Dataset seam, as for the standard search: the supernet takes its shape and classes.
  const splits = await loadSearchData(args, settings, log);
  const data = { train: splits.train, val: splits.val };
  const numClasses = splits.classes.length;
  const space = nasnetSpace({ blocks: settings.blocks, hierarchical: settings.hierarchical });
  const strategy = makeStrategy(settings.strategy, space.decisions, settings.seed, strategySettingsOf(settings));
  const baseline = baselineOf(settings);
  const { height, width, channels } = data.train;
  const net = new SupernetWeights({
    channels: settings.channels,
    blocks: settings.blocks,
    hierarchical: settings.hierarchical,
    inputShape: [height, width, channels],
    numClasses,
    seed: settings.seed,
    learningRate: settings.wsLr!,
  });
  let store: RunStore;
  let config: Record<string, unknown>;
  const dataRecord = {
    ...splits.record,
    ...(settings.dataset === 'cifar10' ? {} : { imageShape: [height, width, channels], classes: splits.classes }),
    trainImages: data.train.count,
    valImages: data.val.count,
  };
  try {
    if (opened) {
      store = opened;
      const resumes = Array.isArray(recordedConfig!.resumes) ? recordedConfig!.resumes : [];
      config = {
        ...recordedConfig,
        backend: settings.backend,
        ...dataRecord,
        backendUsed: backend.name,
        resumes: [...resumes, { at: new Date().toISOString(), afterStep: saved?.checkpoint.trainSteps ?? 0, backendUsed: backend.name }],
      };
      store.writeConfig(config);
      log(
        `run: ${store.dir} (resuming ${saved ? `at pass ${saved.checkpoint.epoch + 1}, after ${saved.checkpoint.trainSteps} shared-weight steps and ${saved.checkpoint.steps} strategy steps` : 'from the start: no checkpoint was written'})`,
      );
    } else {
      config = {
        format: 'nascent.search-config',
        version: 1,
        ...recordableSettings(settings),
        space: { id: space.id, ...space.settings },
        ...dataRecord,
        backendUsed: backend.name,
        created: new Date().toISOString(),
      };
      store = RunStore.create(out, config);
      created(store);
      log(`run: ${store.dir}`);
    }
  } catch (err) {
    strategy.dispose();
    net.dispose();
    throw err;
  }
  const screening = settings.finalScreen !== undefined && settings.finalScreen < data.val.count;
  log(
    `weight sharing: ${settings.wsEpochs} passes of ${Math.ceil(data.train.count / settings.batchSize)} shared-weight steps (batch ${settings.batchSize}, Adam ${settings.wsLr}), ` +
      `${settings.controllerSteps} ${settings.strategy} steps on validation batches after each; then ${settings.finalSamples} architectures scored on ${screening ? `${settings.finalScreen} validation images, the best ${Math.min(settings.topCells!, settings.finalSamples!)} of them on all ${data.val.count}` : `all ${data.val.count} validation images`}`,
  );
  const report =
    args.flags.report === false
      ? undefined
      : (): Promise<void> =>
          writeWsReport(store.dir).then(
            () => undefined,
            (err: Error) => log(`report: ${err.message}`),
          );
  // On a terminal, one status line redrawn in place under the lines that scroll; in a file, only those.
  const tty = process.stdout.isTTY === true;
  let status = false;
  const clear = () => {
    if (status) process.stdout.write('\r\x1b[K');
    status = false;
  };
  // Ctrl-C or SIGTERM: a checkpoint at the next step, then exit; --resume goes on from there.
  const stop = new AbortController();
  const onSignal = () => {
    clear();
    if (!stop.signal.aborted) log('\nstopping at the next step (a checkpoint is written first)...');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const started = Date.now();
  let lastReport = Promise.resolve();
  const onEvent = (e: WsEvent) => {
    if (tty && (e.type === 'train-step' || e.type === 'strategy-step')) {
      const what =
        e.type === 'train-step'
          ? `pass ${e.epoch + 1}/${settings.wsEpochs} shared-weight step ${e.batch}/${e.batches} loss ${e.loss.toFixed(3)}`
          : `pass ${e.record.epoch}/${settings.wsEpochs} ${settings.strategy} step ${e.record.step} validation-batch accuracy ${e.record.accuracy.toFixed(3)}`;
      process.stdout.write(`\r\x1b[K${what} | ${formatDuration((Date.now() - started) / 1000)}`);
      status = true;
      return;
    }
    clear();
    if (e.type === 'epoch-end') {
      log(
        `pass ${e.epoch}/${e.epochs}: shared-weight loss ${e.trainLoss.toFixed(4)}, strategy steps' validation-batch accuracy ${Number.isFinite(e.meanAccuracy) ? e.meanAccuracy.toFixed(4) : '-'} (baseline ${e.baseline.toFixed(4)}), ${e.childEpochs.toFixed(2)} child-epochs so far, ${formatDuration((Date.now() - started) / 1000)}`,
      );
      if (report) lastReport = lastReport.then(report);
    } else if (e.type === 'final-sample' && (e.done % 10 === 0 || e.done === e.total)) {
      const where =
        e.stage === 'screen'
          ? `screened on ${e.sample.images} validation images`
          : screening
            ? 'scored again on the whole validation split'
            : 'scored on the validation split';
      log(`final: ${e.done}/${e.total} architectures ${where} (last ${e.sample.accuracy.toFixed(4)})`);
    }
  };
  try {
    const result = await runWeightSharing({
      dir: store.dir,
      space,
      strategy,
      baseline,
      net,
      data,
      settings: {
        wsEpochs: settings.wsEpochs!,
        controllerSteps: settings.controllerSteps!,
        batchSize: settings.batchSize,
        finalSamples: settings.finalSamples!,
        ...(settings.finalScreen !== undefined ? { finalScreen: settings.finalScreen } : {}),
        topCells: settings.topCells!,
        checkpointEvery: settings.checkpointEvery!,
        seed: settings.seed,
        numClasses,
      },
      config,
      onEvent,
      signal: stop.signal,
    });
    clear();
    await lastReport;
    const took = formatDuration((Date.now() - started) / 1000);
    const cost = `${result.trainImageSteps} training image-steps (${result.childEpochs.toFixed(2)} child-epochs of ${data.train.count} images) and ${result.scoredImages} images scored`;
    if (result.stopped) {
      log(`stopped after ${took}; the checkpoint holds every finished step.\nresume with: nascent search --resume ${store.dir}`);
      return 0;
    }
    log(`finished the weight-sharing search in ${took}: ${cost}.`);
    if (result.best) {
      log(
        `best: validation accuracy ${result.best.accuracy.toFixed(4)} with the shared weights (final sample ${result.best.episode}), ${result.best.params} parameters stand-alone`,
      );
      for (const line of space.describe(space.validate(result.best.cells))) log(line);
      log(`best cells: ${join(store.dir, WS_FILES.best)} (retrain: nascent train --cells ${join(store.dir, WS_FILES.best)})`);
      log(`top cells: ${join(store.dir, WS_FILES.top)}`);
    }
    if (report) {
      await report();
      log(`report: ${join(store.dir, REPORT_DIR, 'index.html')}`);
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    strategy.dispose();
    net.dispose();
  }
}
