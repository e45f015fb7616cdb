// --latency-on browser: the flag's values, the clear errors before any child (no Chromium there,
// a value it does not know), and a real measurement in Chromium that is a positive median and
// reuses one browser for several children.
import { existsSync } from 'node:fs';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { buildChild } from '../../src/evaluators/child/build.js';
import { BrowserLatency, parseLatencyOn } from '../../src/export/browser-latency.js';
import { EVERY_OP } from './fixture.js';

const CHROMIUM = process.env.NASCENT_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
it.runIf(!haveChromium && !!process.env.CI)('has Chromium to time children in', () => {
  throw new Error(`${CHROMIUM} is missing, and CI must run the browser test: apt-get install -y chromium (see .ci/run)`);
});

describe('parseLatencyOn', () => {
  it('reads node, browser and browser:<backend>', () => {
    expect(parseLatencyOn(undefined)).toBeUndefined();
    expect(parseLatencyOn('node')).toBeUndefined();
    expect(parseLatencyOn('browser')).toBe('wasm');
    expect(parseLatencyOn('browser:webgl')).toBe('webgl');
    expect(() => parseLatencyOn('browser:metal')).toThrow(/--latency-on browser:metal: expected node, browser, or browser:wasm\|webgl\|webgpu\|cpu/);
    expect(() => parseLatencyOn('firefox')).toThrow(/expected node, browser/);
  });
});

describe('BrowserLatency', () => {
  it('says what is missing when there is no Chromium', async () => {
    await expect(BrowserLatency.start({ backend: 'wasm', executablePath: '/nonexistent/chromium' })).rejects.toThrow(
      /--latency-on browser needs Chromium, and \/nonexistent\/chromium is not there: apt-get install chromium, or set NASCENT_CHROMIUM/,
    );
  });

  it.runIf(haveChromium)('times children in one page, batch 1, after a warm-up', async () => {
    await tf.setBackend('cpu');
    const latency = await BrowserLatency.start({ backend: 'wasm', executablePath: CHROMIUM, runs: 5 });
    try {
      expect(latency.describe()).toMatch(/^Chromium \d+.*tfjs wasm, median of 5 after 3 warm-up runs$/);
      const small = buildChild(EVERY_OP, { channels: [4, 8, 8, 8, 8], seed: 1 });
      // 8 to 16 times the small one's channels (its pointwise convolutions 64 to 256 times the
      // multiply-adds): a loaded machine that shifts a batch-1 time by tens of ms cannot put it below
      // the small child's (at 16-64 channels it did once, in CI beside other jobs).
      const large = buildChild(EVERY_OP, { channels: [32, 64, 64, 128, 128], seed: 1 });
      // Two children at once are timed one after the other in the same page.
      const [a, b] = await Promise.all([latency.measure(small, [32, 32, 3]), latency.measure(large, [32, 32, 3])]);
      expect(a).toBeGreaterThan(0);
      expect(b).toBeGreaterThan(a);
      small.dispose();
      large.dispose();
    } finally {
      await latency.close();
    }
  });
});

describe('the browser latency as the cost', () => {
  it("is what mnas scores and the front is drawn against, not Node's", async () => {
    const { mnasObjective } = await import('../../src/search/objective.js');
    const { paretoFront } = await import('../../src/search/pareto.js');
    const o = mnasObjective({ cost: 'browser-latency', target: 10, w: -0.07 });
    expect(o.score(0.5, { params: 1, latencyMs: 40, browserLatencyMs: 20 })).toBeCloseTo(0.5 * 2 ** -0.07, 12);
    expect(() => o.score(0.5, { params: 1, latencyMs: 40 })).toThrow(/needs the child's latency in the browser/);
    const t = (episode: number, accuracy: number, latencyMs: number, browserLatencyMs: number) => ({
      episode,
      key: `k${episode}`,
      accuracy,
      params: 1,
      latencyMs,
      browserLatencyMs,
      cells: {},
    });
    // Node ranks 1 cheaper than 2; the browser ranks 2 cheaper: only the browser's front keeps both.
    const trials = [t(1, 0.5, 10, 30), t(2, 0.4, 20, 15)];
    expect(paretoFront(trials, 'browser-latency').map((p) => [p.episode, p.browserLatencyMs])).toEqual([
      [2, 15],
      [1, 30],
    ]);
    expect(paretoFront(trials, 'latency').map((p) => p.episode)).toEqual([1]);
  });
});
