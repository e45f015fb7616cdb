// Saving a trained child in tfjs's layers format (model.json + weights.bin, what
// tf.loadLayersModel reads in a browser or tfjs-node) and loading it back. tfjs-node's file://
// handler is not available without libtensorflow, so the files are written here, each atomically:
// weights first, model.json last, so a model.json never names weights that are not there.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { writeFileAtomic, writeJsonAtomic } from '../../store/atomic.js';
// The child's own layer classes must be registered with tfjs's serialization before a model that
// uses them is loaded; layers.ts registers every one of them.
import './layers.js';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

/** Writes `model` into `dir` (which must exist) as model.json and weights.bin. */
export async function saveLayersModel(
  model: tfl.LayersModel,
  dir: string,
  metadata?: Record<string, unknown>,
): Promise<{ modelPath: string; weightsBytes: number }> {
  if (metadata) model.setUserDefinedMetadata(metadata);
  const modelPath = join(dir, MODEL_FILE);
  let weightsBytes = 0;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      if (!artifacts.modelTopology || !artifacts.weightSpecs || artifacts.weightData === undefined) {
        throw new Error('tfjs handed the save handler no topology or weights');
      }
      const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
      weightsBytes = weights.byteLength;
      writeFileAtomic(join(dir, WEIGHTS_FILE), weights);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs }],
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      writeJsonAtomic(modelPath, modelJson);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  return { modelPath, weightsBytes };
}

/** Loads a model written by saveLayersModel (or any single-shard tfjs layers model) from `dir`. */
export async function loadLayersModelFromDir(dir: string): Promise<tfl.LayersModel> {
  const modelPath = join(dir, MODEL_FILE);
  const modelJson = JSON.parse(readFileSync(modelPath, 'utf8')) as tf.io.ModelJSON;
  const artifacts = await tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
    const specs = manifest.flatMap((group) => group.weights);
    const shards = manifest
      .flatMap((group) => group.paths)
      .map((p) => {
        const bytes = readFileSync(join(dir, p));
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      });
    return [specs, tf.io.CompositeArrayBuffer.join(shards)];
  });
  return tfl.loadLayersModel(tf.io.fromMemory(artifacts));
}
