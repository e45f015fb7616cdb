// The pieces of the ONNX translation that are easy to get subtly wrong: TF's 'same' padding (the
// odd pixel goes after), the kernel transposition, and uint8 quantization's round trip.
import { describe, expect, it } from 'vitest';
import { samePads, transpose } from '../../src/export/onnx-graph.js';
import { fromUint8, toUint8 } from '../../src/export/quantize.js';

describe('samePads', () => {
  it("pads as TF's 'same' does", () => {
    expect(samePads(32, 3, 1)).toEqual([1, 1]);
    expect(samePads(32, 7, 1)).toEqual([3, 3]);
    // stride 2 on an even size: total 1, after only (why nascent pads strided convs itself)
    expect(samePads(32, 3, 2)).toEqual([0, 1]);
    expect(samePads(33, 3, 2)).toEqual([1, 1]);
    expect(samePads(8, 3, 1, 2)).toEqual([2, 2]);
  });
});

describe('transpose', () => {
  it("turns tfjs's [kh, kw, in, out] kernel into ONNX's [out, in, kh, kw]", () => {
    const shape = [2, 3, 4, 5];
    const values = Float32Array.from({ length: 120 }, (_, i) => i);
    const t = transpose(values, shape, [3, 2, 0, 1]);
    expect(t.shape).toEqual([5, 4, 2, 3]);
    const at = (h: number, w: number, i: number, o: number) => ((h * 3 + w) * 4 + i) * 5 + o;
    for (const [h, w, i, o] of [
      [0, 0, 0, 0],
      [1, 2, 3, 4],
      [1, 0, 2, 3],
      [0, 2, 1, 1],
    ]) {
      expect(t.values[((o! * 4 + i!) * 2 + h!) * 3 + w!]).toBe(at(h!, w!, i!, o!));
    }
  });
});

describe('uint8 quantization', () => {
  it('keeps every value within half a step, and the ends exactly', () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 0.3 - 0.05);
    const q = toUint8(values);
    const back = fromUint8(q);
    const step = q.scale;
    for (let i = 0; i < values.length; i++) expect(Math.abs(back[i]! - values[i]!)).toBeLessThanOrEqual(step / 2 + 1e-7);
    expect(Math.min(...back)).toBeCloseTo(Math.min(...values), 6);
    expect(Math.max(...back)).toBeCloseTo(Math.max(...values), 6);
    expect(fromUint8(toUint8(new Float32Array(4).fill(0.5)))).toEqual(new Float32Array(4).fill(0.5));
  });
});
