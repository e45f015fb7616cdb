// The README's quick-start commands as a newcomer types them: the quick low-fidelity search, a
// second search started from its config.json with another seed, and validate on its best cells. Run
// through `npm run` as written, on a small learnable CIFAR-10 in the official layout (--data-dir
// added), with the run directories moved into a temporary folder.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';
import { writeLearnableCifar } from './helpers/learnable-cifar.js';

const work = mkdtempSync(join(tmpdir(), 'nascent-readme-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The shell command in README's ```sh blocks that starts with `prefix`, continuation lines joined, comments cut. */
function command(prefix: string): string[] {
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1].replace(/\\\n\s*/g, ''));
  const line = blocks
    .flatMap((b) => b.split('\n'))
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .find((l) => l.startsWith(prefix));
  if (!line) throw new Error(`README.md has no command starting with ${JSON.stringify(prefix)}`);
  return line.split(/\s+/);
}

const run = (argv: string[]) => {
  const [program, ...args] = argv;
  const r = spawnSync(program === 'nascent' ? process.execPath : program, program === 'nascent' ? [join(ROOT, 'bin', 'nascent.mjs'), ...args] : args, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe("README's quick start", () => {
  it('runs the quick look, repeats it from its config.json with another seed, and validates its best cells', () => {
    const data = join(work, 'data');
    writeLearnableCifar(data, 30);
    const first = join(work, 'run');

    const quick = command('npm run search:cifar -- --episodes');
    expect(quick).toContain('--out');
    quick[quick.indexOf('--out') + 1] = first;
    const r1 = run([...quick, '--data-dir', data]);
    expect(r1.code, r1.err).toBe(0);
    expect(r1.out).toMatch(/finished 3 episodes/);
    const config = JSON.parse(readFileSync(join(first, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      episodes: 3,
      evaluator: { epochs: 1, channels: [8, 16, 16, 32, 32] },
      problem: { data: { trainLimit: 2000, valLimit: 1000 } },
    });

    const again = command('nascent search --config').map((a) => a.replaceAll('runs/<run>', first));
    const r2 = run(again);
    expect(r2.code, r2.err).toBe(0);
    const second = `${first}-seed2`;
    expect(JSON.parse(readFileSync(join(second, 'config.json'), 'utf8'))).toMatchObject({ ...config, seed: 2, run: expect.anything() });
    expect(existsSync(join(second, 'best-cells.json'))).toBe(true);

    const validate = command('nascent validate').map((a) => a.replaceAll('runs/<run>', first));
    const r3 = run(validate);
    expect(r3.code, r3.err).toBe(0);
    expect(r3.out).toMatch(/^ok .*best-cells\.json: best-cells v2/);
  }, 600_000);
});
