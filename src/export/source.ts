// What `nascent export` starts from: a directory `nascent train` wrote (model.json, weights.bin,
// result.json), or a cells file (best-cells.json, a bare pair), which gives the network with its
// seeded initial weights: good for checking a deployment and measuring latency, not for predictions.
// Either way the result is the live nascent model plus its layers artifacts (topology and weights
// as tfjs saves them), which the tfjs and ONNX writers translate.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { buildChild } from '../evaluators/child/build.js';
import { MODEL_FILE, loadLayersModelFromDir } from '../evaluators/child/model-io.js';
import { readCellsFile } from '../spaces/nasnet/cells-file.js';
import type { CellPair } from '../spaces/nasnet/types.js';
import { CIFAR10_CLASS_NAMES } from '../data/datasets.js';
// What a cells file records of its search (channels, data set), read as `nascent train` reads it.
import { DEFAULT_CHANNELS, recordedTraining } from '../cli/commands/train.js';

const RESULT_FILE = 'result.json';

/** The `nascent` entry train.ts writes into model.json's userDefinedMetadata. */
export interface NascentMetadata {
  cells: CellPair;
  key?: string;
  channels: number[];
  hierarchical: boolean;
  dataset: string;
  /** [height, width, channels] */
  inputShape: [number, number, number];
  classes: string[];
}

export interface ExportSource {
  model: tfl.LayersModel;
  /** tfjs's layers topology (modelTopology of model.json). */
  topology: { class_name: string; config: { layers: LayerJson[]; [k: string]: unknown }; [k: string]: unknown };
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
  meta: NascentMetadata;
  /** False for a cells file: the weights are the seeded initial ones. */
  trained: boolean;
  /** result.json's testAccuracy, when there is one. */
  testAccuracy?: number;
  describe: string;
}

export interface LayerJson {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
  inbound_nodes: unknown[];
}

/** The model's topology and weights as tfjs's own serializer produces them. */
export async function artifactsOf(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
  if (!saved?.modelTopology || !saved.weightSpecs || saved.weightData === undefined) throw new Error('tfjs saved no topology or weights');
  return saved;
}

function metadataOf(dir: string): NascentMetadata {
  const json = JSON.parse(readFileSync(join(dir, MODEL_FILE), 'utf8')) as { userDefinedMetadata?: { nascent?: NascentMetadata } };
  const meta = json.userDefinedMetadata?.nascent;
  if (!meta || !Array.isArray(meta.inputShape) || !Array.isArray(meta.classes)) {
    throw new Error(`${join(dir, MODEL_FILE)} has no userDefinedMetadata.nascent (inputShape, classes): was it written by \`nascent train\`?`);
  }
  return meta;
}

export interface SourceOptions {
  /** Seed of the initial weights of a network built from a cells file. */
  seed?: number;
}

/** Loads `path`: a trained model directory or a cells file. Errors say which it is not and why. */
export async function loadExportSource(path: string, o: SourceOptions = {}): Promise<ExportSource> {
  if (!existsSync(path)) throw new Error(`${path} does not exist: give a directory \`nascent train\` wrote, or a best-cells.json`);
  let model: tfl.LayersModel;
  let meta: NascentMetadata;
  let trained: boolean;
  let testAccuracy: number | undefined;
  let describe: string;
  if (statSync(path).isDirectory()) {
    if (!existsSync(join(path, MODEL_FILE))) throw new Error(`${path} holds no ${MODEL_FILE}: give a directory \`nascent train\` wrote, or a best-cells.json`);
    meta = metadataOf(path);
    model = await loadLayersModelFromDir(path);
    trained = true;
    const resultPath = join(path, RESULT_FILE);
    if (existsSync(resultPath)) {
      const acc = (JSON.parse(readFileSync(resultPath, 'utf8')) as { testAccuracy?: unknown }).testAccuracy;
      if (typeof acc === 'number') testAccuracy = acc;
    }
    describe = `trained model ${path}`;
  } else {
    const doc = readCellsFile(path);
    const recorded = recordedTraining(doc);
    const channels = recorded.channels ?? DEFAULT_CHANNELS;
    const dataset = recorded.dataset ?? 'cifar10';
    // Class names and image shape of other data sets come with their data; a cells file has neither.
    if (dataset !== 'cifar10') throw new Error(`${path} is from a ${dataset} search: export the model \`nascent train\` makes of it instead`);
    const inputShape: [number, number, number] = [32, 32, 3];
    meta = { cells: doc.cells, channels, hierarchical: doc.space.hierarchical, dataset, inputShape, classes: CIFAR10_CLASS_NAMES };
    model = buildChild(doc.cells, { channels, inputShape, hierarchical: doc.space.hierarchical, seed: o.seed ?? 1 });
    trained = false;
    describe = `cells ${path} (UNTRAINED: initial weights of seed ${o.seed ?? 1}; run \`nascent train\` first for a model that predicts)`;
  }
  const a = await artifactsOf(model);
  return {
    model,
    topology: a.modelTopology as ExportSource['topology'],
    weightSpecs: a.weightSpecs!,
    weightData: tf.io.CompositeArrayBuffer.join(a.weightData!),
    meta,
    trained,
    ...(testAccuracy !== undefined ? { testAccuracy } : {}),
    describe,
  };
}
