// examples/classify in Debian's Chromium: the site build.mjs assembles (page, vendored tfjs and
// onnxruntime-web, both exports), served from 127.0.0.1, classifies real CIFAR-10 test images
// picked through its file input, and both runtimes give the probabilities nascent's model gives in
// Node, on each tfjs backend the browser has. Nothing is fetched from anywhere but the local server.
import { existsSync, mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLayersModelFromDir } from '../../src/evaluators/child/model-io.js';
import { exportModel } from '../../src/export/export.js';
import { loadTestImages, pixelsOf, tfjsPredict } from '../../src/export/verify.js';
import { haveShared, SHARED } from '../helpers/shared.js';
import { writeTestPngs } from './test-pngs.js';
import { savedChild } from './fixture.js';
// @ts-expect-error: plain JavaScript examples, no declarations
import { buildSite } from '../../examples/classify/build.mjs';
// @ts-expect-error: plain JavaScript examples, no declarations
import { serve } from '../../examples/classify/serve.mjs';

const CHROMIUM = process.env.NASCENT_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
it.runIf(!haveChromium && !!process.env.CI)('has Chromium to open the example page in', () => {
  throw new Error(`${CHROMIUM} is missing, and CI must run the browser test: apt-get install -y chromium (see .ci/run)`);
});
if (!haveChromium && !process.env.CI) console.warn(`skipping the example page test: ${CHROMIUM} is not installed (apt-get install -y chromium)`);
const DATA = join(SHARED, 'data/cifar10-subset');
const withImages = haveShared(DATA, 'the CIFAR-10 subset');

const IMAGES = 6;
let browser: Browser | undefined;
let server: Server | undefined;
let base = '';
const pngs: string[] = [];
let nodeProbs: Float32Array;
let nodePixels: Float32Array;

beforeAll(async () => {
  if (!haveChromium || !withImages) return;
  await tf.setBackend('wasm');
  const dir = await savedChild();
  const root = mkdtempSync(join(tmpdir(), 'nascent-page-'));
  await exportModel(dir, { format: 'tfjs', out: join(root, 'tfjs'), check: false });
  await exportModel(dir, { format: 'onnx', out: join(root, 'onnx'), check: false });
  buildSite({ tfjs: join(root, 'tfjs'), onnx: join(root, 'onnx'), out: join(root, 'site') });
  const { set } = await loadTestImages('cifar10', { dataDir: DATA });
  pngs.push(...(await writeTestPngs(set, IMAGES, root)));
  nodePixels = pixelsOf(set, 0, IMAGES);
  const model = await loadLayersModelFromDir(dir);
  nodeProbs = await tfjsPredict(model, [32, 32, 3])(nodePixels, IMAGES);
  model.dispose();
  server = (await serve(join(root, 'site'))) as Server;
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update'],
  });
});
afterAll(async () => {
  await browser?.close();
  server?.close();
});

interface PageResult {
  probs?: number[];
  pixels?: number[];
  error?: string;
}

describe.runIf(haveChromium && withImages).each(['wasm', 'webgl', 'webgpu', 'cpu'])('the example page with tfjs on %s', (backend) => {
  it('classifies real test images as nascent does in Node, with tfjs and with onnxruntime-web', async () => {
    const page = await browser!.newPage();
    const foreign: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(base) && !r.url().startsWith('data:')) foreign.push(r.url());
    });
    try {
      await page.goto(`${base}?backend=${backend}`);
      await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 60_000 });
      expect(await page.locator('#tfjs .status').textContent()).toBe(`ready: model-tfjs/model.json on ${backend}`);
      expect(await page.locator('#onnx .status').textContent()).toBe('ready: model-onnx/model.onnx on wasm');
      let worst = { tfjs: 0, onnx: 0 };
      for (let i = 0; i < IMAGES; i++) {
        await page.setInputFiles('#file', pngs[i]!);
        await page.waitForFunction((n) => document.body.dataset.classified === String(n), i + 1, { timeout: 60_000 });
        const results = (await page.evaluate(() => (window as unknown as { nascent: { results: Record<string, PageResult> } }).nascent.results)) as Record<
          string,
          PageResult
        >;
        const expected = Array.from(nodeProbs.subarray(i * 10, (i + 1) * 10));
        for (const runtime of ['tfjs', 'onnx'] as const) {
          const r = results[runtime]!;
          expect(r.error).toBeUndefined();
          // The page fed exactly the pixels nascent feeds (the first few are kept for this check).
          expect(r.pixels).toEqual(Array.from(nodePixels.subarray(i * 3072, i * 3072 + 8)));
          const diff = Math.max(...r.probs!.map((p, k) => Math.abs(p - expected[k]!)));
          worst = { ...worst, [runtime]: Math.max(worst[runtime], diff) };
          expect(r.probs!.indexOf(Math.max(...r.probs!))).toBe(expected.indexOf(Math.max(...expected)));
        }
      }
      // tfjs on wasm and cpu is float32 like Node; the GPU backends' shaders may round differently.
      expect(worst.tfjs).toBeLessThanOrEqual(backend === 'wasm' || backend === 'cpu' ? 1e-5 : 1e-4);
      expect(worst.onnx).toBeLessThanOrEqual(1e-4);
      console.log(`page, tfjs on ${backend}: max |p - p_node| tfjs ${worst.tfjs.toExponential(2)}, onnx ${worst.onnx.toExponential(2)} over ${IMAGES} images`);
      expect(await page.locator('#tfjs li').count()).toBe(3);
      expect(foreign).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
