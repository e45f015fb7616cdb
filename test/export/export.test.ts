// nascent export: the tfjs export is made of standard layers only, loads in @tensorflow/tfjs with
// nothing of nascent, and predicts what nascent's own model predicts on the real CIFAR-10 test
// images within 1e-5 (on cpu and wasm); the ONNX export, run by onnxruntime-web, within 1e-4;
// quantized weights shrink the files and their accuracy is measured.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import onnxProto from 'onnx-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_FILE, exportModel } from '../../src/export/export.js';
import { loadExportSource } from '../../src/export/source.js';
import { tfjsExport } from '../../src/export/write-tfjs.js';
import { loadTestImages, pixelsOf, tfjsPredict } from '../../src/export/verify.js';
import { haveShared, SHARED } from '../helpers/shared.js';
import { savedChild } from './fixture.js';

const DATA = join(SHARED, 'data/cifar10-subset');
const withImages = haveShared(DATA, 'the CIFAR-10 subset');
const ROOT = join(__dirname, '../..');

let dir: string;
// wasm (XNNPACK) is what nascent runs on by default, and many times faster than cpu here.
beforeAll(async () => {
  await tf.setBackend('wasm');
  dir = await savedChild();
});

const outDir = () => join(mkdtempSync(join(tmpdir(), 'nascent-export-out-')), 'out');

describe('tfjs export', () => {
  it("replaces nascent's layers with standard ones and keeps every weight", async () => {
    const source = await loadExportSource(dir);
    const classes = (t: { config: { layers: Array<{ class_name: string }> } }) => t.config.layers.map((l) => l.class_name);
    const before = classes(source.topology);
    const e = tfjsExport(source);
    const after = classes(e.modelJson.modelTopology as never);
    const count = (list: string[], c: string) => list.filter((x) => x === c).length;
    expect(after.filter((c) => c.startsWith('Nascent'))).toEqual([]);
    expect(count(after, 'BatchNormalization')).toBe(count(before, 'NascentFusedBatchNormalization'));
    expect(count(before, 'NascentFusedBatchNormalization')).toBeGreaterThan(10);
    expect(count(after, 'AveragePooling2D')).toBe(count(before, 'NascentAvgPool3x3ExcludePad'));
    expect(count(before, 'NascentAvgPool3x3ExcludePad')).toBeGreaterThan(0);
    expect(count(after, 'Reshape')).toBe(count(before, 'NascentAlias'));
    expect(count(before, 'NascentAlias')).toBeGreaterThan(0);
    expect(e.modelJson.weightsManifest[0]!.weights).toEqual(source.weightSpecs);
    expect(e.weights).toEqual(new Uint8Array(source.weightData));
    source.model.dispose();
  });

  it('loads in plain @tensorflow/tfjs, in a process without nascent, and predicts the same', async () => {
    const out = outDir();
    await exportModel(dir, { format: 'tfjs', out, check: false });
    const source = await loadExportSource(dir);
    // Real test images where there are some, else a fixed noise pattern.
    const n = 16;
    const pixels = withImages
      ? pixelsOf((await loadTestImages('cifar10', { dataDir: DATA })).set, 0, n)
      : Float32Array.from({ length: n * 3072 }, (_, i) => ((i * 7919) % 256) / 255);
    const file = join(out, 'pixels.f32');
    writeFileSync(file, pixels);
    const stdout = execFileSync(process.execPath, [join(__dirname, 'plain-tfjs.mjs'), out, file, String(n)], { cwd: ROOT, encoding: 'utf8' });
    const plain = Float32Array.from(JSON.parse(stdout) as number[]);
    const reference = await tfjsPredict(source.model, [32, 32, 3])(pixels, n);
    expect(plain.length).toBe(n * 10);
    const diff = Math.max(...plain.map((v, i) => Math.abs(v - reference[i]!)));
    expect(diff).toBeLessThanOrEqual(1e-5);
    source.model.dispose();
  });

  // cpu is slow: it checks the first 64 images; wasm every one.
  describe.runIf(withImages).each([
    ['cpu', 64],
    ['wasm', 846],
  ] as const)('on the %s backend', (backend, images) => {
    it(`matches nascent's model within 1e-5 on ${images} test images`, async () => {
      await tf.setBackend(backend);
      const out = outDir();
      const r = await exportModel(dir, { format: 'tfjs', out, dataDir: DATA, checkLimit: images });
      expect(r.check!.images).toBe(images);
      expect(r.check!.maxAbsDiff).toBeLessThanOrEqual(1e-5);
      expect(r.check!.within).toBe(true);
      expect(r.check!.sameTop1).toBe(1);
      const pre = JSON.parse(readFileSync(join(out, 'preprocessing.json'), 'utf8'));
      expect(pre).toMatchObject({ input: { name: 'image', layout: 'NHWC', shape: [1, 32, 32, 3] }, scale: 1 / 255, offset: 0, output: { name: 'head_dense' } });
      expect(pre.output.classes[3]).toBe('cat');
      expect(JSON.parse(readFileSync(join(out, EXPORT_FILE), 'utf8')).check.maxAbsDiff).toBe(r.check!.maxAbsDiff);
      await tf.setBackend('wasm');
    });
  });
});

describe.runIf(withImages)('onnx export', () => {
  it("matches nascent's model within 1e-4 on every test image, run by onnxruntime-web", async () => {
    const out = outDir();
    const r = await exportModel(dir, { format: 'onnx', out, dataDir: DATA });
    expect(r.opset).toBe(13);
    expect(r.check!.images).toBe(846);
    expect(r.check!.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    expect(r.check!.sameTop1).toBe(1);
    const { onnx } = onnxProto;
    const model = onnx.ModelProto.decode(readFileSync(join(out, 'model.onnx')));
    expect((model.opsetImport ?? []).map((o) => [o.domain, Number(o.version)])).toEqual([['', 13]]);
    const graph = model.graph!;
    const nodes = graph.node ?? [];
    const ops = new Set(nodes.map((n) => n.opType));
    for (const op of ['Transpose', 'Conv', 'BatchNormalization', 'AveragePool', 'MaxPool', 'Pad', 'Sum', 'Concat', 'Identity', 'Gemm', 'Softmax'])
      expect(ops).toContain(op);
    const pool = nodes.find((n) => n.opType === 'AveragePool')!;
    expect(Number((pool.attribute ?? []).find((a) => a.name === 'count_include_pad')!.i)).toBe(0);
    expect((graph.input ?? [])[0]!.name).toBe('image');
  });
});

describe.runIf(withImages)('quantized weights', () => {
  it('float16 halves and uint8 quarters the kernels; tfjs and ONNX dequantize to the same model', async () => {
    const source = await loadExportSource(dir);
    // Kernels of >= 256 values shrink; batch-norm vectors stay float32.
    const sizes = source.weightSpecs.map((w) => w.shape.reduce((a, d) => a * d, 1));
    source.model.dispose();
    const expected = (bytes: number) => sizes.reduce((a, n) => a + n * (n >= 256 ? bytes : 4), 0);
    const onnxPlain = (await exportModel(dir, { format: 'onnx', out: outDir(), check: false })).files['model.onnx']!;
    const results = [];
    for (const quantize of ['float16', 'uint8'] as const) {
      const t = await exportModel(dir, { format: 'tfjs', out: outDir(), quantize, dataDir: DATA, checkLimit: 128 });
      const o = await exportModel(dir, { format: 'onnx', out: outDir(), quantize, dataDir: DATA, checkLimit: 128 });
      results.push({ quantize, t, o });
      expect(t.files['weights.bin']).toBe(expected(quantize === 'float16' ? 2 : 1));
      // ONNX adds names and dequantizing nodes per weight: a few hundred bytes each.
      expect(o.files['model.onnx']).toBeLessThan(onnxPlain - (expected(4) - expected(quantize === 'float16' ? 2 : 1)) + 200 * sizes.length);
      expect(t.check!.tolerance).toBeNull();
      // Same dequantized weights, so the same predictions up to float arithmetic.
      expect(Math.abs(t.check!.maxAbsDiff - o.check!.maxAbsDiff)).toBeLessThan(1e-4);
      expect(Math.abs(t.check!.candidateAccuracy - o.check!.candidateAccuracy)).toBeLessThanOrEqual(2 / 846);
    }
    // float16 rounds far less than uint8
    expect(results[0]!.t.check!.maxAbsDiff).toBeLessThan(results[1]!.t.check!.maxAbsDiff);
    expect(results[0]!.t.check!.maxAbsDiff).toBeLessThan(1e-2);
  });
});

describe('bad input', () => {
  it('names what is wrong', async () => {
    await expect(exportModel('/nonexistent/model', { format: 'tfjs', out: outDir() })).rejects.toThrow(/does not exist/);
    const empty = mkdtempSync(join(tmpdir(), 'nascent-export-empty-'));
    await expect(exportModel(empty, { format: 'tfjs', out: outDir() })).rejects.toThrow(/holds no model.json/);
    const out = outDir();
    await exportModel(dir, { format: 'tfjs', out, check: false });
    await expect(exportModel(dir, { format: 'onnx', out, check: false })).rejects.toThrow(
      /already holds model.json, weights.bin, preprocessing.json, export.json/,
    );
    expect(existsSync(join(out, 'model.onnx'))).toBe(false);
  });
});
