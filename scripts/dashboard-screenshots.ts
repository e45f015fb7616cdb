// The screenshots of docs/concepts/dashboard.md, taken in Debian's Chromium from runs made up here:
// a search "in progress" (a stand-in process holds its lock) of 300 trials on two workers with two
// children in flight, a finished Hyperband run and a NAS-Bench-201 table search (test fixtures).
//
//   npx tsx scripts/dashboard-screenshots.ts [--out docs/concepts]
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { startDashboard } from '../src/dashboard/server.js';
import { fakeConfig, fakeTrials } from '../test/report/fake-run.js';

const ROOT = resolve(import.meta.dirname, '..');
const outArg = process.argv.indexOf('--out');
const out = resolve(outArg >= 0 ? process.argv[outArg + 1] : join(ROOT, 'docs', 'concepts'));
const runs = join(mkdtempSync(join(tmpdir(), 'nascent-shots-')), 'runs');

// A controller search of 300 children so far (of 500) on two workers, two children in flight.
const live = join(runs, '2026-12-07-controller-cifar10');
mkdirSync(live, { recursive: true });
writeFileSync(join(live, 'config.json'), JSON.stringify({ ...fakeConfig({ episodes: 500, epochs: 6, window: 20 }), created: new Date(Date.now() - 300 * 42_000).toISOString() }));
const recent: number[] = [];
const trials = fakeTrials({ episodes: 300, epochs: 6, window: 20, failed: [41, 187], seed: 3 }).map((t, i) => {
  // Accuracy that climbs as the controller learns, as a real search's does; the baseline is the mean
  // of the last 20 finished, as the search keeps it.
  const accuracy = t.accuracy === null ? null : Math.min(0.93, Math.round((0.45 + 0.35 * (i / 300) + 0.12 * Math.sin(i * 12.9898) ** 2) * 1e4) / 1e4);
  const baseline = recent.length === 0 ? 0.1 : recent.reduce((a, b) => a + b, 0) / recent.length;
  if (accuracy !== null) recent.push(accuracy);
  if (recent.length > 20) recent.shift();
  return {
    ...t,
    accuracy,
    baseline,
    reward: (accuracy ?? 0) - baseline,
    valAccuracies: accuracy === null ? [] : [0.3, 0.45, 0.55, 0.62, 0.7, 1].map((f) => Math.round(accuracy * f * 1e4) / 1e4),
    worker: i % 2 === 0 ? 'gpu-a-4121' : 'gpu-b-977',
    // The last one finished a few seconds ago.
    time: new Date(Date.now() - (300 - i) * 42_000 + 30_000).toISOString(),
  };
});
writeFileSync(join(live, 'trials.jsonl'), trials.map((t) => `${JSON.stringify(t)}\n`).join(''));
writeFileSync(
  join(live, 'checkpoint.json'),
  JSON.stringify({ inflight: { children: [{ child: 301, job: { kind: 'new', budget: 6 }, proposal: { explored: false } }, { child: 302, job: { kind: 'new', budget: 6 }, proposal: { explored: true } }], dispatched: 302, run: 'x' } }),
);
for (const [from, to] of [
  [join(ROOT, 'test', 'dashboard', 'fixtures', 'hyperband'), '2026-12-07-hyperband'],
  [join(ROOT, 'test', 'fixtures', 'runs', '2026-12-03-nb201-evolution'), '2026-12-03-nb201-evolution'],
]) cpSync(from, join(runs, to), { recursive: true });

// A stand-in for the search process: it holds the run's lock, so the dashboard shows it running.
const holder = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `const { acquireRunLock } = await import(${JSON.stringify(join(ROOT, 'src', 'store', 'lock.ts'))}); acquireRunLock(${JSON.stringify(live)}); console.log('locked'); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise<void>((r) => holder.stdout!.on('data', () => r()));

const dash = await startDashboard({ dirs: [runs], port: 0, allowActions: true });
const browser = await chromium.launch({ executablePath: process.env.NASCENT_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(dash.url);
  await page.waitForSelector('body[data-ready="runs"]');
  await page.screenshot({ path: join(out, 'dashboard-runs.png'), clip: { x: 0, y: 0, width: 1280, height: 260 } });
  await page.goto(`${dash.url}#/run/2026-12-07-controller-cifar10`);
  await page.waitForSelector('body[data-ready="run"]');
  await page.waitForFunction(() => [...document.querySelectorAll('.view')].every((v) => v.getAttribute('data-drawn') !== null));
  await page.screenshot({ path: join(out, 'dashboard-run.png'), clip: { x: 0, y: 0, width: 1280, height: 1000 } });
  await page.locator('table.trials tr[data-episode]').first().waitFor();
  await page.locator('th button', { hasText: 'accuracy' }).click();
  await page.locator('.trial-scroller').focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.detail[data-episode]');
  await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.detail img.cell')].every((i) => i.complete && i.naturalWidth > 0));
  // Page coordinates (the focused table scrolled the page), as a string: tsx would add helpers to a function.
  const top = await page.evaluate<number>(`[...document.querySelectorAll('h2')].find((h) => h.textContent === 'Trials').getBoundingClientRect().top + window.scrollY`);
  await page.screenshot({ path: join(out, 'dashboard-trial.png'), fullPage: true, clip: { x: 0, y: top - 10, width: 1280, height: 1400 } });
  await page.goto(`${dash.url}#/run/2026-12-07-hyperband`);
  await page.waitForSelector('body[data-ready="run"]');
  await page.waitForFunction(() => [...document.querySelectorAll('.view')].every((v) => v.getAttribute('data-drawn') !== null));
  const rungs = await page.evaluate<number[]>(`(() => { const r = document.querySelector('#view-rungs').getBoundingClientRect(); return [r.top + window.scrollY, r.height]; })()`);
  await page.screenshot({ path: join(out, 'dashboard-rungs.png'), fullPage: true, clip: { x: 0, y: rungs[0], width: 1280, height: rungs[1] } });
  console.log(`screenshots in ${out}`);
} finally {
  await browser.close();
  await dash.close();
  holder.kill();
}
