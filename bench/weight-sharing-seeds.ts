// bench:weight-sharing runs one search seed per --out folder; this puts several of them together,
// so the comparison is over search seeds (each with its own standard search) and not one run:
// for each kind of cells the mean over search seeds of its retrainings' mean, ± the standard error
// over search seeds; tau and the compute ratios likewise.
//
//   npm run bench:weight-sharing:seeds -- .tmp/ws-s1 .tmp/ws-s2 .tmp/ws-s3 [--out summary.md]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { forwardUnits, stat } from './figures.js';

interface Compute {
  search: string;
  trainImageSteps: number;
  scoredImages: number;
}
interface Rows {
  compute: Compute[];
  tau: Record<string, { tau: number } | number>;
  tests: Record<string, number[]>;
  median: number;
}

const argv = process.argv.slice(2);
const outAt = argv.indexOf('--out');
const out = outAt >= 0 ? argv[outAt + 1] : undefined;
const dirs = argv.filter((_, i) => outAt < 0 || (i !== outAt && i !== outAt + 1));
if (dirs.length === 0) throw new Error('give the --out folders of bench:weight-sharing runs, one per search seed');
const runs = dirs.map((dir) => {
  try {
    return JSON.parse(readFileSync(join(dir, 'rows.json'), 'utf8')) as Rows;
  } catch (err) {
    throw new Error(`${dir}: no finished bench:weight-sharing run (${(err as Error).message})`);
  }
});

const mean = (xs: number[]) => stat(xs).m;
const se = (xs: number[]) => stat(xs).se;
const spread = (xs: number[]) => `${mean(xs).toFixed(4)} ± ${se(xs).toFixed(4)}`;
const ratios = (r: Rows, c: Compute) => {
  const std = r.compute[0];
  return {
    training: c.trainImageSteps / std.trainImageSteps,
    forward: forwardUnits(c) / forwardUnits(std),
    all: (c.trainImageSteps + c.scoredImages) / (std.trainImageSteps + std.scoredImages),
  };
};

const kinds = Object.keys(runs[0].tests);
const perSeed = (kind: string) => runs.map((r) => mean(r.tests[kind]));
const std = perSeed('standard');
const lines = [
  `${runs.length} search seeds (${dirs.join(', ')}); each cell's test accuracy is the mean of its retrainings, then mean ± standard error over search seeds`,
  '',
  `| cells | ${dirs.map((_, i) => `search ${i + 1}`).join(' | ')} | over search seeds |`,
  `|---|${dirs.map(() => '---|').join('')}---|`,
  ...kinds.map(
    (k) =>
      `| ${k} best | ${perSeed(k)
        .map((x) => x.toFixed(4))
        .join(' | ')} | ${spread(perSeed(k))} |`,
  ),
  `| median of 5 random cells | ${runs.map((r) => r.median.toFixed(4)).join(' | ')} | |`,
  '',
  ...(['controller', 'random'] as const).map((strategy) => {
    const taus = runs.map((r) => r.tau[strategy] as { tau: number }).map((t) => t.tau);
    return `tau (${strategy}'s shared weights vs stand-alone): ${taus.map((t) => t.toFixed(3)).join(', ')}; ${spread(taus)}`;
  }),
  '',
  ...kinds
    .filter((k) => k !== 'standard')
    .map((k) => {
      const w = perSeed(k);
      const c = runs.map((r) => ratios(r, r.compute.find((x) => x.search.startsWith('weight') && x.search.includes(k.slice(3)))!));
      const within = mean(w) >= mean(std) - se(std);
      return `${k}: training ${spread(c.map((x) => x.training))}, forward passes ${spread(c.map((x) => x.forward))}, all images ${spread(c.map((x) => x.all))} of the standard search's; best cells ${spread(w)} vs standard ${spread(std)}: ${within ? 'within' : 'not within'} one standard error (${((mean(std) - mean(w)) / (se(std) || 1)).toFixed(2)} of them below)`;
    }),
];
if (out) writeFileSync(out, lines.join('\n') + '\n');
process.stdout.write(lines.join('\n') + '\n');
