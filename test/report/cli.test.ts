// `nascent report` and `nascent compare` through the CLI's own entry point (in process: the
// commands are plain async functions, and spawning a tsx process per case costs seconds).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compareCommand } from '../../src/cli/commands/compare.js';
import { parseArgs, UsageError } from '../../src/cli/flags.js';
import { main } from '../../src/cli/main.js';
import { tempDir, writeFakeRun } from './fake-run.js';
import { decodePng } from './png.js';

async function nascent(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    const code = await main(args);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('nascent report', () => {
  it('writes <run>/report by default, or --out, and lists what it wrote', async () => {
    const dir = join(tempDir(), 'run');
    writeFakeRun(dir, { episodes: 5 });
    const r = await nascent(['report', dir]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^wrote 9 files in \d+ ms:/);
    expect(r.out).toContain(join(dir, 'report', 'index.html'));
    expect(existsSync(join(dir, 'report', 'accuracy.png'))).toBe(true);
    const other = join(tempDir(), 'elsewhere');
    expect((await nascent(['report', dir, '--out', other])).code).toBe(0);
    expect(existsSync(join(other, 'normal.svg'))).toBe(true);
  });

  it('--json prints one object, the run and the files written, and nothing else', async () => {
    const dir = join(tempDir(), 'run');
    writeFakeRun(dir, { episodes: 4 });
    const r = await nascent(['report', dir, '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.out);
    expect(Object.keys(printed).sort()).toEqual(['files', 'index', 'run']);
    expect(printed.run).toBe(dir);
    expect(printed.index).toBe(join(dir, 'report', 'index.html'));
    expect(printed.files).toHaveLength(9);
    for (const f of printed.files) expect(existsSync(f), f).toBe(true);
  });

  it('exits 1 naming the path when the directory is missing, not a run, or its trials are damaged', async () => {
    const root = tempDir();
    const missing = await nascent(['report', join(root, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toBe(`nascent report: error: ${join(root, 'nope')}: no such directory`);
    const notRun = await nascent(['report', root]);
    expect(notRun.code).toBe(1);
    expect(notRun.err).toContain(`${root} is not a nascent run: it has no config.json`);
    const damaged = join(root, 'damaged');
    writeFakeRun(damaged, { episodes: 2 });
    writeFileSync(join(damaged, 'trials.jsonl'), 'garbage\n' + readFileSync(join(damaged, 'trials.jsonl'), 'utf8'));
    const bad = await nascent(['report', damaged]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain(`${join(damaged, 'trials.jsonl')}:1: not a JSON record`);
    const usage = await nascent(['report']);
    expect(usage.code).toBe(2);
    expect(usage.err).toBe("nascent report: missing <run>\nrun 'nascent report --help' for its flags");
  });
});

describe('nascent compare', () => {
  it('takes any number of runs', () => {
    expect(parseArgs(compareCommand, ['a', 'b', 'c', '--out', 'x']).positionals).toEqual(['a', 'b', 'c']);
    expect(() => parseArgs(compareCommand, [])).toThrow(UsageError);
  });

  it('plots several runs into compare.{svg,png,html} in a directory or under a file name', async () => {
    const root = tempDir();
    writeFakeRun(join(root, 'ctl'), { episodes: 6, seed: 3, epochs: 2 });
    writeFakeRun(join(root, 'rnd'), { episodes: 4, seed: 4, strategy: 'random', epochs: 3 });
    const out = join(root, 'cmp');
    const r = await nascent(['compare', join(root, 'ctl'), join(root, 'rnd'), '--out', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const svg = readFileSync(join(out, 'compare.svg'), 'utf8');
    expect(svg).toContain('>ctl (controller)<');
    expect(svg).toContain('>rnd (random)<');
    // Each finished episode's best-so-far, against episode and against child-epochs (2 or 3 per child).
    expect(svg).toMatch(/aria-label="ctl \(controller\) episode 6: best [\d.]+ after 12 child-epochs"/);
    expect(svg).toMatch(/aria-label="rnd \(random\) episode 4: best [\d.]+ after 12 child-epochs"/);
    expect(decodePng(readFileSync(join(out, 'compare.png'))).width).toBeGreaterThan(1000);
    const html = readFileSync(join(out, 'compare.html'), 'utf8');
    // The table lists the settings that differ (strategy, epochs, seed), not those shared.
    expect(html).toMatch(/<th>epochs<\/th><th>seed<\/th><th>strategy<\/th>/);
    expect(html).not.toContain('<th>window</th>');

    const named = join(root, 'charts', 'both.png');
    expect((await nascent(['compare', join(root, 'ctl'), join(root, 'rnd'), '--out', named])).code).toBe(0);
    for (const ext of ['svg', 'png', 'html']) expect(existsSync(join(root, 'charts', `both.${ext}`))).toBe(true);
  });

  it('refuses an --out that names a file it cannot write (x.jpg, an existing file) before reading the runs, making nothing', async () => {
    const root = tempDir();
    writeFakeRun(join(root, 'ctl'), { episodes: 3 });
    const jpg = join(root, 'x.jpg');
    const r = await nascent(['compare', join(root, 'ctl'), '--out', jpg]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `nascent compare: --out ${jpg}: compare writes an .svg, a .png and an .html; give a directory for compare.{svg,png,html}, or a file name ending in .svg, .png or .html (${join(root, 'x.png')})\nrun 'nascent compare --help' for its flags`,
    );
    expect(existsSync(jpg)).toBe(false);
    // A directory of that name is a directory all the same.
    mkdirSync(jpg);
    expect((await nascent(['compare', join(root, 'ctl'), '--out', jpg])).code).toBe(0);
    expect(existsSync(join(jpg, 'compare.svg'))).toBe(true);
    const file = join(root, 'notes');
    writeFileSync(file, 'mine');
    const onFile = await nascent(['compare', join(root, 'ctl'), '--out', file]);
    expect(onFile.code).toBe(2);
    expect(onFile.err).toMatch(/--out .*notes: is a file, not a directory/);
    expect(readFileSync(file, 'utf8')).toBe('mine');
    // Nor does a run that is not there get as far as making --out.
    const missing = await nascent(['compare', join(root, 'nothing'), '--out', join(root, 'made')]);
    expect(missing.code).toBe(1);
    expect(existsSync(join(root, 'made'))).toBe(false);
  });

  it('labels runs that share a directory name by more of their path, and refuses a run given twice', async () => {
    const root = tempDir();
    for (const p of ['x/run', 'y/run']) writeFakeRun(join(root, p), { episodes: 2 });
    mkdirSync(join(root, 'out'));
    expect((await nascent(['compare', join(root, 'x/run'), join(root, 'y/run'), '--out', join(root, 'out')])).code).toBe(0);
    const svg = readFileSync(join(root, 'out', 'compare.svg'), 'utf8');
    expect(svg).toContain('>x/run (controller)<');
    expect(svg).toContain('>y/run (controller)<');
    const twice = await nascent(['compare', join(root, 'x/run'), join(root, 'x', 'run', '.')]);
    expect(twice.code).toBe(1);
    expect(twice.err).toContain(`${join(root, 'x/run')} is given twice`);
    const missing = await nascent(['compare', join(root, 'x/run'), join(root, 'z')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(`${join(root, 'z')}: no such directory`);
  });
});
