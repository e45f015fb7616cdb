// `nascent export <trained model dir | best-cells.json> --format tfjs|onnx`: the found network as a
// file a web page or another runtime loads without nascent (src/export/ does the work), checked
// against nascent's own model on the test images before the command says it is done.
import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { BACKEND_CHOICES, type BackendChoice, prepareBackend } from '../../backend/index.js';
import { EXPORT_FILE, EXPORT_FORMATS, type ExportFormat, type ExportResult, checkExportOut, exportModel } from '../../export/export.js';
import { PREPROCESSING_FILE } from '../../export/preprocessing.js';
import { QUANTIZATIONS, type Quantization } from '../../export/quantize.js';
import { type CommandSpec, type ParsedArgs, UsageError } from '../flags.js';

export const exportCommand: CommandSpec = {
  name: 'export',
  brief: 'write a trained model as plain tfjs or ONNX, for a web page or any runtime',
  summary:
    'Write a model `nascent train` made (its directory) as a tfjs layers model that @tensorflow/tfjs\n' +
    'loads with nothing of nascent (--format tfjs), or as an ONNX model, opset 13 (--format onnx).\n' +
    'preprocessing.json beside it says how to feed it (size, channels, scaling), export.json what was\n' +
    "written and how it compares with nascent's model on the test images. A best-cells.json gives the\n" +
    'network with untrained (seeded) weights: for trying a deployment or timing it, not for predictions.',
  positionals: [{ name: 'source', help: 'a directory `nascent train` wrote, or a best-cells.json', required: true }],
  flags: [
    { name: 'format', type: 'enum', choices: EXPORT_FORMATS, help: 'tfjs (layers model) or onnx (required)' },
    { name: 'out', type: 'string', defaultLabel: '<source directory>/export-<format>[-<quantize>]', help: 'directory to write the model into' },
    { name: 'quantize', type: 'enum', choices: QUANTIZATIONS, help: 'store the convolution and dense kernels as float16 or uint8 (2x or 4x smaller)' },
    { name: 'check', type: 'bool', default: true, help: "compare the export with nascent's model on the test images (--no-check skips it)" },
    { name: 'check-limit', type: 'int', min: 1, max: 10_000_000, defaultLabel: 'all', help: 'compare on the first N test images only' },
    {
      name: 'data-dir',
      type: 'string',
      defaultLabel: "the training's data directory (result.json), else the data set's cache",
      help: 'where the test images are',
    },
    { name: 'seed', type: 'int', min: 0, max: 2 ** 31 - 1, default: 1, help: 'cells file only: seed of the initial weights' },
    { name: 'backend', type: 'enum', choices: BACKEND_CHOICES, default: 'auto', help: "tfjs backend nascent's model is loaded and checked on" },
    { name: 'json', type: 'bool', help: "print export.json's content as one JSON object on stdout" },
  ],
  examples: [
    'nascent export runs/20260101-120000Z/train-20260101-130000Z --format tfjs',
    'nascent export runs/20260101-120000Z/train-20260101-130000Z --format onnx --quantize uint8 --out site/model-onnx',
  ],
};

/** The data directory result.json records, so the check finds the test images the training used. */
function recordedDataDir(source: string): string | undefined {
  try {
    const dir = (JSON.parse(readFileSync(join(source, 'result.json'), 'utf8')) as { dataDir?: unknown }).dataDir;
    return typeof dir === 'string' ? dir : undefined;
  } catch {
    return undefined;
  }
}

function describe(r: ExportResult): string[] {
  const lines = [
    `wrote ${r.out}: ${Object.entries(r.files)
      .map(([f, b]) => `${f} ${(b / 1e6).toFixed(2)} MB`)
      .join(', ')}, ${PREPROCESSING_FILE}, ${EXPORT_FILE}`,
  ];
  if (r.opset) lines.push(`ONNX opset ${r.opset}`);
  const c = r.check;
  if (c) {
    lines.push(
      `check on ${c.images} test images: max |difference| ${c.maxAbsDiff.toExponential(2)}${c.tolerance !== null ? ` (bound ${c.tolerance.toExponential(0)}: ${c.within ? 'ok' : 'EXCEEDED'})` : ''}, same top class ${(c.sameTop1 * 100).toFixed(1)}%`,
      `test accuracy: nascent ${c.referenceAccuracy.toFixed(4)}, export ${c.candidateAccuracy.toFixed(4)}${r.quantize ? ` (${r.quantize} weights)` : ''}`,
    );
  }
  if (!r.trained) lines.push('UNTRAINED weights (the source is a cells file): run `nascent train` and export its directory for a model that predicts');
  return lines;
}

export async function runExportCommand(args: ParsedArgs, print: (line: string) => void = console.log): Promise<number> {
  const json = args.flags.json === true;
  const log = json ? (line: string) => console.error(line) : print;
  const format = args.flags.format as ExportFormat | undefined;
  if (format === undefined) throw new UsageError(`missing --format: ${EXPORT_FORMATS.join(' or ')}`, exportCommand);
  const source = resolve(args.positionals[0]!);
  const quantize = args.flags.quantize as Quantization | undefined;
  const base = source.endsWith('.json') ? dirname(source) : source;
  const out = resolve((args.flags.out as string | undefined) ?? join(base, `export-${format}${quantize ? `-${quantize}` : ''}`));
  checkExportOut(out);
  const check = args.flags.check !== false;
  // Loading or building the model needs a backend even when nothing is checked.
  const backend = await prepareBackend(args.flags.backend as BackendChoice);
  log(`backend: ${backend.name}`);
  const dataDir = (args.flags['data-dir'] as string | undefined) ?? recordedDataDir(source);
  const r = await exportModel(source, {
    format,
    out,
    ...(quantize ? { quantize } : {}),
    check,
    ...(dataDir !== undefined ? { dataDir } : {}),
    ...(args.flags['check-limit'] !== undefined ? { checkLimit: args.flags['check-limit'] as number } : {}),
    seed: args.flags.seed as number,
    log,
  });
  for (const line of describe(r)) log(line);
  if (json) print(JSON.stringify(r, null, 2));
  if (r.check?.within === false) {
    log(`the ${format} export differs from nascent's model by more than ${r.check.tolerance}: ${basename(out)} is written but should not be trusted`);
    return 1;
  }
  return 0;
}
