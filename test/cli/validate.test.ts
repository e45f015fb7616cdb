// `nascent validate`: every kind of cells file, every problem with its path, exit 0 / 1 / 2.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cellsHash } from '../../src/spaces/nasnet/key.js';
import { sampleCells } from '../../src/spaces/nasnet/sample.js';
import { runValidateCommand, validateCommand } from '../../src/cli/commands/validate.js';
import { parseArgs } from '../../src/cli/flags.js';
import { Rng } from '../../src/util/random.js';
import { formatNb201, NB201_OPS } from '../../src/spaces/nas-bench-201/space.js';
import { EXAMPLE } from '../spaces/nasnet/helpers.js';
import { runNascent } from '../helpers/cli.js';

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
      file('cells.jsonl', [1, 2].map((episode) => JSON.stringify({ episode, cells: sampleCells(new Rng(episode)), accuracy: 0.3 })).join('\n') + '\n'),
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
    const v3 = file('v3.json', { ...best(), version: 3, cells: 'a new shape' });
    expect((await validate(v3)).lines).toEqual([`${v3}: version: version 3 is newer than this nascent reads (version 2); upgrade nascent to read this file`]);
    const config = file('search-config.json', { format: 'nascent.search-config', version: 1 });
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

  it("checks a NAS-Bench-201 run's best-cells.json and trials.jsonl in its own space, and every field of each trial", async () => {
    // A real table search: its cells are {arch: "|op~0|+..."}, not NASNet cell pairs.
    const table = file('table.csv', '');
    const lines = ['CIFAR10TestAccuracy200Epochs,CIFAR100TestAccuracy200Epochs,ImageNetTestAccuracy200Epochs,ArchitectureString,UniqueString'];
    for (let i = 0; i < 5 ** 6; i++) {
      const edges = Array.from({ length: 6 }, (_, k) => NB201_OPS[Math.floor(i / 5 ** k) % 5]);
      lines.push(`${(60 + (i % 97) / 4).toFixed(2)},50.00,40.00,${formatNb201({ edges })},u${i}`);
    }
    writeFileSync(table, `${lines.join('\n')}\n`);
    const run = join(work, 'nb201');
    const search = runNascent([
      'search',
      'nas-bench-201',
      '--table',
      table,
      '--strategy',
      'evolution',
      '--episodes',
      '30',
      '--seed',
      '3',
      '--no-report',
      '--out',
      run,
    ]);
    expect(search.code, search.err).toBe(0);
    const bestFile = join(run, 'best-cells.json');
    const trialsFile = join(run, 'trials.jsonl');
    const ok = await validate(bestFile, trialsFile);
    expect(ok.lines[0]).toMatch(
      /^ok .*best-cells\.json: best-cells v\d, episode \d+, accuracy 0\.\d{4} \(the table's test accuracy\), NAS-Bench-201 cell, key [0-9a-f]{12}$/,
    );
    expect(ok.lines[1]).toBe(`ok ${trialsFile}: 30 records with valid cells`);
    expect(ok.code).toBe(0);

    // A broken cell string, and an accuracy turned into a string (which a resume would have taken).
    const trials = readFileSync(trialsFile, 'utf8').trim().split('\n');
    const damaged = trials.map((l, i) => {
      const t = JSON.parse(l);
      if (i === 3) t.cells.arch = '|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|';
      if (i === 6) t.accuracy = String(t.accuracy);
      return JSON.stringify(t);
    });
    const best = JSON.parse(readFileSync(bestFile, 'utf8'));
    writeFileSync(trialsFile, `${damaged.join('\n')}\n`);
    const bad = await validate(trialsFile);
    expect(bad.code).toBe(1);
    expect(bad.lines).toEqual([
      `${trialsFile}:4: cells.arch node 1 edge 0: unknown operation "conv" (one of ${NB201_OPS.join(', ')})`,
      `${trialsFile}:7: accuracy: expected number, got ${JSON.stringify(String(JSON.parse(trials[6]).accuracy))}`,
    ]);

    // --resume reads the trials through the same schema: it refuses, naming the file, line and
    // field, and leaves best-cells.json as it was (it used to "repair" it to another episode).
    writeFileSync(trialsFile, `${damaged.filter((_, i) => i !== 3).join('\n')}\n`);
    const resumed = runNascent(['search', '--resume', run, '--episodes', '40']);
    expect(resumed.code).toBe(1);
    expect(resumed.err).toContain(`${trialsFile}:6: not a trial record: accuracy: expected number, got "`);
    expect(JSON.parse(readFileSync(bestFile, 'utf8'))).toEqual(best);

    // The same cells checked without their run's space are no NASNet cells: the space is the run's.
    const elsewhere = join(work, 'loose');
    mkdirSync(elsewhere, { recursive: true });
    const loose = join(elsewhere, 'trials.jsonl');
    writeFileSync(loose, `${trials[0]}\n`);
    expect((await validate(loose)).lines[0]).toBe(`${loose}:1: cells.arch: unknown key (a cell pair has normal and reduction)`);
  }, 120_000);

  it('--json prints one object: every file with its space, summary and problems', async () => {
    const good = file('json-good.json', best());
    const broken = JSON.parse(JSON.stringify(best()));
    broken.cells.normal[0].ops[0] = 'conv';
    const bad = file('json-bad.json', broken);
    const r = await validate('--json', good, bad, join(work, 'json-missing.json'));
    expect(r.code).toBe(1);
    expect(r.lines).toHaveLength(1);
    expect(JSON.parse(r.lines[0])).toEqual({
      ok: false,
      files: [
        { file: good, ok: true, space: 'nasnet', summary: expect.stringMatching(/^best-cells v1, episode 87/), problems: [] },
        {
          file: bad,
          ok: false,
          problems: [
            { path: 'cells.normal[0].ops[0]', message: '"conv" is not an operation (expected one of sep_3x3, sep_5x5, sep_7x7, avg_3x3, max_3x3, identity)' },
          ],
        },
        { file: join(work, 'json-missing.json'), ok: false, problems: [{ message: 'cannot read: no such file' }] },
      ],
    });
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
