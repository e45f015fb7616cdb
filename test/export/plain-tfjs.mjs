// Loads an exported model with @tensorflow/tfjs alone, as a page without nascent would, and
// prints its probabilities for the pixels in argv[3] (float32, NHWC) as JSON. Run by export.test.ts
// in a process of its own, so none of nascent's layer classes are registered.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

const [dir, pixelsFile, n] = process.argv.slice(2);
await tf.setBackend('cpu');
const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
const bytes = readFileSync(join(dir, 'weights.bin'));
const specs = modelJson.weightsManifest.flatMap((g) => g.weights);
const model = await tf.loadLayersModel(
  tf.io.fromMemory({
    modelTopology: modelJson.modelTopology,
    weightSpecs: specs,
    weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  }),
);
const raw = readFileSync(pixelsFile);
const pixels = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
const [h, w, c] = modelJson.userDefinedMetadata.nascent.inputShape;
const y = model.predict(tf.tensor4d(pixels, [Number(n), h, w, c]));
process.stdout.write(JSON.stringify(Array.from(await y.data())));
