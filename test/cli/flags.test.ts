import { describe, expect, it } from 'vitest';
import { type CommandSpec, UsageError, parseArgs, usage } from '../../src/cli/flags.js';

const cmd: CommandSpec = {
  name: 'demo',
  brief: 'a demo',
  summary: 'a demo',
  positionals: [{ name: 'dataset', help: 'data', required: true }],
  flags: [
    { name: 'episodes', type: 'int', default: 150, min: 1, help: 'n' },
    { name: 'epsilon', type: 'number', default: 0.5, min: 0, max: 1, help: 'e' },
    { name: 'lr', type: 'number', default: 1e-3, min: 0, exclusiveMin: true, help: 'lr' },
    { name: 'channels', type: 'int-list', default: [4, 16, 16, 256, 256], length: 5, min: 1, help: 'c' },
    { name: 'backend', type: 'enum', choices: ['auto', 'wasm', 'cpu'], default: 'auto', help: 'b' },
    { name: 'hierarchical', type: 'bool', default: false, help: 'h' },
    { name: 'out', type: 'string', help: 'o' },
  ],
};

const err = (argv: string[]) => {
  try {
    parseArgs(cmd, argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
};

describe('parseArgs', () => {
  it('applies defaults and records which flags were given', () => {
    const a = parseArgs(cmd, ['cifar10', '--episodes', '3', '--epsilon=0.25', '--hierarchical', '--channels', '8,16,16,32,32']);
    expect(a.positionals).toEqual(['cifar10']);
    expect(a.flags).toMatchObject({ episodes: 3, epsilon: 0.25, lr: 1e-3, hierarchical: true, channels: [8, 16, 16, 32, 32], backend: 'auto' });
    expect([...a.given].sort()).toEqual(['channels', 'episodes', 'epsilon', 'hierarchical']);
    expect(parseArgs(cmd, ['x', '--no-hierarchical']).flags.hierarchical).toBe(false);
  });

  it('names the flag and the expectation in every error', () => {
    expect(err(['x', '--episodes', 'abc'])).toBe('--episodes: expected an integer ≥ 1, got "abc"');
    expect(err(['x', '--episodes', '0'])).toBe('--episodes: expected an integer ≥ 1, got "0"');
    expect(err(['x', '--episodes', '2.5'])).toMatch(/^--episodes: expected an integer/);
    expect(err(['x', '--epsilon', '1.5'])).toBe('--epsilon: expected a number ≥ 0 and ≤ 1, got "1.5"');
    expect(err(['x', '--lr', '0'])).toBe('--lr: expected a number > 0, got "0"');
    expect(err(['x', '--lr', 'NaN'])).toMatch(/^--lr: expected a number/);
    expect(err(['x', '--channels', '8,16'])).toBe('--channels: expected 5 comma-separated integers ≥ 1, got "8,16"');
    expect(err(['x', '--channels', '8,16,a,1,1'])).toMatch(/^--channels: expected 5 comma-separated integers/);
    expect(err(['x', '--backend', 'gpu'])).toBe('--backend: expected one of auto, wasm, cpu, got "gpu"');
    expect(err(['x', '--episode', '3'])).toBe('unknown flag --episode (did you mean --episodes?)');
    expect(err(['x', '--epsilom', '3'])).toBe('unknown flag --epsilom (did you mean --epsilon?)');
    expect(err(['x', '--chan', '3'])).toBe('unknown flag --chan (did you mean --channels?)');
    expect(err(['x', '--zzzzzz'])).toBe('unknown flag --zzzzzz');
    expect(err(['x', '--out'])).toBe('--out needs a value');
    expect(err(['x', '--out', '--episodes', '3'])).toBe('--out needs a value');
    expect(err(['x', '--episodes', '3', '--episodes', '4'])).toBe('--episodes is given twice');
    expect(err([])).toBe('missing <dataset>');
    expect(err(['a', 'b'])).toBe('unexpected argument "b"');
    expect(err(['a', '-e', '3'])).toMatch(/unknown option -e/);
  });

  it('writes a usage text listing every flag with its default', () => {
    const u = usage(cmd);
    expect(u).toMatch(/^usage: nascent demo <dataset> \[flags\]/);
    for (const f of cmd.flags) expect(u).toContain(`--${f.name}`);
    expect(u).toContain('(default 4,16,16,256,256)');
    expect(u).toContain('--backend auto|wasm|cpu');
  });
});
