// Reading a JSON-lines file while another process appends to it: only whole lines, a torn last line
// left for later and reported, damaged lines counted with their numbers, a replaced file read again.
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonLinesTail } from '../../src/dashboard/tail.js';
import { tempDir } from '../report/fake-run.js';

describe('JsonLinesTail', () => {
  it('reads whole lines as they are appended, and a torn line once it is whole', () => {
    const path = join(tempDir('nascent-tail-'), 'x.jsonl');
    const tail = new JsonLinesTail<{ n: number }>(path);
    expect(tail.poll()).toEqual([]);
    expect(tail.exists).toBe(false);
    writeFileSync(path, '{"n":1}\n{"n":2}\n{"n":');
    expect(tail.poll()).toEqual([{ n: 1 }, { n: 2 }]);
    expect(tail.torn).toBe(true);
    expect(tail.poll()).toEqual([]);
    appendFileSync(path, '3}\n');
    expect(tail.poll()).toEqual([{ n: 3 }]);
    expect(tail.torn).toBe(false);
    expect(tail.items.map((i) => i.n)).toEqual([1, 2, 3]);
  });

  it('skips damaged lines, naming their numbers, and reads on', () => {
    const path = join(tempDir('nascent-tail-'), 'x.jsonl');
    writeFileSync(path, '{"n":1}\nnot json\n{"n":"two"}\n{"n":4}\n');
    const tail = new JsonLinesTail<{ n: number }>(path, (v) => (typeof (v as { n: unknown }).n === 'number' ? undefined : 'n: expected a number'));
    expect(tail.poll().map((i) => i.n)).toEqual([1, 4]);
    expect(tail.problems.map((p) => p.line)).toEqual([2, 3]);
    expect(tail.problems[1].message).toBe('n: expected a number');
  });

  it('reads a file replaced by a shorter one again from its start', () => {
    const path = join(tempDir('nascent-tail-'), 'x.jsonl');
    writeFileSync(path, '{"n":1}\n{"n":2}\n');
    const tail = new JsonLinesTail<{ n: number }>(path);
    tail.poll();
    writeFileSync(path, '{"n":9}\n');
    expect(tail.poll()).toEqual([{ n: 9 }]);
    expect(tail.items).toEqual([{ n: 9 }]);
    expect(tail.generation).toBe(1);
  });
});
