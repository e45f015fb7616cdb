// `nascent validate`: every kind of cells file, every problem with its path, exit 0 / 1 / 2.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cellsHash } from '../../src/spaces/nasnet/key.js';
import { sampleCells } from '../../src/spaces/nasnet/sample.js';
import { runValidateCommand, validateCommand } from '../../src/cli/commands/validate.js';
import { parseArgs } from '../../src/cli/flags.js';
import { Rng } from '../../src/util/random.js';
import { EXAMPLE } from '../spaces/nasnet/helpers.js';

const work = mkdtempSync(join(tmpdir(), 'nascent-validate-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function file(name: string, content: unknown): string {
  const path = join(work, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}

async function validate(...argv: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runValidateCommand(parseArgs(validateCommand, argv), (l) => lines.push(l));
  return { code, lines };
}

const best = (over: Record<string, unknown> = {}) => ({
  format: 'nascent.best-cells',
  version: 1,
  cells: EXAMPLE,
  key: cellsHash(EXAMPLE),
  accuracy: 0.7712,
  episode: 87,
  params: 3212674,
  settings: { channels: [4, 16, 16, 256, 256], blocks: 5, hierarchical: false },
  ...over,
});

describe('nascent validate', () => {
  it('accepts best-cells files, bare pairs and trial lines, with a summary of each', async () => {
    const hierCells = sampleCells(new Rng(3), { blocks: 3, hierarchical: true });
    const files = [
      file('best.json', best()),
      file('pair.json', EXAMPLE),
      file('hier-best.json', best({ cells: hierCells, settings: { blocks: 3, hierarchical: true } })),
      file('trials.jsonl', [1, 2].map((episode) => JSON.stringify({ episode, cells: sampleCells(new Rng(episode)), accuracy: 0.3 })).join('\n') + '\n'),
    ];
    const r = await validate(...files);
    expect(r.code).toBe(0);
    expect(r.lines).toEqual([
      `ok ${files[0]}: best-cells v1, episode 87, validation accuracy 0.7712, 3212674 params, 5 flat blocks per cell, key ${cellsHash(EXAMPLE)}`,
      `ok ${files[1]}: cell pair, 5 flat blocks per cell, key ${cellsHash(EXAMPLE)}`,
      `ok ${files[2]}: best-cells v1, episode 87, validation accuracy 0.7712, 3212674 params, 3 hierarchical blocks per cell, key ${cellsHash(hierCells)}`,
      `ok ${files[3]}: 2 records with valid cells`,
    ]);
  });

  it('prints every problem as FILE: PATH: MESSAGE and exits 1 when any file is invalid', async () => {
    const broken = JSON.parse(JSON.stringify(best()));
    broken.cells.normal[2].ops[1] = 'sep_9x9';
    broken.cells.reduction[0].combin = 'add';
    broken.accuracy = 77.12;
    const bad = file('bad.json', broken);
    const good = file('good.json', EXAMPLE);
    const r = await validate(good, bad);
    expect(r.code).toBe(1);
    expect(r.lines[0]).toMatch(/^ok /);
    expect(r.lines.slice(1)).toEqual([
      `${bad}: accuracy: expected a number from 0 to 1, got 77.12`,
      `${bad}: cells.normal[2].ops[1]: "sep_9x9" is not an operation (expected one of sep_3x3, sep_5x5, sep_7x7, avg_3x3, max_3x3, identity)`,
      `${bad}: cells.reduction[0].combin: unknown key (a block has inputs, ops and combine; did you mean "combine"?)`,
    ]);
  });

  it('refuses a newer version with one clear line, not a list of field errors', async () => {
    const v2 = file('v2.json', { ...best(), version: 2, cells: 'a new shape' });
    expect((await validate(v2)).lines).toEqual([`${v2}: version: version 2 is newer than this nascent reads (version 1); upgrade nascent to read this file`]);
    const config = file('config.json', { format: 'nascent.search-config', version: 1 });
    expect((await validate(config)).lines).toEqual([`${config}: format: "nascent.search-config" is not a cells file format (expected "nascent.best-cells")`]);
  });

  it('names unreadable files and JSON syntax errors by line and column', async () => {
    const syntax = file('syntax.json', '{\n  "normal": [1,\n}\n');
    const lines = file('lines.jsonl', `${JSON.stringify({ cells: EXAMPLE })}\n{"cells": }\n`);
    const empty = file('empty.jsonl', '\n');
    const r = await validate(syntax, join(work, 'missing.json'), work, lines, empty);
    expect(r.code).toBe(1);
    expect(r.lines).toEqual([
      `${syntax}:3:1: not valid JSON: Unexpected token '}'`,
      `${join(work, 'missing.json')}: cannot read: no such file`,
      `${work}: cannot read: is a directory, not a cells file`,
      `${lines}:2:11: not valid JSON: Unexpected token '}'`,
      `${empty}: no records (the file is empty)`,
    ]);
  });

  it('reads files that record no space with --blocks and --hierarchical', async () => {
    const cells = sampleCells(new Rng(9), { blocks: 4, hierarchical: true });
    const pair = file('hier-pair.json', cells);
    const flat = await validate(pair);
    expect(flat.code).toBe(1);
    expect(flat.lines.some((l) => l.includes('normal: expected 5 blocks, got 4'))).toBe(true);
    expect(await validate('--blocks', '4', '--hierarchical', pair)).toEqual({
      code: 0,
      lines: [`ok ${pair}: cell pair, 4 hierarchical blocks per cell, key ${cellsHash(cells)}`],
    });
    // A best-cells file's own settings win: they say how it was searched.
    const recorded = file('recorded.json', best());
    expect((await validate('--blocks', '4', recorded)).code).toBe(0);
  });

  it('is a command of the real executable: exit 0, 1, and 2 for a usage error', () => {
    const bin = join(resolve(__dirname, '../..'), 'bin', 'nascent.mjs');
    const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'validate', ...args], { encoding: 'utf8', timeout: 60_000 });
    const ok = run(file('ok.json', best()));
    expect(ok.stdout).toMatch(/^ok .*ok\.json: best-cells v1/);
    expect(ok.status).toBe(0);
    const bad = run(file('bad2.json', { normal: [] }));
    expect(bad.stdout).toMatch(/bad2\.json: normal: expected 5 blocks, got 0/);
    expect(bad.status).toBe(1);
    const usage = run();
    expect(usage.stderr).toMatch(/missing <file>/);
    expect(usage.status).toBe(2);
  }, 120_000);
});
