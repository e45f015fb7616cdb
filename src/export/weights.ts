// The weights of a tfjs layers model, one by one, and their re-encoding into one weights.bin with
// an optionally quantized manifest.
import type * as tf from '@tensorflow/tfjs-core';
import { type Quantization, shouldQuantize, toFloat16, toUint8 } from './quantize.js';

export interface NamedWeight {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** Splits a layers model's weightData by its specs. Only float32 weights occur in a child. */
export function splitWeights(specs: tf.io.WeightsManifestEntry[], data: ArrayBuffer): NamedWeight[] {
  let offset = 0;
  return specs.map((spec) => {
    if (spec.dtype !== 'float32' || spec.quantization)
      throw new Error(`weight ${spec.name} is ${spec.quantization?.dtype ?? spec.dtype}, expected plain float32`);
    const size = spec.shape.reduce((a, d) => a * d, 1);
    const values = new Float32Array(data.slice(offset, offset + size * 4));
    offset += size * 4;
    return { name: spec.name, shape: spec.shape, values };
  });
}

/** One weights.bin and its manifest entries: float32, or quantized where shouldQuantize says. */
export function encodeWeights(weights: NamedWeight[], quantize?: Quantization): { specs: tf.io.WeightsManifestEntry[]; data: Uint8Array } {
  const parts: Uint8Array[] = [];
  const specs = weights.map((w): tf.io.WeightsManifestEntry => {
    const spec = { name: w.name, shape: w.shape, dtype: 'float32' as const };
    if (!quantize || !shouldQuantize(w.values.length)) {
      parts.push(new Uint8Array(w.values.buffer, w.values.byteOffset, w.values.byteLength));
      return spec;
    }
    if (quantize === 'float16') {
      parts.push(toFloat16(w.values));
      return { ...spec, quantization: { dtype: 'float16' } };
    }
    const q = toUint8(w.values);
    parts.push(q.bytes);
    return { ...spec, quantization: { dtype: 'uint8', scale: q.scale, min: q.min } };
  });
  const data = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.byteLength;
  }
  return { specs, data };
}
