// The dashboard as a person sees it, in Debian's Chromium: the runs table, every view of a finished
// run, a NAS-Bench-201 table search, a Hyperband run and a weight-sharing run, hostile and damaged
// runs shown as text and with what is missing, a trial line appended to a run shown within 2 s
// without reloading, keyboard navigation of the trial table, and several runs on one plot.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type Dashboard } from '../../src/dashboard/server.js';
import { fakeTrials } from '../report/fake-run.js';
import { haveChromium, CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { HOSTILE, makeRuns, type TestRuns } from './runs.js';

it.runIf(!haveChromium && !!process.env.CI)('has Chromium to open the dashboard in', () => {
  throw new Error(`${CHROMIUM} is missing, and CI must run the browser tests: apt-get install -y chromium (see .ci/run)`);
});
if (!haveChromium && !process.env.CI) console.warn(`skipping the dashboard browser tests: ${CHROMIUM} is not installed`);

let browser: Browser | undefined;
let dash: Dashboard;
let runs: TestRuns;
beforeAll(async () => {
  if (!haveChromium) return;
  runs = makeRuns();
  dash = await startDashboard({ dirs: [runs.root], port: 0, pollMs: 200 });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await dash?.close();
});

/** A page that fails the test on a script error or an alert (an injected handler running). */
async function openPage(hash = ''): Promise<{ page: Page; problems: string[] }> {
  const page = await browser!.newPage({ viewport: { width: 1300, height: 1000 } });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('request', (r) => {
    if (!r.url().startsWith(`http://127.0.0.1:${dash.port}/`)) problems.push(`request elsewhere: ${r.url()}`);
  });
  await page.goto(`${dash.url}${hash}`);
  return { page, problems };
}

/** Opens a run and waits until every view it has is drawn; returns the views' ids. */
async function openRun(id: string) {
  const { page, problems } = await openPage(`#/run/${encodeURIComponent(id)}`);
  await page.waitForSelector('body[data-ready="run"]', { timeout: 30_000 });
  await page.waitForFunction(() => [...document.querySelectorAll('.view')].every((v) => v.getAttribute('data-drawn') !== null), undefined, { timeout: 30_000 });
  const views = await page.$$eval('.view', (els) =>
    els.map((v) => {
      const drawn = v.querySelector('.plot canvas, .plot svg');
      const box = drawn?.getBoundingClientRect();
      return { id: v.getAttribute('data-view'), width: box?.width ?? 0, height: box?.height ?? 0, marks: v.querySelectorAll('[aria-roledescription]').length };
    }),
  );
  return { page, problems, views };
}

describe.runIf(haveChromium)('nascent dashboard in Chromium', () => {
  it('lists the runs, a hostile run name as text', async () => {
    const { page, problems } = await openPage();
    await page.waitForSelector('body[data-ready="runs"]');
    const names = await page.$$eval('table.runs tbody tr td:nth-child(2) a', (as) => as.map((a) => a.textContent));
    expect(names).toContain(HOSTILE);
    expect(names).toContain('finished');
    expect(await page.locator('table.runs img').count()).toBe(0);
    expect(await page.locator('table.runs tr[data-run="finished"]').textContent()).toMatch(/finished.*25 \/ 25/);
    expect(await page.locator('.connection').textContent()).toBe('live');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('draws every view of a finished run, and opens a trial with its curve and cells', async () => {
    const { page, problems, views } = await openRun('finished');
    expect(views.map((v) => v.id)).toEqual(['accuracy', 'reward', 'cost', 'decisions']);
    for (const v of views) {
      expect(v.width, v.id!).toBeGreaterThan(300);
      expect(v.height, v.id!).toBeGreaterThan(150);
    }
    // The accuracy plot's points carry the report's labels: 25 episodes, one failed.
    expect(await page.locator('#view-accuracy [aria-roledescription="point"]').count()).toBe(25);
    expect(await page.locator('table.trials tbody tr[data-episode]').count()).toBe(25);
    await page.locator('table.trials tbody tr[data-episode="6"]').click();
    await page.waitForSelector('.detail[data-episode="6"]');
    expect(await page.locator('.detail').textContent()).toMatch(/Episode 6failed/);
    await page.locator('table.trials tbody tr[data-episode="2"]').click();
    await page.waitForSelector('.detail[data-episode="2"]');
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.detail img.cell')].every((i) => i.complete && i.naturalWidth > 100));
    expect(await page.locator('.detail img.cell').count()).toBe(2);
    expect(await page.locator('.detail a[download]').getAttribute('href')).toBe('/api/trial?run=finished&episode=2&download=1');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('draws a table search (with and without a proxy warm-up), a Hyperband run and a weight-sharing run', async () => {
    const expected: Record<string, string[]> = {
      '2026-12-01-nb201-tpe': ['accuracy', 'reward', 'decisions'],
      '2026-12-01-nb201-controller': ['accuracy', 'reward', 'decisions'],
      hyperband: ['accuracy', 'accuracy-epochs', 'reward', 'budget', 'rungs', 'cost', 'decisions'],
      // Evolution proposed some architectures again: cached, no epochs spent, so child-epochs differ from episodes.
      'table-warmup': ['accuracy', 'accuracy-epochs', 'reward', 'decisions', 'proxies'],
      '2026-12-02-weight-sharing': ['ws-accuracy'],
    };
    for (const [id, ids] of Object.entries(expected)) {
      const { page, problems, views } = await openRun(id);
      expect(
        views.map((v) => v.id),
        id,
      ).toEqual(ids);
      for (const v of views) expect(v.width, `${id} ${v.id}`).toBeGreaterThan(300);
      expect(problems, id).toEqual([]);
      await page.close();
    }
  });

  it('shows a hostile run as text, and damaged runs with what is missing', async () => {
    const hostile = await openRun(HOSTILE);
    expect(await hostile.page.locator('h1').textContent()).toContain(HOSTILE);
    expect(await hostile.page.locator('.facts').textContent()).toContain('<b>bold</b>');
    expect(await hostile.page.locator('img:not(.cell)').count()).toBe(0);
    expect(hostile.problems).toEqual([]);
    await hostile.page.close();

    const torn = await openRun('torn');
    expect(await torn.page.locator('.problems').textContent()).toMatch(/last line of trials.jsonl is incomplete/);
    expect(await torn.page.locator('table.trials tbody tr[data-episode]').count()).toBe(5);
    await torn.page.close();

    const { page } = await openPage('#/run/no-config');
    await page.waitForSelector('body[data-ready="run"]');
    expect(await page.locator('.problems').textContent()).toMatch(/config.json is missing/);
    expect(await page.locator('table.trials tbody tr[data-episode]').count()).toBe(3);
    await page.close();
  });

  it('shows a trial written to trials.jsonl within 2 s, without reloading', async () => {
    const { page, problems } = await openRun('finished');
    const before = await page.locator('main.run').getAttribute('data-trials');
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    const next = fakeTrials({ episodes: Number(before) + 1, seed: 1 }).at(-1)!;
    const written = Date.now();
    appendFileSync(join(runs.finished, 'trials.jsonl'), `${JSON.stringify(next)}\n`);
    await page.waitForSelector(`table.trials tbody tr[data-episode="${next.episode}"]`, { timeout: 5000 });
    const shown = Date.now() - written;
    await page.waitForSelector(`#view-accuracy[data-drawn="${next.episode}"]`, { timeout: 5000 });
    const drawn = Date.now() - written;
    expect(shown).toBeLessThan(2000);
    expect(drawn).toBeLessThan(2000);
    // The same page: no reload.
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
    expect(await page.locator('.run-header').textContent()).toContain(`${next.episode} of 25 trials`);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('moves through the trial table with the keyboard, sorted and filtered', async () => {
    const { page } = await openRun('finished');
    const selected = () => page.locator('table.trials tr[aria-selected="true"]').getAttribute('data-episode');
    await page.locator('.trial-scroller').focus();
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowDown');
    expect(await selected()).toBe('3');
    await page.keyboard.press('ArrowUp');
    expect(await selected()).toBe('2');
    await page.keyboard.press('End');
    const last = await selected();
    expect(Number(last)).toBeGreaterThanOrEqual(25);
    await page.keyboard.press('Enter');
    await page.waitForSelector(`.detail[data-episode="${last}"]`);
    // Sorted by accuracy (best first): the first row is the best trial.
    await page.locator('th button', { hasText: 'accuracy' }).click();
    expect(await page.locator('th[aria-sort="descending"]').textContent()).toContain('accuracy');
    await page.locator('.trial-scroller').focus();
    await page.keyboard.press('Home');
    const accuracies = await page.$$eval('table.trials tbody tr[data-episode] td:nth-child(2)', (tds) => tds.map((td) => Number.parseFloat(td.textContent!)));
    expect(accuracies[0]).toBe(Math.max(...accuracies.filter((a) => !Number.isNaN(a))));
    expect(await page.locator('table.trials tr[aria-selected="true"] td:nth-child(2)').textContent()).toBe(`${accuracies[0].toFixed(2)}%`);
    // Filtered by status: the one failed child.
    await page.selectOption('select[aria-label="trial status"]', 'failed');
    expect(await page.locator('table.trials tbody tr[data-episode]').count()).toBe(1);
    expect(await page.locator('.toolbar').textContent()).toMatch(/1 of 2\d trials/);
    await page.close();
  });

  it('compares several runs on one plot', async () => {
    const { page, problems } = await openPage();
    await page.waitForSelector('body[data-ready="runs"]');
    await page.locator('tr[data-run="finished"] input[type="checkbox"]').check();
    await page.locator('tr[data-run="2026-12-01-nb201-tpe"] input[type="checkbox"]').check();
    await page.getByRole('button', { name: 'Compare the selected runs' }).click();
    await page.waitForSelector('body[data-ready="compare"]');
    const legend = await page.locator('.plot').textContent();
    expect(legend).toContain('finished (controller)');
    expect(legend).toContain('2026-12-01-nb201-tpe (tpe)');
    // A better child lands in one of the runs: the comparison follows, without a reload.
    const count = (await (await fetch(`${dash.url}api/run?run=finished`)).json()).trials.length as number;
    const better = { ...fakeTrials({ episodes: count + 1, seed: 1 }).at(-1)!, accuracy: 0.987, valAccuracies: [0.987] };
    appendFileSync(join(runs.finished, 'trials.jsonl'), `${JSON.stringify(better)}\n`);
    await page.waitForSelector(`[aria-label*="finished (controller) episode ${count + 1}: best 0.987"]`, { timeout: 10_000 });
    expect(problems).toEqual([]);
    await page.close();
  });
});
