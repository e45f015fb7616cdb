// How `nascent dashboard` copes with a big run, in Debian's Chromium: a made-up run of 20,000 NASNet
// trials (cells sampled, accuracies drawn, a Hyperband-like mix of budgets), then
//   - open: from navigation to the run page drawn (header, trial table, the first views), median of 5
//     fresh pages, and what the server sends (the run without its cells);
//   - growth: a trial appended every 200 ms for 20 s (5 per second, far above any real search), and
//     for each the time until the page has it (the trial table's count) and until the accuracy plot
//     is redrawn with it;
//   - responsiveness while it grows: the time from a key press in the trial table to the selection
//     moving, and the page's long tasks.
//
//   npm run bench:dashboard [-- --trials 20000 --seconds 20]
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startDashboard } from '../src/dashboard/server.js';
import { cellsHash } from '../src/spaces/nasnet/key.js';
import { sampleCells } from '../src/spaces/nasnet/sample.js';
import type { TrialRecord } from '../src/store/records.js';
import { Rng } from '../src/util/random.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const TRIALS = arg('trials', 20_000);
const SECONDS = arg('seconds', 20);
const CHROMIUM = process.env.NASCENT_CHROMIUM ?? '/usr/bin/chromium';

const rng = new Rng(7);
let best = 0;
function trial(episode: number): TrialRecord {
  const cells = sampleCells(rng, { blocks: 5, hierarchical: false });
  const budget = [1, 3, 9][rng.int(3)];
  const accuracy = Math.min(0.95, 0.3 + 0.4 * rng.next() + 0.2 * (1 - Math.exp(-episode / 4000)) + 0.02 * budget);
  best = Math.max(best, accuracy);
  return {
    episode,
    strategy: 'controller',
    cells,
    key: cellsHash(cells),
    explored: rng.next() < 0.1,
    accuracy,
    valAccuracies: Array.from({ length: budget }, (_, k) => (accuracy * (k + 1)) / budget),
    reward: accuracy - 0.6,
    baseline: 0.6,
    params: 20_000 + rng.int(40_000),
    seconds: 5 + 20 * rng.next(),
    backend: 'wasm',
    time: new Date(Date.UTC(2026, 0, 1) + episode * 30_000).toISOString(),
    budget,
    epochsTrained: budget,
    rung: 0,
    bracket: 0,
  };
}

const root = join(tmpdir(), `nascent-bench-dashboard-${process.pid}`);
const dir = join(root, 'big');
mkdirSync(dir, { recursive: true });
writeFileSync(
  join(dir, 'config.json'),
  JSON.stringify({
    format: 'nascent.search-config',
    version: 1,
    dataset: 'cifar10',
    episodes: TRIALS * 2,
    epochs: 9,
    window: 20,
    strategy: 'controller',
    seed: 7,
  }),
);
const lines: string[] = [];
for (let e = 1; e <= TRIALS; e++) lines.push(JSON.stringify(trial(e)));
writeFileSync(join(dir, 'trials.jsonl'), `${lines.join('\n')}\n`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pctl = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

const started = performance.now();
const dash = await startDashboard({ dirs: [root], port: 0 });
console.log(`server: read ${TRIALS} trials (${(lines.join('\n').length / 1e6).toFixed(1)} MB) in ${Math.round(performance.now() - started)} ms`);
const payload = await (await fetch(`http://127.0.0.1:${dash.port}/api/run?run=big`)).text();
console.log(`the page's load of the run: ${(payload.length / 1e6).toFixed(2)} MB of JSON (no cells)`);

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
const opens: number[] = [];
const loaded: number[] = [];
const shown: number[] = [];
const busy: number[] = [];
const cpu: number[] = [];
/** The page's main-thread busy time so far (ms), from Chromium's own counters (wall time of its tasks). */
const taskMs = async (cdp: import('playwright-core').CDPSession) =>
  1000 * ((await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration')?.value ?? Number.NaN);
// CPU time, unlike wall time, does not grow when other jobs share the cores: Chromium's renderer
// processes' (SystemInfo) plus this process's (the dashboard's server).
const browserCdp = await browser.newBrowserCDPSession();
const cpuMs = async () => {
  const { processInfo } = (await browserCdp.send('SystemInfo.getProcessInfo')) as { processInfo: Array<{ type: string; cpuTime: number }> };
  const renderers = processInfo.filter((p) => p.type === 'renderer').reduce((sum, p) => sum + p.cpuTime, 0);
  const self = process.cpuUsage();
  return 1000 * renderers + (self.user + self.system) / 1000;
};
for (let i = 0; i < 5; i++) {
  const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const cpuBefore = await cpuMs();
  await page.goto(`${dash.url}#/run/big`);
  await page.waitForSelector('body[data-ready="run"]', { timeout: 60_000 });
  cpu.push((await cpuMs()) - cpuBefore);
  // The page marks 'ready' when the run's header, trial table and first view are drawn.
  opens.push(await page.evaluate<number>(`performance.getEntriesByName('ready')[0].startTime`));
  loaded.push(await page.evaluate<number>(`performance.getEntriesByName('run-loaded')[0].startTime`));
  shown.push(await page.evaluate<number>(`performance.getEntriesByName('table-shown')[0].startTime`));
  busy.push(await taskMs(cdp));
  await page.close();
}
console.log(`open, navigation to the run's data in the page: ${loaded.map(Math.round).join(', ')} ms; median ${Math.round(median(loaded))} ms`);
console.log(
  `open, navigation to the header and trial table on screen (before the plots): ${shown.map(Math.round).join(', ')} ms; median ${Math.round(median(shown))} ms`,
);
console.log(
  `open, navigation to the page drawn (header, trial table, accuracy plot): ${opens.map(Math.round).join(', ')} ms; median ${Math.round(median(opens))} ms`,
);
console.log(`open, the page's main thread busy until then: ${busy.map(Math.round).join(', ')} ms; median ${Math.round(median(busy))} ms`);
console.log(`open, CPU time (Chromium's renderers and the server): ${cpu.map(Math.round).join(', ')} ms; median ${Math.round(median(cpu))} ms`);

// From the runs table, as a person opens a run: a click on its name to the run drawn (the page's
// code already loaded; what is left is the run's data and the drawing).
const clicks: number[] = [];
for (let i = 0; i < 5; i++) {
  const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
  await page.goto(dash.url);
  await page.waitForSelector('body[data-ready="runs"]');
  await page.waitForTimeout(300);
  const t0 = await page.evaluate<number>('performance.now()');
  await page.locator('tr[data-run="big"] a').click();
  await page.waitForSelector('body[data-ready="run"]', { timeout: 60_000 });
  clicks.push((await page.evaluate<number>(`performance.getEntriesByName('ready').at(-1).startTime`)) - t0);
  await page.close();
}
console.log(`open from the runs table, click to the run drawn: ${clicks.map(Math.round).join(', ')} ms; median ${Math.round(median(clicks))} ms`);

// Growth: the page records when each count arrived and when the accuracy plot was redrawn.
const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
const cdp = await page.context().newCDPSession(page);
await cdp.send('Performance.enable');
await page.goto(`${dash.url}#/run/big`);
await page.waitForSelector('body[data-ready="run"]', { timeout: 60_000 });
// In-page code as strings: tsx would add helpers to a function passed in, which the page lacks.
await page.evaluate(`(() => {
  window.seen = {};
  window.drawn = {};
  window.longTasks = [];
  const run = document.querySelector('main.run');
  const view = document.querySelector('#view-accuracy');
  new MutationObserver(() => (window.seen[run.getAttribute('data-trials')] ??= Date.now())).observe(run, { attributes: true, attributeFilter: ['data-trials'] });
  new MutationObserver(() => (window.drawn[view.getAttribute('data-drawn')] ??= Date.now())).observe(view, { attributes: true, attributeFilter: ['data-drawn'] });
  new PerformanceObserver((list) => list.getEntries().forEach((e) => window.longTasks.push(e.duration))).observe({ type: 'longtask', buffered: false });
})()`);
const busyBefore = await taskMs(cdp);
const cpuBeforeGrowth = await cpuMs();
const growthStart = Date.now();
const written = new Map<number, number>();
const keyLatencies: number[] = [];
// Key presses go straight to the table; the page stays at its top, where the accuracy plot is in sight (and so redrawn).
await page.evaluate(`document.querySelector('.trial-scroller').focus({ preventScroll: true }); window.scrollTo(0, 0)`);
const end = Date.now() + SECONDS * 1000;
let episode = TRIALS;
while (Date.now() < end) {
  episode++;
  written.set(episode, Date.now());
  appendFileSync(join(dir, 'trials.jsonl'), `${JSON.stringify(trial(episode))}\n`);
  if (episode % 5 === 0) {
    // A key press in the trial table, timed in the page from the press to the selection moving.
    const t = await page.evaluate<number>(`new Promise((resolve) => {
      const scroller = document.querySelector('.trial-scroller');
      const before = scroller.querySelector('tr[aria-selected="true"]')?.getAttribute('data-episode');
      const t0 = performance.now();
      scroller.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
      const check = () => {
        const now = scroller.querySelector('tr[aria-selected="true"]')?.getAttribute('data-episode');
        if (now !== before) resolve(performance.now() - t0);
        else requestAnimationFrame(check);
      };
      check();
    })`);
    keyLatencies.push(t);
  }
  await new Promise((r) => setTimeout(r, 200));
}
await page.waitForTimeout(3000);
const busyShare = (await taskMs(cdp)) - busyBefore;
const cpuGrowth = (await cpuMs()) - cpuBeforeGrowth;
const growthWall = Date.now() - growthStart;
const { seen, drawn, longTasks } = await page.evaluate<{ seen: Record<string, number>; drawn: Record<string, number>; longTasks: number[] }>(
  '({ seen: window.seen, drawn: window.drawn, longTasks: window.longTasks })',
);
const arrive: number[] = [];
const redraw: number[] = [];
const seenKeys = Object.keys(seen).map(Number);
const drawnKeys = Object.keys(drawn).map(Number);
for (const [e, at] of written) {
  // A count that covers this episode: the first time the page held it.
  const s = seenKeys.filter((k) => k - TRIALS >= e - TRIALS).map((k) => seen[k]);
  const d = drawnKeys.filter((k) => k >= e).map((k) => drawn[k]);
  if (s.length) arrive.push(Math.min(...s) - at);
  if (d.length) redraw.push(Math.min(...d) - at);
}
console.log(`growth: ${written.size} trials appended over ${SECONDS} s on a ${TRIALS}-trial run`);
console.log(
  `  in the page (table and counts): median ${Math.round(median(arrive))} ms, 95th percentile ${Math.round(pctl(arrive, 0.95))} ms, max ${Math.round(Math.max(...arrive))} ms`,
);
console.log(
  `  accuracy plot redrawn with it: median ${Math.round(median(redraw))} ms, 95th percentile ${Math.round(pctl(redraw, 0.95))} ms, max ${Math.round(Math.max(...redraw))} ms`,
);
console.log(
  `  key press to selection moved: median ${Math.round(median(keyLatencies))} ms, max ${Math.round(Math.max(...keyLatencies))} ms (${keyLatencies.length} presses)`,
);
const blocked = longTasks.reduce((s, d) => s + d, 0);
console.log(`  long tasks: ${longTasks.length}, longest ${Math.round(Math.max(0, ...longTasks))} ms, ${Math.round((100 * blocked) / growthWall)}% of the time`);
console.log(`  CPU time (Chromium's renderers and the server): ${Math.round((100 * cpuGrowth) / growthWall)}% of one core`);
console.log(`  the page's main thread busy ${Math.round((100 * busyShare) / growthWall)}% of the time (Chromium's TaskDuration)`);
console.log(
  `  machine load average while measuring: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(', ')} on ${availableParallelism()} cores`,
);
await browser.close();
await dash.close();
