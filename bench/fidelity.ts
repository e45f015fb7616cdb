// What multi-fidelity search saves, on real CIFAR-10 images: with one strategy, seed and number of
// proposals, a full-fidelity search (every child --max-epochs epochs), Hyperband (--max-epochs,
// factor 3, weight inheritance) and median pruning side by side; per run the child-epochs spent,
// the wall time, the best validation accuracy, and the test accuracy of the run's best cells after
// `nascent train` on the 846 real test images. Every run is the real CLI (bin/nascent.mjs), so what
// is measured is what a user gets. Mean and sample standard deviation over the seeds.
//
//   npm run bench:fidelity [-- --data-dir ../shared/data/cifar10-subset --seeds 1,2,3 --proposals 9
//       --max-epochs 9 --channels 4,8,8,16,16 --train-epochs 6 --train-limit N --val-limit N --val-fraction F
//       --strategy random --backend wasm --modes full,hyperband,median --final-train-limit N
//       --batch-size N --lr X --out DIR]
//
// Hyperband's proposals: the new children of whole brackets (R = 9, eta = 3: 9 + 5 + 3 = 17 per
// iteration); --proposals is rounded up to the end of the bracket it falls in, and the other
// modes get as many proposals as Hyperband made.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HyperbandScheduler } from '../src/schedulers/hyperband.js';
import { kendallTau } from '../src/util/kendall.js';
import { runFacts, stat } from './figures.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const dataDir = resolve(arg('data-dir', join(ROOT, '..', 'shared', 'data', 'cifar10-subset')));
const seeds = arg('seeds', '1,2,3').split(',').map(Number);
const maxEpochs = Number(arg('max-epochs', '9'));
const factor = Number(arg('factor', '3'));
const channels = arg('channels', '4,8,8,16,16');
const trainEpochs = arg('train-epochs', '6');
const strategy = arg('strategy', 'random');
const backend = arg('backend', 'wasm');
const modes = arg('modes', 'full,hyperband,median').split(',');
/** The named flags this bench was given, with their values, to pass on to nascent as they are. */
const passedOn = (names: string[]) => names.flatMap((name) => (process.argv.includes(`--${name}`) ? [`--${name}`, arg(name, '')] : []));
// The searches' data: how many training and validation images a child sees, and the share held out.
const limits = passedOn(['train-limit', 'val-limit', 'val-fraction']);
// Child training settings passed to every search and to the final training.
const childFlags = passedOn(['batch-size', 'lr']);
const finalLimit = process.argv.includes('--final-train-limit') ? ['--train-limit', arg('final-train-limit', '')] : [];
const outDir = resolve(arg('out', join(ROOT, '.tmp', 'bench-fidelity')));
if (!existsSync(join(dataDir, 'cifar-10-batches-bin')))
  throw new Error(`${dataDir} has no cifar-10-batches-bin (see ../shared/data/cifar10-subset/README.md, or pass --data-dir)`);

/** Hyperband's jobs and new proposals for whole brackets covering at least `want` proposals. */
function hyperbandPlan(want: number): { jobs: number; proposals: number } {
  const s = new HyperbandScheduler({ maxEpochs, factor });
  let jobs = 0;
  let proposals = 0;
  for (;;) {
    const at = s.getState() as { rung: number; done: unknown[] };
    if (proposals >= want && at.rung === 0 && at.done.length === 0) return { jobs, proposals };
    const job = s.next()!; // one at a time: never a barrier
    s.record(job, { episode: ++jobs, accuracy: Math.random(), proposal: { actions: [], explored: false }, budget: job.budget ?? 0, valAccuracies: [] });
    if (job.kind === 'new') proposals++;
  }
}

const plan = hyperbandPlan(Number(arg('proposals', '9')));
const nascent = (args: string[]) => {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'nascent.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`nascent ${args.join(' ')} exited ${r.status}:\n${r.stderr}\n${r.stdout.slice(-2000)}`);
  return r.stdout;
};

interface Row {
  mode: string;
  seed: number;
  proposals: number;
  episodes: number;
  childEpochs: number;
  searchSeconds: number;
  bestVal: number;
  test: number;
  cached: number;
  pruned: number;
}

const rows: Row[] = [];
mkdirSync(outDir, { recursive: true });
for (const seed of seeds) {
  for (const mode of modes) {
    const run = join(outDir, `${mode}-${seed}`);
    const common = [
      '--seed',
      String(seed),
      '--strategy',
      strategy,
      '--channels',
      channels,
      '--data-dir',
      dataDir,
      '--backend',
      backend,
      '--no-report',
      ...limits,
      ...childFlags,
    ];
    const flags =
      mode === 'hyperband'
        ? ['--episodes', String(plan.jobs), '--fidelity', 'hyperband', '--max-epochs', String(maxEpochs), '--factor', String(factor)]
        : mode === 'median'
          ? ['--episodes', String(plan.proposals), '--epochs', String(maxEpochs), '--prune', 'median']
          : ['--episodes', String(plan.proposals), '--epochs', String(maxEpochs)];
    // A run left unfinished by an interrupted bench is resumed, a finished one reused.
    const episodes = Number(flags[1]);
    const recorded = existsSync(join(run, 'trials.jsonl')) ? readFileSync(join(run, 'trials.jsonl'), 'utf8').trim().split('\n').filter(Boolean).length : 0;
    if (!existsSync(join(run, 'config.json'))) nascent(['search', 'cifar10', ...flags, ...common, '--out', run]);
    else if (recorded < episodes)
      nascent(['search', '--resume', run, '--backend', backend, '--no-report', ...(process.argv.includes('--data-dir') ? ['--data-dir', dataDir] : [])]);
    const trials = readFileSync(join(run, 'trials.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const best = JSON.parse(readFileSync(join(run, 'best-cells.json'), 'utf8'));
    // Wall time from the run's own record (created, last trial's time), so a bench run again over
    // finished runs reports them as they were measured.
    const created = Date.parse(String(runFacts(run).created));
    const searchSeconds = (Date.parse(trials[trials.length - 1].time) - created) / 1000;
    const trainDir = join(run, 'train');
    if (!existsSync(join(trainDir, 'result.json')))
      nascent([
        'train',
        '--cells',
        join(run, 'best-cells.json'),
        '--epochs',
        trainEpochs,
        '--seed',
        String(seed),
        '--data-dir',
        dataDir,
        '--backend',
        backend,
        ...finalLimit,
        ...childFlags,
        '--out',
        trainDir,
      ]);
    const test = JSON.parse(readFileSync(join(trainDir, 'result.json'), 'utf8')).testAccuracy as number;
    const row: Row = {
      mode,
      seed,
      proposals: trials.filter((t) => !t.rung).length,
      episodes: trials.length,
      childEpochs: trials.reduce((s, t) => s + (t.epochsTrained ?? t.valAccuracies.length), 0),
      searchSeconds,
      bestVal: best.accuracy,
      test,
      cached: trials.filter((t) => t.cached).length,
      pruned: trials.filter((t) => t.pruned).length,
    };
    rows.push(row);
    console.log(JSON.stringify(row));
    writeFileSync(join(outDir, 'rows.json'), JSON.stringify(rows, null, 2) + '\n');
  }
}

const fmt = (xs: number[], d: number) => {
  const { m, sd } = stat(xs);
  return `${m.toFixed(d)} ± ${sd.toFixed(d)}`;
};
const lines = [
  `channels ${channels}${childFlags.length ? ` (${childFlags.join(' ')})` : ''}, ${limits.join(' ') || 'all images'}, max epochs ${maxEpochs}, factor ${factor}, strategy ${strategy}, ${plan.proposals} proposals, seeds ${seeds.join(',')}, backend ${backend}, final training ${trainEpochs} epochs; mean ± sd over seeds`,
  '| mode | child-epochs | search wall time (s) | best val accuracy | test accuracy of best cells | cached | pruned |',
  '|---|---|---|---|---|---|---|',
];
for (const mode of modes) {
  const r = rows.filter((x) => x.mode === mode);
  lines.push(
    `| ${mode} | ${fmt(
      r.map((x) => x.childEpochs),
      1,
    )} | ${fmt(
      r.map((x) => x.searchSeconds),
      0,
    )} | ${fmt(
      r.map((x) => x.bestVal),
      4,
    )} | ${fmt(
      r.map((x) => x.test),
      4,
    )} | ${fmt(
      r.map((x) => x.cached),
      1,
    )} | ${fmt(
      r.map((x) => x.pruned),
      1,
    )} |`,
  );
}
const full = rows.filter((x) => x.mode === 'full');
const hb = rows.filter((x) => x.mode === 'hyperband');
if (full.length > 0 && hb.length > 0) {
  const f = stat(full.map((x) => x.bestVal));
  const h = stat(hb.map((x) => x.bestVal));
  const ratio = stat(hb.map((x) => x.childEpochs)).m / stat(full.map((x) => x.childEpochs)).m;
  lines.push(
    '',
    `hyperband/full child-epochs ${ratio.toFixed(3)}; best val ${h.m.toFixed(4)} vs ${f.m.toFixed(4)} (full's standard error ${f.se.toFixed(4)}): ${h.m >= f.m - f.se ? 'within' : 'not within'} one standard error`,
  );
}
// How well a short training ranks children as the full budget does (what Hyperband's early rungs
// rely on): Kendall's tau between each full-fidelity child's accuracy after e epochs and its best.
if (modes.includes('full')) {
  const hb = new HyperbandScheduler({ maxEpochs, factor });
  const rungBudgets = Array.from({ length: hb.sMax }, (_, i) => hb.budget(hb.sMax, i));
  for (const e of rungBudgets) {
    const taus = seeds.map((seed) => {
      const ts = readFileSync(join(outDir, `full-${seed}`, 'trials.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      return kendallTau(
        ts.map((t) => t.valAccuracies[e - 1]),
        ts.map((t) => t.accuracy),
      );
    });
    const { m, se } = stat(taus);
    lines.push(
      `rank agreement of the full-fidelity children after ${e} epoch${e === 1 ? '' : 's'} with their best over ${maxEpochs}: Kendall's tau ${m.toFixed(3)} ± ${se.toFixed(3)} (standard error over seeds; per seed ${taus.map((t) => t.toFixed(3)).join(', ')})`,
    );
  }
}
writeFileSync(join(outDir, 'summary.md'), lines.join('\n') + '\n');
console.log(lines.join('\n'));
