// `nascent validate FILE...`: checks cells files (best-cells.json, a bare {normal, reduction} pair,
// a trial record, or a whole trials.jsonl) and prints every problem with its JSON path.
import { readFileSync } from 'node:fs';
import { JsonSyntaxError, checkCellsDocument, parseJson, unreadableReason, type CellsDocument } from '../../spaces/nasnet/cells-file.js';
import { cellsHash } from '../../spaces/nasnet/key.js';
import { DEFAULT_SPACE, type CellSpace } from '../../spaces/nasnet/types.js';
import { CellsValidationError } from '../../spaces/nasnet/validate.js';
import type { CommandSpec, ParsedArgs } from '../flags.js';

export const validateCommand: CommandSpec = {
  name: 'validate',
  brief: 'check cells files, printing every problem with its path',
  summary:
    'Check cells files: best-cells.json (docs/best-cells.md), a bare {normal, reduction} pair, or a\n' +
    'trials.jsonl line by line. Prints `ok FILE: summary`, or every problem as `FILE: PATH: MESSAGE`;\n' +
    'exits 1 when any file is invalid.',
  positionals: [{ name: 'file', help: 'cells files to check', required: true, variadic: true }],
  flags: [
    {
      name: 'blocks',
      type: 'int',
      min: 1,
      max: 10,
      defaultLabel: "the file's settings.blocks, else 5",
      help: 'blocks per cell, for files that do not record it',
    },
    {
      name: 'hierarchical',
      type: 'bool',
      defaultLabel: "the file's settings.hierarchical, else off",
      help: 'blocks may read earlier blocks, for files that do not record it',
    },
  ],
  examples: ['nascent validate runs/*/best-cells.json', 'nascent validate --hierarchical my-cells.json', 'nascent validate runs/20250101-120000Z/trials.jsonl'],
};

/** The space for files that record none, from the flags. */
export function spaceFromFlags(args: ParsedArgs): CellSpace {
  return {
    blocks: (args.flags.blocks as number | undefined) ?? DEFAULT_SPACE.blocks,
    hierarchical: (args.flags.hierarchical as boolean | undefined) ?? DEFAULT_SPACE.hierarchical,
  };
}

const spaceText = (s: CellSpace) => `${s.blocks} ${s.hierarchical ? 'hierarchical' : 'flat'} block${s.blocks === 1 ? '' : 's'} per cell`;

/** One line saying what a valid document is. */
export function summarize(doc: CellsDocument): string {
  const key = `key ${cellsHash(doc.cells)}`;
  if (doc.kind === 'best-cells') {
    const b = doc.best!;
    return `best-cells v${b.version}, episode ${b.episode}, validation accuracy ${b.accuracy.toFixed(4)}, ${b.params} params, ${spaceText(doc.space)}, ${key}`;
  }
  if (doc.kind === 'wrapped') {
    const episode = typeof doc.wrapper?.episode === 'number' ? ` of episode ${doc.wrapper.episode}` : '';
    return `cells record${episode}, ${spaceText(doc.space)}, ${key}`;
  }
  return `cell pair, ${spaceText(doc.space)}, ${key}`;
}

/** Problems of one document as printed lines; `where` is `FILE` or `FILE:LINE`. */
function problems(err: unknown, where: string): string[] {
  if (err instanceof CellsValidationError) return err.errors.map((e) => `${where}: ${e.path}: ${e.message}`);
  if (err instanceof JsonSyntaxError) return [err.message];
  throw err;
}

/** Checks one file; returns its printed lines and whether it is valid. */
export function validateFile(file: string, space: CellSpace): { ok: boolean; lines: string[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, lines: [`${file}: cannot read: ${unreadableReason(err)}`] };
  }
  if (file.endsWith('.jsonl')) return validateLines(file, text, space);
  try {
    const doc = checkCellsDocument(parseJson(text, file), { space, source: file });
    return { ok: true, lines: [`ok ${file}: ${summarize(doc)}`] };
  } catch (err) {
    return { ok: false, lines: problems(err, file) };
  }
}

/** A JSON-lines file (trials.jsonl): every non-empty line is a cells document of its own. */
function validateLines(file: string, text: string, space: CellSpace): { ok: boolean; lines: string[] } {
  const lines: string[] = [];
  let records = 0;
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    records++;
    const where = `${file}:${i + 1}`;
    try {
      checkCellsDocument(parseJson(line, where), { space, source: where });
    } catch (err) {
      // A syntax error's line is the record's; its column is within the line.
      if (err instanceof JsonSyntaxError) lines.push(`${file}:${i + 1}:${err.column}: not valid JSON: ${err.reason}`);
      else lines.push(...problems(err, where));
    }
  });
  if (records === 0) return { ok: false, lines: [`${file}: no records (the file is empty)`] };
  if (lines.length > 0) return { ok: false, lines };
  return { ok: true, lines: [`ok ${file}: ${records} record${records === 1 ? '' : 's'} with valid cells`] };
}

export async function runValidateCommand(args: ParsedArgs, log: (line: string) => void = console.log): Promise<number> {
  const space = spaceFromFlags(args);
  let allValid = true;
  for (const file of args.positionals) {
    const { ok, lines } = validateFile(file, space);
    lines.forEach((l) => log(l));
    allValid &&= ok;
  }
  return allValid ? 0 : 1;
}
