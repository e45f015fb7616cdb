// `nascent train --cells FILE`: trains the cells a search found, from scratch, on every training
// image of the data set (all 50,000 of CIFAR-10), then reports its test accuracy and writes the model
// (tfjs layers format) and result.json. The training itself is src/evaluators/child/final-train.ts; this file wires it up.
import { accessSync, constants, existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { BACKEND_CHOICES, describeBackend, prepareBackend, type BackendChoice } from '../../backend/index.js';
import { readCellsFile, upgradeSettings, type CellsDocument } from '../../spaces/nasnet/cells-file.js';
import { formatCells } from '../../spaces/nasnet/format.js';
import { cellsHash } from '../../spaces/nasnet/key.js';
import { FINAL_BN_BATCHES } from '../../evaluators/child/final-train.js';
import { resolveDataset } from '../../data/datasets.js';
import { trainCells, type TrainCellsResult } from '../../run/train.js';
import { downloadBar } from '../download-bar.js';
import { MODEL_FILE, WEIGHTS_FILE, saveLayersModel } from '../../evaluators/child/model-io.js';
import { TEST_BATCH_FILE } from '../../data/cifar10-format.js';
import { writeJsonAtomic } from '../../store/atomic.js';
import { type CommandSpec, type ParsedArgs, UsageError } from '../flags.js';
import { DATA_FLAGS, dataSourceFromArgs, timestamp } from '../data-flags.js';
import { DATASET_HELP, IMAGE_SIZE_FLAG, datasetNameFromArg, imageSizeFromArgs } from '../dataset-flags.js';
import { formatDuration } from '../progress.js';
import { TrainProgress } from '../train-progress.js';
import { spaceFromFlags } from './validate.js';

/** The search's default channels, for cells files that do not record theirs. */
export const DEFAULT_CHANNELS = [4, 16, 16, 256, 256];

// 20 epochs: over three times the search's 6-epoch children, so the cells are judged well past
// the short training they were chosen on, at a cost a CPU can still pay for small channels (with no
// augmentation and a fixed learning rate, much longer mostly buys overfitting; not measured here on
// real CIFAR-10). Pass more where a GPU makes epochs cheap.
export const DEFAULT_EPOCHS = 20;

export const RESULT_FILE = 'result.json';

export const trainCommand: CommandSpec = {
  name: 'train',
  brief: 'train cells from scratch on every training image; report test accuracy',
  summary:
    'Train cells from scratch on every training image of the data set (all 50,000 of CIFAR-10) and\n' +
    'report test accuracy (the test set is used once, at the end). Writes model.json + weights.bin\n' +
    '(tfjs layers format) and result.json into --out.',
  flags: [
    { name: 'cells', type: 'string', help: 'cells file: best-cells.json, or a bare {normal, reduction} pair (required)' },
    { name: 'epochs', type: 'int', default: DEFAULT_EPOCHS, min: 1, help: 'training epochs' },
    {
      name: 'channels',
      type: 'int-list',
      length: 5,
      min: 1,
      max: 4096,
      defaultLabel: `the cells file's settings.channels, else ${DEFAULT_CHANNELS.join(',')}`,
      help: 'filters of the five cells',
    },
    { name: 'batch-size', type: 'int', default: 128, min: 1, max: 65536, help: 'training batch size' },
    { name: 'lr', type: 'number', default: 1e-3, min: 0, exclusiveMin: true, max: 10, help: "Adam's learning rate" },
    {
      name: 'seed',
      type: 'int',
      min: 0,
      max: 2 ** 31 - 1,
      defaultLabel: 'random, recorded in result.json',
      help: 'seed of the initial weights and the batch order',
    },
    {
      name: 'train-limit',
      type: 'int',
      min: 1,
      max: 10_000_000,
      defaultLabel: 'all: 50000 of cifar10, 60000 of fashion-mnist and mnist',
      help: 'train on a fixed random subset of N images (quick looks)',
    },
    { name: 'dataset', type: 'string', defaultLabel: "the data set the cells file's search ran on, else cifar10", help: `data set: ${DATASET_HELP}` },
    IMAGE_SIZE_FLAG,
    {
      name: 'blocks',
      type: 'int',
      min: 1,
      max: 10,
      defaultLabel: "the file's settings.blocks, else 5",
      help: 'blocks per cell, for cells files that do not record it',
    },
    {
      name: 'hierarchical',
      type: 'bool',
      defaultLabel: "the file's settings.hierarchical, else off",
      help: 'blocks may read earlier blocks, for cells files that do not record it',
    },
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
    { name: 'out', type: 'string', defaultLabel: "<cells file's directory>/train-<timestamp>", help: 'directory for the model and result.json' },
    { name: 'json', type: 'bool', help: "print result.json's content as one JSON object on stdout (progress goes to stderr)" },
  ],
  examples: [
    'nascent train --cells runs/20250101-120000Z/best-cells.json',
    'nascent train --cells runs/20250101-120000Z/best-cells.json --epochs 1 --channels 8,16,16,32,32 --train-limit 5000',
  ],
};

export interface TrainSettings {
  cellsFile: string;
  dataset: string;
  /** folder:DIR only. */
  imageSize?: number;
  epochs: number;
  channels: number[];
  batchSize: number;
  lr: number;
  seed: number;
  trainLimit?: number;
  microBatch?: number;
  backend: BackendChoice;
  dataDir?: string;
  out: string;
}

/** What the search that found the cells recorded of its child networks and data, where the file says. */
export interface RecordedTraining {
  channels?: number[];
  dataset?: string;
  /** folder:DIR only. */
  imageSize?: number;
  /** Where the search read its data from, when that directory is still there. */
  dataDir?: string;
}

type Json = Record<string, unknown>;
const objectAt = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});

/**
 * The recorded settings of a cells file (best-cells.json's `settings`, a run's config.json of any
 * version), read through upgradeConfig: evaluator.channels, problem.data.dataset and .imageSize, and
 * the data directory: problem.data.dir (what --data-dir said; version 1's `dataDir`), else
 * run.data.dataDir (where the data was found), whichever still exists.
 */
export function recordedTraining(doc: CellsDocument): RecordedTraining {
  const settings = doc.wrapper?.settings;
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) return {};
  let config: Json;
  try {
    config = upgradeSettings(settings as Json).config;
  } catch {
    return {};
  }
  const problem = objectAt(config.problem);
  if (problem.space !== undefined && problem.space !== 'nasnet') return {};
  const data = objectAt(problem.data);
  const c = objectAt(config.evaluator).channels;
  const channels = Array.isArray(c) && c.length === 5 && c.every((x) => Number.isInteger(x) && x >= 1) ? (c as number[]) : undefined;
  const dirs = [data.dir, objectAt(objectAt(config.run).data).dataDir].filter((d): d is string => typeof d === 'string' && d !== '');
  const dataDir = dirs.find((d) => existsSync(d));
  return {
    ...(channels ? { channels } : {}),
    ...(typeof data.dataset === 'string' ? { dataset: data.dataset } : {}),
    ...(Number.isInteger(data.imageSize) ? { imageSize: data.imageSize as number } : {}),
    ...(dataDir !== undefined ? { dataDir } : {}),
  };
}

export function trainSettingsFromArgs(args: ParsedArgs, doc: CellsDocument, cellsFile: string): TrainSettings {
  const f = args.flags;
  const recorded = recordedTraining(doc);
  const dataset = datasetNameFromArg((f.dataset as string | undefined) ?? recorded.dataset ?? 'cifar10', trainCommand);
  const imageSize = imageSizeFromArgs(args, dataset, trainCommand);
  return {
    cellsFile,
    dataset,
    ...(imageSize !== undefined
      ? { imageSize: args.given.has('image-size') || dataset !== recorded.dataset ? imageSize : (recorded.imageSize ?? imageSize) }
      : {}),
    epochs: f.epochs as number,
    channels: (f.channels as number[] | undefined) ?? recorded.channels ?? DEFAULT_CHANNELS,
    batchSize: f['batch-size'] as number,
    lr: f.lr as number,
    seed: (f.seed as number | undefined) ?? Math.floor(Math.random() * 2 ** 31),
    ...(f['train-limit'] !== undefined ? { trainLimit: f['train-limit'] as number } : {}),
    ...(f['micro-batch'] !== undefined ? { microBatch: f['micro-batch'] as number } : {}),
    backend: f.backend as BackendChoice,
    // The search's own data directory, for its own data set, before any cache or download.
    ...(f['data-dir'] !== undefined
      ? { dataDir: dataSourceFromArgs(args, trainCommand).dataDir }
      : recorded.dataDir !== undefined && dataset === recorded.dataset
        ? { dataDir: recorded.dataDir }
        : {}),
    out: resolve((f.out as string | undefined) ?? join(dirname(cellsFile), `train-${timestamp()}`)),
  };
}

/**
 * Refuses, before anything slow, an `out` the model cannot be written to: a file, a directory that
 * holds an earlier training or cannot be written, or a place that cannot be made. Makes nothing.
 */
export function checkOut(out: string): void {
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new Error(`--out ${out} is a file, not a directory: choose another --out`);
    const taken = [MODEL_FILE, WEIGHTS_FILE, RESULT_FILE].filter((name) => existsSync(join(out, name)));
    if (taken.length > 0) throw new Error(`${out} already holds ${taken.join(', ')} of an earlier training; choose another --out`);
    if (!writable(out)) throw new Error(`--out ${out} cannot be written to (no permission)`);
    return;
  }
  let parent = dirname(out);
  while (!existsSync(parent)) parent = dirname(parent);
  if (!statSync(parent).isDirectory()) throw new Error(`--out ${out} cannot be made: ${parent} is a file, not a directory`);
  if (!writable(parent)) throw new Error(`--out ${out} cannot be made: ${parent} is not writable`);
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Makes `out` (checked again: the training took a while); returns whether it was created. */
function prepareOut(out: string): boolean {
  checkOut(out);
  if (existsSync(out)) return false;
  mkdirSync(out, { recursive: true });
  return true;
}

export async function runTrainCommand(args: ParsedArgs, print: (line: string) => void = console.log): Promise<number> {
  // With --json, stdout holds the result alone; everything said on the way goes to stderr.
  const json = args.flags.json === true;
  const log = json ? (line: string) => console.error(line) : print;
  const cellsArg = args.flags.cells as string | undefined;
  if (cellsArg === undefined) throw new UsageError('missing --cells FILE (a best-cells.json, or a {normal, reduction} pair)', trainCommand);
  const cellsFile = resolve(cellsArg);
  // Checked before anything slow, so a bad file fails at once; CellsValidationError lists every problem.
  const doc = readCellsFile(cellsFile, { space: spaceFromFlags(args) });
  const s = trainSettingsFromArgs(args, doc, cellsFile);
  checkOut(s.out);
  const key = cellsHash(doc.cells);
  const searchAccuracy = doc.best?.accuracy;
  log(`cells: ${cellsFile} (${doc.kind}, key ${key}${searchAccuracy !== undefined ? `, validation accuracy ${searchAccuracy.toFixed(4)} in the search` : ''})`);
  log(formatCells(doc.cells));

  if (args.flags['data-dir'] === undefined && s.dataDir !== undefined)
    log(`data directory: ${s.dataDir} (where the search read its data, recorded in ${basename(cellsFile)}; --data-dir overrides it)`);

  const backend = await prepareBackend(s.backend);
  for (const line of describeBackend(backend)) log(line);

  const cifar = s.dataset === 'cifar10';
  // Ctrl-C stops between two batches and writes nothing; a second one ends the process at once.
  // Once the files are being written, both wait for the writes to finish.
  const stop = new AbortController();
  let writing = false;
  let created = false;
  let progress: TrainProgress | undefined;
  const onSigint = () => {
    progress?.clear();
    if (writing) return log('\nwriting the model; stopping right after');
    if (!stop.signal.aborted) {
      stop.abort(new Error('interrupted'));
      log('\nstopping after this batch; nothing will be written (Ctrl-C again to quit now)');
    } else {
      if (created && readdirSync(s.out).length === 0) rmdirSync(s.out);
      process.exit(130);
    }
  };
  process.on('SIGINT', onSigint);
  let trained: TrainCellsResult | undefined;
  try {
    trained = await trainCells(doc.cells, {
      dataset: resolveDataset(s.dataset),
      load: { ...dataSourceFromArgs(args, trainCommand), dataDir: s.dataDir, limit: s.trainLimit, imageSize: s.imageSize, onProgress: downloadBar(), log },
      backend,
      channels: s.channels,
      hierarchical: doc.space.hierarchical,
      epochs: s.epochs,
      batchSize: s.batchSize,
      lr: s.lr,
      seed: s.seed,
      microBatch: s.microBatch,
      onData: (data, microBatch) => {
        const { train, test } = data;
        log(
          `data: ${train.count} training and ${test.count} test images from ${data.source}${data.record.synthetic === true ? ' (SYNTHETIC, not CIFAR-10)' : ''}${cifar ? '' : ` (${s.dataset}, ${train.height}x${train.width}x${train.channels}, ${data.classes.length} classes)`}`,
        );
        created = prepareOut(s.out);
        log(`out: ${s.out}`);
        log(
          `training ${s.epochs} epoch${s.epochs === 1 ? '' : 's'}, channels ${s.channels.join(',')}, batch ${s.batchSize}${microBatch ? ` (micro-batches of ${microBatch})` : ''}, lr ${s.lr}, seed ${s.seed}`,
        );
        progress = new TrainProgress({
          epochs: s.epochs,
          images: train.count,
          batchSize: s.batchSize,
          ...(json ? { write: (t: string) => process.stderr.write(t), isTTY: Boolean(process.stderr.isTTY) } : {}),
        });
      },
      hooks: {
        onEpochStart: () => progress?.epochStart(),
        onBatch: (e, b, n, loss) => progress?.batch(e, b, n, loss),
        onEpochEnd: (e) => progress?.epochEnd(e),
        onPhase: (p, images) =>
          progress?.phase(
            p,
            p === 'recalibrate' ? `${images} training images` : cifar ? `the ${images} images of ${TEST_BATCH_FILE}` : `the ${images} test images`,
          ),
        onTestBatch: (done, total) => progress?.testBatch(done, total),
        signal: stop.signal,
      },
    });
    const { result, data, microBatch } = trained;
    const { train } = data;
    const dataDir = data.source;
    const synthetic = data.record.synthetic === true;
    progress?.clear();
    writing = true;
    const { weightsBytes } = await saveLayersModel(result.model, s.out, {
      nascent: {
        cells: doc.cells,
        key,
        channels: s.channels,
        hierarchical: doc.space.hierarchical,
        dataset: s.dataset,
        inputShape: [train.height, train.width, train.channels],
        classes: data.classes,
      },
    });
    const written = {
      format: 'nascent.train-result',
      version: 1,
      cells: doc.cells,
      key,
      cellsFile,
      searchAccuracy: searchAccuracy ?? null,
      settings: { ...s, microBatch, hierarchical: doc.space.hierarchical, blocks: doc.space.blocks, bnRecalibrationBatches: FINAL_BN_BATCHES },
      epochs: result.epochs,
      testAccuracy: result.testAccuracy,
      testImages: result.testImages,
      trainImages: result.trainImages,
      params: result.params,
      seconds: result.seconds,
      backend: backend.name,
      dataset: s.dataset,
      dataDir,
      synthetic,
      ...(cifar ? {} : { data: { ...data.record, imageShape: [train.height, train.width, train.channels], classes: data.classes } }),
      model: MODEL_FILE,
      time: new Date().toISOString(),
    };
    writeJsonAtomic(join(s.out, RESULT_FILE), written);
    log(`test accuracy ${result.testAccuracy.toFixed(4)} on ${result.testImages} test images${synthetic ? ' (SYNTHETIC data)' : ''}`);
    log(
      `trained ${result.params} parameters for ${s.epochs} epoch${s.epochs === 1 ? '' : 's'} on ${result.trainImages} images in ${formatDuration(result.seconds)}`,
    );
    log(`model: ${join(s.out, MODEL_FILE)} (+ ${WEIGHTS_FILE}, ${(weightsBytes / 1e6).toFixed(2)} MB)`);
    log(`result: ${join(s.out, RESULT_FILE)}`);
    if (json) print(JSON.stringify(written, null, 2));
    return 0;
  } catch (err) {
    progress?.clear();
    // An empty directory made for this run would only mislead; one that existed before stays.
    if (created && readdirSync(s.out).length === 0) rmdirSync(s.out);
    if (stop.signal.aborted && err === stop.signal.reason) {
      log('interrupted: no model or result written.');
      return 130;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
    trained?.result.model.dispose();
  }
}
