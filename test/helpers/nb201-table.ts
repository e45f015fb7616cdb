// A complete NAS-Bench-201 table in the benchmark's columns (every one of the 15,625 cells) with a
// made-up accuracy, a function of its edges, for tests that must not depend on ../shared.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatNb201, NB201_OPS } from '../../src/spaces/nas-bench-201/space.js';

/** Writes DIR/table.csv and returns its path. */
export function writeNb201Table(dir: string): string {
  const lines = ['CIFAR10TestAccuracy200Epochs,CIFAR100TestAccuracy200Epochs,ImageNetTestAccuracy200Epochs,ArchitectureString,UniqueString'];
  for (let i = 0; i < 5 ** 6; i++) {
    const edges = Array.from({ length: 6 }, (_, k) => NB201_OPS[Math.floor(i / 5 ** k) % 5]);
    const convs = edges.filter((e) => e === 'nor_conv_3x3').length;
    lines.push(`${(60 + 5 * convs + (i % 7) / 10).toFixed(2)},${(30 + 5 * convs).toFixed(2)},${(20 + 4 * convs).toFixed(2)},${formatNb201({ edges })},u${i}`);
  }
  const table = join(dir, 'table.csv');
  writeFileSync(table, `${lines.join('\n')}\n`);
  return table;
}

/** A run's trials without the clock's fields (when and how long), which differ between identical searches. */
export const trialsOf = (run: string): ReturnType<typeof JSON.parse>[] =>
  readFileSync(join(run, 'trials.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const { time: _t, seconds: _s, ...rest } = JSON.parse(l);
      return rest;
    });
