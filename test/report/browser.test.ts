// index.html as a person sees it: opened from disk in headless Chromium, every image decoded and
// laid out, and the screenshot more than a blank page. Needs Debian's chromium (apt-get install
// chromium); CI installs it, so there a missing browser fails the test instead of skipping it.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { CHROMIUM, haveChromium, launchChromium } from '../helpers/chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeComparison } from '../../src/report/compare.js';
import { writeRunReport } from '../../src/report/report.js';
import { tempDir, writeFakeRun } from './fake-run.js';
import { colourCount, darkPixels, decodePng } from './png.js';

// In CI a missing browser is a failed test (counted as one, not just a file that did not load).
it.runIf(!haveChromium && !!process.env.CI)('has Chromium to open the report in', () => {
  throw new Error(`${CHROMIUM} is missing, and CI must run the browser test: apt-get install -y chromium (see .ci/run)`);
});
if (!haveChromium && !process.env.CI) console.warn(`skipping the browser test: ${CHROMIUM} is not installed (apt-get install -y chromium)`);

let browser: Browser | undefined;
beforeAll(async () => {
  if (!haveChromium) return;
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

interface ImageState {
  id: string;
  complete: boolean;
  naturalWidth: number;
  width: number;
  height: number;
}

async function countRows(file: string): Promise<number> {
  const page = await browser!.newPage();
  try {
    await page.goto(pathToFileURL(file).href);
    return await page.locator('#trials tbody tr').count();
  } finally {
    await page.close();
  }
}

/** Opens `file`, waits for its images, and returns their state, the page text and a screenshot. */
async function open(file: string) {
  const page = await browser!.newPage({ viewport: { width: 1200, height: 900 } });
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  try {
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const images = await page.$$eval('img', (imgs) =>
      imgs.map((img) => {
        const box = img.getBoundingClientRect();
        return { id: img.id, complete: img.complete, naturalWidth: img.naturalWidth, width: box.width, height: box.height };
      }),
    );
    const decoded = await page.$$eval('img', (imgs) =>
      Promise.all(
        imgs.map((img) =>
          img.decode().then(
            () => true,
            () => false,
          ),
        ),
      ),
    );
    const text = await page.textContent('body');
    const screenshot = decodePng(await page.screenshot({ fullPage: true }));
    return { images: images as ImageState[], decoded, text, screenshot, requests };
  } finally {
    await page.close();
  }
}

describe.skipIf(!haveChromium)('report pages in Chromium', () => {
  it('index.html shows every plot and diagram, the tables, and loads nothing from elsewhere', async () => {
    const dir = join(tempDir(), 'run-browser');
    writeFakeRun(dir, { episodes: 25, failed: [6], hierarchical: true });
    await writeRunReport(dir);
    const index = join(dir, 'report', 'index.html');
    const { images, decoded, text, screenshot, requests } = await open(index);

    // The views of views.ts (the dashboard's too) and the two cells.
    expect(images.map((i) => i.id).sort()).toEqual(['accuracy', 'cost', 'decisions', 'normal', 'reduction', 'reward']);
    for (const img of images) {
      expect(img.complete, img.id).toBe(true);
      expect(img.naturalWidth, img.id).toBeGreaterThan(100);
      expect(img.width, img.id).toBeGreaterThan(100);
      expect(img.height, img.id).toBeGreaterThan(100);
    }
    expect(decoded.every((d) => d)).toBe(true);
    expect(text).toContain('Top distinct architectures');
    // The full trial table, not only the top 10.
    expect(await countRows(index)).toBe(25);
    expect(text).toContain('25 of 25 episodes recorded');
    // Only the page itself (its images are data: URIs).
    expect(requests.filter((u) => !u.startsWith('data:'))).toEqual([pathToFileURL(index).href]);

    // The screenshot is a page with coloured plots on it, not a blank or single-colour page.
    expect(screenshot.height).toBeGreaterThan(900);
    expect(colourCount(screenshot)).toBeGreaterThan(50);
    expect(darkPixels(screenshot)).toBeGreaterThan(20000);
  });

  it('compare.html shows the comparison chart', async () => {
    const root = tempDir();
    writeFakeRun(join(root, 'a'), { episodes: 8, seed: 1 });
    writeFakeRun(join(root, 'b'), { episodes: 5, seed: 2, strategy: 'random', epochs: 4 });
    const { files } = await writeComparison([join(root, 'a'), join(root, 'b')], join(root, 'out'));
    const { images, text, screenshot } = await open(files.find((f) => f.endsWith('.html'))!);
    expect(images).toHaveLength(1);
    expect(images[0].naturalWidth).toBeGreaterThan(500);
    expect(text).toContain('a (controller)');
    expect(text).toContain('b (random)');
    expect(colourCount(screenshot)).toBeGreaterThan(20);
  });
});
