// `nascent dashboard` beside a real search in another process: each trial the search writes shows in
// Chromium within 2 s, and the page's stop button (with --allow-actions) stops the search gracefully:
// it exits as after a Ctrl-C, resumable, and the page says so. Trains real (tiny) children on the
// CIFAR-10 subset in ../shared, so it runs with the end-to-end tests and skips without that folder.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDashboard, type Dashboard } from '../../src/dashboard/server.js';
import { tempDir } from '../report/fake-run.js';
import { haveChromium, launchChromium } from '../helpers/chromium.js';

const ROOT = join(import.meta.dirname, '..', '..');
const DATA = join(ROOT, '..', 'shared', 'data', 'cifar10-subset');
const ready = haveChromium && existsSync(DATA);
if (!ready) console.warn('skipping the live-search dashboard test: it needs Chromium and ../shared/data/cifar10-subset');

let browser: Browser | undefined;
let dash: Dashboard | undefined;
const root = tempDir('nascent-dashboard-live-');
beforeAll(async () => {
  if (!ready) return;
  dash = await startDashboard({ dirs: [root], port: 0, allowActions: true, pollMs: 250 });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await dash?.close();
});

const lineCount = (path: string) =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '').length
    : 0;

it.runIf(ready)('shows each trial of a running search within 2 s, and stops it gracefully', async () => {
  const out = join(root, 'live');
  const search = spawn(
    process.execPath,
    [
      join(ROOT, 'bin', 'nascent.mjs'),
      'search',
      'cifar10',
      '--data-dir',
      DATA,
      '--episodes',
      '40',
      '--epochs',
      '1',
      '--train-limit',
      '256',
      '--val-limit',
      '128',
      '--channels',
      '2,4,4,8,8',
      '--out',
      out,
      '--seed',
      '1',
    ],
    { env: { ...process.env, NASCENT_WASM_THREADS: '1' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  search.stderr!.on('data', (c) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => search.on('exit', (code) => resolve(code)));
  try {
    const page = await browser!.newPage({ viewport: { width: 1300, height: 1000 } });
    page.on('dialog', (d) => void d.accept());
    // The dashboard finds the run once the search has written its config.
    await page.goto(dash!.url);
    await page.waitForSelector('tr[data-run="live"]', { timeout: 120_000 });
    await page.goto(`${dash!.url}#/run/live`);
    await page.waitForSelector('body[data-ready="run"]');
    const trials = join(out, 'trials.jsonl');
    const latencies: number[] = [];
    for (let n = Math.max(1, lineCount(trials) + 1); latencies.length < 3; n++) {
      while (lineCount(trials) < n) await new Promise((r) => setTimeout(r, 10));
      const written = Date.now();
      await page.waitForSelector(`main.run[data-trials="${n}"] table.trials tr[data-episode="${n}"]`, { timeout: 10_000 });
      latencies.push(Date.now() - written);
    }
    console.log(`trial written to shown in Chromium: ${latencies.join(', ')} ms`);
    for (const l of latencies) expect(l).toBeLessThan(2000);
    expect(await page.locator('.badge.running').count()).toBe(1);

    await page.getByRole('button', { name: 'Stop search gracefully' }).click();
    await page.waitForSelector('.actions [role="status"]:has-text("asked search")');
    expect(await exited).toBe(130);
    await page.waitForSelector('.badge.stopped', { timeout: 10_000 });
    expect(await page.locator('.note').textContent()).toContain(`nascent search --resume ${out}`);
    expect(existsSync(join(out, 'checkpoint.json'))).toBe(true);
    await page.close();
  } finally {
    search.kill('SIGKILL');
    if (search.exitCode === null) await exited;
    if (stderr.trim()) console.log(stderr.slice(-2000));
  }
});
