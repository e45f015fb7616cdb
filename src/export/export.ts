// `nascent export`'s work, as a library call: load the source, write the model in the chosen
// format with preprocessing.json beside it, check it against nascent's own model on the test
// images, and record what was written and measured in export.json.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../store/atomic.js';
import { ONNX_MODEL_FILE, ONNX_OPSET, onnxExport } from './onnx.js';
import { onnxRunner } from './onnx-run.js';
import { PREPROCESSING_FILE, preprocessingOf } from './preprocessing.js';
import type { Quantization } from './quantize.js';
import { type ExportSource, loadExportSource } from './source.js';
import { type Agreement, compare, loadTestImages, tfjsPredict } from './verify.js';
import { TFJS_MODEL_FILE, TFJS_WEIGHTS_FILE, loadTfjsExport, tfjsExport, writeTfjsExport } from './write-tfjs.js';

export const EXPORT_FORMATS = ['tfjs', 'onnx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const EXPORT_FILE = 'export.json';

/** Largest difference an unquantized export may have from nascent's model (the bounds). */
export const TOLERANCE: Record<ExportFormat, number> = { tfjs: 1e-5, onnx: 1e-4 };

export interface ExportOptions {
  format: ExportFormat;
  out: string;
  quantize?: Quantization;
  /** Compare with nascent's model on the test images (default true). */
  check?: boolean;
  dataDir?: string;
  /** Check on the first N test images only. */
  checkLimit?: number;
  /** Seed of the initial weights when the source is a cells file. */
  seed?: number;
  log?: (line: string) => void;
}

export interface ExportResult {
  format: ExportFormat;
  out: string;
  files: Record<string, number>;
  bytes: number;
  quantize: Quantization | null;
  opset?: number;
  trained: boolean;
  source: string;
  /** The exported model against nascent's own on the test images (absent with check: false). */
  check?: Agreement & { tolerance: number | null; testImages: string; within: boolean | null };
}

/** Refuses an `out` that is a file or already holds an export. */
export function checkExportOut(out: string): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new Error(`--out ${out} is a file, not a directory`);
  const taken = [TFJS_MODEL_FILE, TFJS_WEIGHTS_FILE, ONNX_MODEL_FILE, PREPROCESSING_FILE, EXPORT_FILE].filter((f) => existsSync(join(out, f)));
  if (taken.length > 0) throw new Error(`${out} already holds ${taken.join(', ')}: choose another --out`);
}

async function candidateOf(source: ExportSource, o: ExportOptions, files: Record<string, number>) {
  const shape = source.meta.inputShape;
  if (o.format === 'tfjs') {
    const e = tfjsExport(source, o.quantize);
    const { bytes } = writeTfjsExport(e, o.out);
    files[TFJS_WEIGHTS_FILE] = e.weights.byteLength;
    files[TFJS_MODEL_FILE] = bytes - e.weights.byteLength;
    if (o.check === false) return undefined;
    const model = await loadTfjsExport(e);
    return { predict: tfjsPredict(model, shape), release: async () => model.dispose() };
  }
  const bytes = onnxExport(source, o.quantize);
  writeFileAtomic(join(o.out, ONNX_MODEL_FILE), bytes);
  files[ONNX_MODEL_FILE] = bytes.byteLength;
  return o.check === false ? undefined : onnxRunner(bytes, shape);
}

export async function exportModel(path: string, o: ExportOptions): Promise<ExportResult> {
  const log = o.log ?? (() => {});
  checkExportOut(o.out);
  const source = await loadExportSource(path, { seed: o.seed });
  log(`source: ${source.describe}`);
  try {
    mkdirSync(o.out, { recursive: true });
    const files: Record<string, number> = {};
    const candidate = await candidateOf(source, o, files);
    // The model's input and output layers name the tensors in both formats (tfjs and ONNX alike).
    const ends = (k: string) => (source.topology.config[k] as Array<[string, number, number]>)[0]![0];
    const names = { input: ends('input_layers'), output: ends('output_layers') };
    const pre = preprocessingOf(source.meta, names);
    writeJsonAtomic(join(o.out, PREPROCESSING_FILE), pre);
    const result: ExportResult = {
      format: o.format,
      out: o.out,
      files,
      bytes: Object.values(files).reduce((a, b) => a + b, 0),
      quantize: o.quantize ?? null,
      ...(o.format === 'onnx' ? { opset: ONNX_OPSET } : {}),
      trained: source.trained,
      source: path,
    };
    if (candidate) {
      try {
        const { set, source: testImages } = await loadTestImages(source.meta.dataset, { dataDir: o.dataDir, imageSize: source.meta.inputShape[0] });
        log(`checking against nascent's model on ${Math.min(set.count, o.checkLimit ?? set.count)} test images of ${testImages}`);
        const a = await compare(tfjsPredict(source.model, source.meta.inputShape), candidate.predict, set, source.meta.classes.length, { limit: o.checkLimit });
        const tolerance = o.quantize ? null : TOLERANCE[o.format];
        result.check = { ...a, tolerance, testImages, within: tolerance === null ? null : a.maxAbsDiff <= tolerance };
      } finally {
        await candidate.release();
      }
    }
    writeJsonAtomic(join(o.out, EXPORT_FILE), { kind: 'nascent.export', version: 1, ...result, time: new Date().toISOString() });
    return result;
  } finally {
    source.model.dispose();
  }
}
