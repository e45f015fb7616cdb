// What weight sharing (ENAS) buys and what it costs, on real CIFAR-10 images, through the real CLI
// (bin/nascent.mjs), so what is measured is what a user gets:
//   (a) Kendall's tau between shared-weight accuracy and stand-alone accuracy: the standard search's
//       children (each trained --epochs epochs on its own) scored again with each weight-sharing
//       run's shared weights on the same validation split;
//   (b) compute: a weight-sharing search (controller, i.e. ENAS; and random, i.e. Li & Talwalkar's
//       random search with weight sharing) against an --episodes standard search at the same
//       channels: training image-steps, images scored, child-epoch equivalents, wall time;
//   (c) test accuracy after `nascent train` (--seeds) of each search's best cells, and the median of
//       5 random cells (one training each).
//
//   npm run bench:weight-sharing [-- --data-dir ../shared/data/cifar10-subset --channels 4,8,8,16,16
//       --train-limit 400 --val-limit 200 [--val-fraction F] --batch-size 64 --episodes 30 --epochs 3 --ws-epochs 6
//       --controller-steps 10 --ws-batch-size 32 --ws-lr 3e-3 --final-samples 20 [--final-screen M --top-cells K] --seed 1 --seeds 1,2,3 --train-epochs 3
//       --final-train-limit 600 --backend wasm --out .tmp/bench-weight-sharing
//       --preset P --controller-lr X --entropy-weight X --controller-batch N --temperature X --tanh-constant X]
//
// Runs already in --out are reused (an unfinished one is resumed); delete a folder to redo it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareBackend } from '../src/backend/index.js';
import { sampleCells } from '../src/spaces/nasnet/sample.js';
import type { CellPair } from '../src/spaces/nasnet/types.js';
import { SupernetWeights } from '../src/evaluators/supernet/shared-weights.js';
import { loadCifar10 } from '../src/data/cifar10.js';
import { makeBatch } from '../src/data/pipeline.js';
import { readWsCheckpoint } from '../src/evaluators/supernet/search.js';
import { kendallTau } from '../src/util/kendall.js';
import { Rng } from '../src/util/random.js';
import { forwardUnits, runFacts, stat } from './figures.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const dataDir = resolve(arg('data-dir', join(ROOT, '..', 'shared', 'data', 'cifar10-subset')));
const channels = arg('channels', '4,8,8,16,16');
const trainLimit = Number(arg('train-limit', '400'));
const valLimit = Number(arg('val-limit', '200'));
// The share of the training images held out for validation (each search's own default when absent):
// both the standard search's children and the weight-sharing search's final samples are ranked on it.
const valFraction = process.argv.includes('--val-fraction') ? Number(arg('val-fraction', '')) : undefined;
const batchSize = arg('batch-size', '64');
const episodes = arg('episodes', '30');
const epochs = arg('epochs', '3');
const wsEpochs = arg('ws-epochs', '6');
const controllerSteps = arg('controller-steps', '10');
// The shared weights take a smaller batch and a larger step than the children: at a tenth of the
// standard search's image-steps, batches of 64 would leave them a few dozen steps in all.
const wsBatchSize = arg('ws-batch-size', '32');
const wsLr = arg('ws-lr', '3e-3');
const finalSamples = arg('final-samples', '20');
// With --final-screen M each final sample is scored on M validation images first, the best --top-cells on all.
const finalScreen = process.argv.includes('--final-screen') ? ['--final-screen', arg('final-screen', ''), '--top-cells', arg('top-cells', '10')] : [];
// The controller's own settings for the ENAS run, when given (the search's defaults, --preset enas, otherwise):
// its tuned preset was measured on 150 whole episodes, a weight-sharing search gives it a few
// dozen noisy one-batch rewards.
const controllerFlags = ['preset', 'controller-lr', 'entropy-weight', 'controller-batch', 'temperature', 'tanh-constant'].flatMap((name) =>
  process.argv.includes(`--${name}`) ? [`--${name}`, arg(name, '')] : [],
);
const seed = arg('seed', '1');
const seeds = arg('seeds', '1,2,3').split(',').map(Number);
const trainEpochs = arg('train-epochs', '3');
const finalTrainLimit = arg('final-train-limit', '600');
const backend = arg('backend', 'wasm');
const outDir = resolve(arg('out', join(ROOT, '.tmp', 'bench-weight-sharing')));
if (!existsSync(join(dataDir, 'cifar-10-batches-bin')))
  throw new Error(`${dataDir} has no cifar-10-batches-bin (see ../shared/data/cifar10-subset/README.md, or pass --data-dir)`);
mkdirSync(outDir, { recursive: true });

const nascent = (args: string[]) => {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'nascent.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`nascent ${args.join(' ')} exited ${r.status}:\n${r.stderr}\n${r.stdout.slice(-2000)}`);
  return r.stdout;
};
const readJsonl = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
const common = [
  '--channels',
  channels,
  '--train-limit',
  String(trainLimit),
  '--val-limit',
  String(valLimit),
  ...(valFraction !== undefined ? ['--val-fraction', String(valFraction)] : []),
  '--seed',
  seed,
  '--data-dir',
  dataDir,
  '--backend',
  backend,
  '--no-report',
];
const log = (s: string) => process.stdout.write(`${s}\n`);

// --- the searches -------------------------------------------------------------------------------
function wsRun(strategy: string): string {
  const run = join(outDir, `ws-${strategy}`);
  const phase = existsSync(join(run, 'ws-checkpoint.bin')) ? readWsCheckpoint(run)!.checkpoint.phase : undefined;
  if (!existsSync(join(run, 'config.json'))) {
    log(`weight-sharing search (${strategy})...`);
    nascent([
      'search',
      'cifar10',
      '--weight-sharing',
      '--strategy',
      strategy,
      ...(strategy === 'controller' ? controllerFlags : []),
      '--ws-epochs',
      wsEpochs,
      '--controller-steps',
      controllerSteps,
      '--final-samples',
      finalSamples,
      ...finalScreen,
      '--batch-size',
      wsBatchSize,
      '--ws-lr',
      wsLr,
      ...common,
      '--out',
      run,
    ]);
  } else if (phase !== 'done') nascent(['search', '--resume', run, '--no-report']);
  return run;
}
function standardRun(): string {
  const run = join(outDir, 'standard');
  const recorded = existsSync(join(run, 'trials.jsonl')) ? readJsonl(join(run, 'trials.jsonl')).length : 0;
  if (!existsSync(join(run, 'config.json'))) {
    log(`standard search (${episodes} episodes x ${epochs} epochs)...`);
    nascent(['search', 'cifar10', '--strategy', 'controller', '--episodes', episodes, '--epochs', epochs, '--batch-size', batchSize, ...common, '--out', run]);
  } else if (recorded < Number(episodes)) nascent(['search', '--resume', run, '--no-report']);
  return run;
}
const wsRuns = { controller: wsRun('controller'), random: wsRun('random') };
const standard = standardRun();

// --- (b) compute ----------------------------------------------------------------------------------
const wallOf = (run: string, endFile: string) => (statSync(join(run, endFile)).mtimeMs - Date.parse(String(runFacts(run).created))) / 1000;
const trials = readJsonl(join(standard, 'trials.jsonl'));
// The split's real sizes, as a weight-sharing run recorded them: --val-limit is only a cap (the
// subset's 80/20 split has 932 validation images), and counting the cap overstated the standard
// search's scoring.
const wsData = runFacts(wsRuns.controller).data ?? {};
const trainImages = wsData.trainImages as number;
const valImages = wsData.valImages as number;
const recal = Math.min(8 * Number(batchSize), trainImages); // precise-BN images per validation
const stdTrain = trials.reduce(
  (s: number, t: { epochsTrained?: number; valAccuracies: number[] }) => s + (t.epochsTrained ?? t.valAccuracies.length) * trainImages,
  0,
);
const stdScored = trials.reduce(
  (s: number, t: { epochsTrained?: number; valAccuracies: number[] }) => s + (t.epochsTrained ?? t.valAccuracies.length) * (valImages + recal),
  0,
);
const compute = [
  // Its busy time: the children's own seconds (a run resumed after a pause has idle time in its wall time).
  {
    search: `standard (controller, ${episodes} episodes x ${epochs} epochs)`,
    trainImageSteps: stdTrain,
    scoredImages: stdScored,
    childEpochs: stdTrain / trainImages,
    seconds: trials.reduce((s: number, t: { seconds: number }) => s + t.seconds, 0),
  },
  ...Object.entries(wsRuns).map(([strategy, run]) => {
    const best = JSON.parse(readFileSync(join(run, 'best-cells.json'), 'utf8'));
    return {
      search: `weight sharing (${strategy}, ${wsEpochs} passes)`,
      trainImageSteps: best.settings.trainImageSteps as number,
      scoredImages: best.settings.scoredImages as number,
      childEpochs: best.settings.childEpochs as number,
      seconds: wallOf(run, 'top-cells.jsonl'),
    };
  }),
];
for (const c of compute) log(JSON.stringify(c));

// --- (a) tau: the standard search's children scored with each run's shared weights ---------------
const tauFile = join(outDir, 'tau.json');
if (!existsSync(tauFile)) {
  await prepareBackend(backend as 'wasm');
  const data = loadCifar10(join(dataDir, 'cifar-10-batches-bin'), {
    trainLimit,
    valLimit,
    ...(valFraction !== undefined ? { valFraction } : {}),
    splitSeed: 0,
  });
  const distinct = new Map<string, { cells: CellPair; standalone: number }>();
  for (const t of trials) if (t.accuracy !== null && !distinct.has(t.key)) distinct.set(t.key, { cells: t.cells, standalone: t.accuracy });
  const result: Record<string, unknown> = { architectures: distinct.size };
  for (const [strategy, run] of Object.entries(wsRuns)) {
    const saved = readWsCheckpoint(run)!;
    const net = new SupernetWeights({ channels: channels.split(',').map(Number), blocks: 5, inputShape: [32, 32, 3], seed: Number(seed), learningRate: 1e-3 });
    net.restoreState(saved.net, join(run, 'ws-checkpoint.bin'));
    const rows: Array<{ key: string; standalone: number; shared: number }> = [];
    const order = Array.from({ length: data.val.count }, (_, i) => i);
    for (const [key, a] of distinct) {
      let right = 0;
      for (let from = 0; from < data.val.count; from += Number(wsBatchSize)) {
        const b = makeBatch(data.val, order.slice(from, from + Number(wsBatchSize)));
        right += await net.correct(a.cells, b);
        b.xs.dispose();
        b.ys.dispose();
      }
      rows.push({ key, standalone: a.standalone, shared: right / data.val.count });
    }
    net.dispose();
    result[strategy] = {
      tau: kendallTau(
        rows.map((r) => r.shared),
        rows.map((r) => r.standalone),
      ),
      rows,
    };
    log(
      `tau (${strategy} shared weights vs ${epochs}-epoch stand-alone, ${rows.length} architectures): ${(result[strategy] as { tau: number }).tau.toFixed(3)}`,
    );
  }
  writeFileSync(tauFile, JSON.stringify(result, null, 2) + '\n');
}
const tau = JSON.parse(readFileSync(tauFile, 'utf8'));

// --- (c) test accuracy after nascent train ---------------------------------------------------------
const trainDir = join(outDir, 'train');
mkdirSync(trainDir, { recursive: true });
function testAccuracy(name: string, cellsFile: string, s: number): number {
  const out = join(trainDir, `${name}-seed${s}`);
  if (!existsSync(join(out, 'result.json')))
    nascent([
      'train',
      '--cells',
      cellsFile,
      '--epochs',
      trainEpochs,
      '--seed',
      String(s),
      '--train-limit',
      finalTrainLimit,
      '--channels',
      channels,
      '--batch-size',
      batchSize,
      '--data-dir',
      dataDir,
      '--backend',
      backend,
      '--out',
      out,
    ]);
  return JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')).testAccuracy as number;
}
const tests: Record<string, number[]> = {
  standard: seeds.map((s) => testAccuracy('standard', join(standard, 'best-cells.json'), s)),
  'ws-controller': seeds.map((s) => testAccuracy('ws-controller', join(wsRuns.controller, 'best-cells.json'), s)),
  'ws-random': seeds.map((s) => testAccuracy('ws-random', join(wsRuns.random, 'best-cells.json'), s)),
};
const rng = new Rng(2026);
const randomTests = [1, 2, 3, 4, 5].map((k) => {
  const file = join(trainDir, `random-cells-${k}.json`);
  const cells = sampleCells(rng, { blocks: 5, hierarchical: false });
  if (!existsSync(file)) writeFileSync(file, JSON.stringify(cells) + '\n');
  return testAccuracy(`random-${k}`, file, seeds[0]);
});
const median = [...randomTests].sort((a, b) => a - b)[2];

// --- summary ---------------------------------------------------------------------------------------
const std = compute[0];
const lines = [
  `real CIFAR-10 subset, ${trainImages} training / ${valImages} validation images (--train-limit ${trainLimit}, --val-limit ${valLimit}${valFraction !== undefined ? `, --val-fraction ${valFraction}` : ''}), channels ${channels}, batch ${batchSize} (shared weights: ${wsBatchSize}, Adam ${wsLr}), backend ${backend}, ${finalSamples} final samples${finalScreen.length ? ` screened on ${finalScreen[1]} validation images, the best ${finalScreen[3]} on all` : ''}, search seed ${seed}${controllerFlags.length > 0 ? `; ENAS controller ${controllerFlags.join(' ')}` : ''}`,
  '',
  '| search | training image-steps | images scored | child-epochs | time (s) | training vs standard | forward passes (training x3) vs standard | all images vs standard |',
  '|---|---|---|---|---|---|---|---|',
  ...compute.map(
    (c) =>
      `| ${c.search} | ${c.trainImageSteps} | ${c.scoredImages} | ${c.childEpochs.toFixed(2)} | ${c.seconds.toFixed(0)} | ${(c.trainImageSteps / std.trainImageSteps).toFixed(3)} | ${(forwardUnits(c) / forwardUnits(std)).toFixed(3)} | ${((c.trainImageSteps + c.scoredImages) / (std.trainImageSteps + std.scoredImages)).toFixed(3)} |`,
  ),
  '',
  "time: the standard search's children's own seconds summed; a weight-sharing run's wall time from start to its top cells. Machine shared with other jobs, so times vary with load.",
  '',
  `Kendall's tau, shared-weight accuracy (whole validation split) vs ${epochs}-epoch stand-alone accuracy of the standard search's ${tau.architectures} distinct children: controller's shared weights ${tau.controller.tau.toFixed(3)}, random's ${tau.random.tau.toFixed(3)}`,
  '',
  `| cells | test accuracy after nascent train (${trainEpochs} epochs, ${finalTrainLimit} images; seeds ${seeds.join(',')}) | mean ± standard error |`,
  '|---|---|---|',
  ...Object.entries(tests).map(
    ([name, xs]) => `| ${name} best | ${xs.map((x) => x.toFixed(4)).join(', ')} | ${stat(xs).m.toFixed(4)} ± ${stat(xs).se.toFixed(4)} |`,
  ),
  `| 5 random cells (seed ${seeds[0]}) | ${randomTests.map((x) => x.toFixed(4)).join(', ')} | median ${median.toFixed(4)} |`,
  '',
  ...(['ws-controller', 'ws-random'] as const).map((name) => {
    const s = stat(tests.standard);
    const w = stat(tests[name]);
    const ratio = compute.find((c) => c.search.includes(name.slice(3)) && c.search.startsWith('weight'))!.trainImageSteps / std.trainImageSteps;
    return `${name}: ${(ratio * 100).toFixed(1)}% of the standard search's training image-steps (${ratio <= 0.1 ? 'within' : 'over'} a tenth); best cells ${w.m.toFixed(4)} vs standard ${s.m.toFixed(4)} (standard's standard error ${s.se.toFixed(4)}): ${w.m >= s.m - s.se ? 'within' : 'not within'} one standard error`;
  }),
];
writeFileSync(join(outDir, 'summary.md'), lines.join('\n') + '\n');
writeFileSync(join(outDir, 'rows.json'), JSON.stringify({ compute, tau, tests, randomTests, median }, null, 2) + '\n');
log(lines.join('\n'));
