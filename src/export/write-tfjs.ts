// Writes the tfjs export: model.json (standard layers only) and weights.bin, optionally quantized.
// The model loads with tf.loadLayersModel('model.json') in a page that has only @tensorflow/tfjs.
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { writeFileAtomic, writeJsonAtomic } from '../store/atomic.js';
import type { Quantization } from './quantize.js';
import type { ExportSource } from './source.js';
import { nonStandardClasses, standardTopology } from './tfjs.js';
import { encodeWeights, splitWeights } from './weights.js';

export const TFJS_MODEL_FILE = 'model.json';
export const TFJS_WEIGHTS_FILE = 'weights.bin';

export interface TfjsExport {
  modelJson: tf.io.ModelJSON;
  weights: Uint8Array;
}

export function tfjsExport(source: ExportSource, quantize?: Quantization): TfjsExport {
  const topology = standardTopology(source.topology, source.model);
  const left = nonStandardClasses(topology);
  if (left.length > 0) throw new Error(`the exported topology still names ${left.join(', ')}`);
  const { specs, data } = encodeWeights(splitWeights(source.weightSpecs, source.weightData), quantize);
  const modelJson: tf.io.ModelJSON = {
    modelTopology: topology,
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
    convertedBy: `nascent export${quantize ? ` (${quantize} weights)` : ''}`,
    weightsManifest: [{ paths: [`./${TFJS_WEIGHTS_FILE}`], weights: specs }],
    userDefinedMetadata: { nascent: source.meta },
  };
  return { modelJson, weights: data };
}

/** Writes the export into `dir` (which must exist): weights first, model.json last. */
export function writeTfjsExport(e: TfjsExport, dir: string): { modelPath: string; bytes: number } {
  writeFileAtomic(join(dir, TFJS_WEIGHTS_FILE), e.weights);
  const modelPath = join(dir, TFJS_MODEL_FILE);
  writeJsonAtomic(modelPath, e.modelJson);
  return { modelPath, bytes: e.weights.byteLength + Buffer.byteLength(JSON.stringify(e.modelJson)) };
}

/** Loads an export from memory, as tf.loadLayersModel would from its files. */
export async function loadTfjsExport(e: TfjsExport): Promise<tfl.LayersModel> {
  const specs = e.modelJson.weightsManifest.flatMap((g) => g.weights);
  const buffer = e.weights.buffer.slice(e.weights.byteOffset, e.weights.byteOffset + e.weights.byteLength) as ArrayBuffer;
  const artifacts = await tf.io.getModelArtifactsForJSON(e.modelJson, async () => [specs, buffer]);
  return tfl.loadLayersModel(tf.io.fromMemory(artifacts));
}
