// Weight quantization for exported models, in the encodings the loaders already decode:
// tfjs's weights manifest (`quantization: {dtype: 'float16'}` or `{dtype: 'uint8', scale, min}`,
// the scheme tfjs-converter writes, dequantized by tf.loadLayersModel) and, for ONNX, float16
// initializers with a Cast or uint8 ones with DequantizeLinear.
//
// Only tensors of at least MIN_QUANTIZED_SIZE values are quantized: the convolution and dense
// kernels, nearly all of the bytes. Batch-norm vectors stay float32: they are a few hundred bytes,
// and a moving variance rounded to 1/255 of its range can divide by almost nothing.
import { setFloat16 } from '@petamoriken/float16';

export const QUANTIZATIONS = ['float16', 'uint8'] as const;
export type Quantization = (typeof QUANTIZATIONS)[number];

export const MIN_QUANTIZED_SIZE = 256;

export function shouldQuantize(size: number): boolean {
  return size >= MIN_QUANTIZED_SIZE;
}

export function toFloat16(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) setFloat16(view, i * 2, values[i]!, true);
  return out;
}

export interface Uint8Quantized {
  bytes: Uint8Array;
  /** value = byte * scale + min */
  scale: number;
  min: number;
}

/** Affine uint8 over the tensor's range (tfjs-converter's scheme: value = q * scale + min). */
export function toUint8(values: Float32Array): Uint8Quantized {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (values.length === 0) return { bytes: new Uint8Array(0), scale: 1, min: 0 };
  const scale = max > min ? (max - min) / 255 : 1;
  const bytes = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) bytes[i] = Math.max(0, Math.min(255, Math.round((values[i]! - min) / scale)));
  return { bytes, scale, min };
}

/** The values a reader gets back from toUint8's encoding. */
export function fromUint8(q: Uint8Quantized): Float32Array {
  return Float32Array.from(q.bytes, (b) => b * q.scale + q.min);
}
