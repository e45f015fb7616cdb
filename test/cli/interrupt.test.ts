// Stopping a search the ways a person does: Ctrl-C in a terminal running `npm run nascent -- search`
// (the terminal sends SIGINT to the whole process group: npm, its shell and nascent, and npm
// forwards it once more), and a reader that closes the pipe early (`nascent search ... | head -2`).
// Either way the episode in hand finishes, the run stays resumable, and --resume finishes it.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatNb201, NB201_OPS } from '../../src/spaces/nas-bench-201/space.js';
import { BIN, ROOT, runNascent, sleep, startNascent, until as untilOutput } from '../helpers/cli.js';
import { writeLearnableCifar } from '../helpers/learnable-cifar.js';

const EPISODES = 3;
let work: string;
let data: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'nascent-interrupt-'));
  data = join(work, 'data');
  writeLearnableCifar(data, 20);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const searchArgs = (out: string) => [
  'search',
  'cifar10',
  '--episodes',
  String(EPISODES),
  '--epochs',
  '1',
  '--batch-size',
  '16',
  '--train-limit',
  '32',
  '--val-limit',
  '16',
  '--blocks',
  '1',
  '--channels',
  '1,2,2,2,2',
  '--seed',
  '11',
  '--backend',
  'wasm',
  '--no-report',
  '--data-dir',
  data,
  '--out',
  out,
];

const trialLines = (run: string) =>
  existsSync(join(run, 'trials.jsonl'))
    ? readFileSync(join(run, 'trials.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];

interface Watched {
  child: ChildProcess;
  out: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function watch(child: ChildProcess): Watched {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, signal) => res({ code, signal })));
  return { child, out: () => out, exited };
}

async function until(done: () => boolean, exited: Promise<unknown>): Promise<boolean> {
  let over = false;
  void exited.then(() => (over = true));
  while (!done()) {
    if (over) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

/** The run, resumed to its end: every episode recorded once, no lock left. */
function expectResumable(run: string) {
  expect(existsSync(join(run, 'run.lock'))).toBe(false);
  const resumed = runNascent(['search', '--resume', run]);
  expect(resumed.code).toBe(0);
  expect(resumed.out).toMatch(new RegExp(`finished ${EPISODES} episodes`));
  const episodes = trialLines(run).map((l) => (JSON.parse(l) as { episode: number }).episode);
  expect(episodes).toEqual(Array.from({ length: EPISODES }, (_, i) => i + 1));
  expect(existsSync(join(run, 'run.lock'))).toBe(false);
}

// The script shell decides whether nascent gets one SIGINT or two: dash (Debian's sh) stays
// between npm and nascent and swallows npm's forwarded copy; bash (macOS's sh) execs nascent, which
// then gets the terminal's SIGINT and npm's within milliseconds, and must still count them as one.
const SHELLS = [['sh', undefined], ...(existsSync('/bin/bash') ? [['bash', '/bin/bash']] : [])] as Array<[string, string | undefined]>;

describe('stopping a search', () => {
  for (const [shell, scriptShell] of SHELLS)
    it(`Ctrl-C to the process group of \`npm run nascent -- search\` (script shell ${shell}) finishes the episode, exits 130 and prints the resume command`, async () => {
      const run = join(work, `npm-${shell}`);
      const env = { ...process.env, ...(scriptShell ? { npm_config_script_shell: scriptShell } : {}) };
      // Its own process group, as a terminal's foreground job is; the group id is npm's pid.
      const p = watch(spawn('npm', ['run', 'nascent', '--', ...searchArgs(run)], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }));
      try {
        expect(await until(() => /episode 1\/3 start/.test(p.out()), p.exited)).toBe(true);
        process.kill(-p.child.pid!, 'SIGINT');
        const { code, signal } = await p.exited;
        // npm exits with nascent's status, or (dash having died of the SIGINT after nascent exited)
        // re-raises the SIGINT on itself; a shell reports 130 for both.
        expect(code === 130 || (code === null && signal === 'SIGINT')).toBe(true);
        expect(p.out()).toContain('stopping after the current episode');
        expect(p.out()).not.toContain('stopping now');
        expect(p.out()).toMatch(/stopped after 1 of 3 episodes/);
        expect(p.out()).toContain(`resume with: nascent search --resume ${run}`);
        expect(trialLines(run)).toHaveLength(1);
      } finally {
        if (p.child.exitCode === null && p.child.signalCode === null) process.kill(-p.child.pid!, 'SIGKILL');
      }
      expectResumable(run);
    }, 300_000);

  it('Ctrl-C stops a NAS-Bench-201 search too, whose table lookups never wait for anything', async () => {
    const lines = ['CIFAR10TestAccuracy200Epochs,CIFAR100TestAccuracy200Epochs,ImageNetTestAccuracy200Epochs,ArchitectureString,UniqueString'];
    for (let i = 0; i < 5 ** 6; i++) {
      const edges = Array.from({ length: 6 }, (_, k) => NB201_OPS[Math.floor(i / 5 ** k) % 5]);
      lines.push(`${(60 + (i % 97) / 4).toFixed(2)},50.00,40.00,${formatNb201({ edges })},u${i}`);
    }
    const table = join(work, 'table.csv');
    writeFileSync(table, `${lines.join('\n')}\n`);
    const run = join(work, 'table-run');
    const p = startNascent([
      'search',
      'nas-bench-201',
      '--table',
      table,
      '--strategy',
      'random',
      '--episodes',
      '1000000',
      '--seed',
      '1',
      '--no-report',
      '--out',
      run,
    ]);
    try {
      expect(await untilOutput(p, () => trialLines(run).length >= 3)).toBe(true);
      p.child.kill('SIGINT');
      const ended = await Promise.race([p.exited, sleep(30_000).then(() => undefined)]);
      expect(ended, 'still running 30 s after Ctrl-C').toBeDefined();
      expect(ended!.code).toBe(130);
      expect(p.output()).toMatch(/stopped after \d+ of 1000000 episodes/);
      expect(existsSync(join(run, 'run.lock'))).toBe(false);
    } finally {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    }
  }, 120_000);

  it('a closed stdout (`nascent search | head -2`) stops it as Ctrl-C does: quietly, after the episode in hand, exit 130', async () => {
    const run = join(work, 'closed-pipe');
    const child = spawn(process.execPath, [BIN, ...searchArgs(run)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, signal) => res({ code, signal })));
    // The reader goes away once the first episode has started: nascent's next line meets a closed pipe.
    expect(await until(() => /episode 1\/3 start/.test(out), exited)).toBe(true);
    child.stdout.destroy();
    const { code, signal } = await exited;
    expect(err).toBe('');
    expect(signal).toBeNull();
    expect(code).toBe(130);
    expect(trialLines(run)).toHaveLength(1);
    expectResumable(run);
  }, 300_000);
});
