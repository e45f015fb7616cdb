// The deploy guide's flow as a user runs it, from the CLI on real CIFAR-10 images: a tiny search,
// `nascent train` on its best cells, `nascent export --format tfjs` and `--format onnx` (each of
// which checks itself against nascent's model on the test images and fails beyond 1e-5 / 1e-4),
// then the example page built from both exports classifies real test images in Chromium on tfjs's
// wasm backend and in onnxruntime-web, as nascent's trained model does in Node.
import { mkdtempSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { loadLayersModelFromDir } from '../../src/evaluators/child/model-io.js';
import { loadTestImages, pixelsOf, tfjsPredict } from '../../src/export/verify.js';
import { haveChromium, launchChromium } from '../helpers/chromium.js';
import { runNascent } from '../helpers/cli.js';
import { haveShared, SHARED } from '../helpers/shared.js';
import { writeTestPngs } from './test-pngs.js';
// @ts-expect-error: plain JavaScript examples, no declarations
import { buildSite } from '../../examples/classify/build.mjs';
// @ts-expect-error: plain JavaScript examples, no declarations
import { serve } from '../../examples/classify/serve.mjs';

const DATA = join(SHARED, 'data/cifar10-subset');
const withImages = haveShared(DATA, 'the CIFAR-10 subset');
const IMAGES = 3;
let browser: Browser | undefined;
let server: Server | undefined;
afterAll(async () => {
  await browser?.close();
  server?.close();
});

describe.runIf(haveChromium && withImages)('from a search to a page', () => {
  it('searches, trains, exports to tfjs and ONNX, and the page classifies as Node does', async () => {
    const root = mkdtempSync(join(tmpdir(), 'nascent-flow-'));
    const run = join(root, 'run');
    const cli = (args: string[]) => {
      const r = runNascent(args, { NASCENT_WASM_THREADS: '1' }, 300_000);
      expect(r.code, `nascent ${args.join(' ')}: ${r.err}`).toBe(0);
      return r;
    };
    cli(
      ['search', 'cifar10', '--data-dir', DATA, '--episodes', '1', '--epochs', '1', '--train-limit', '256', '--val-limit', '128'].concat([
        '--channels',
        '2,4,4,8,8',
        '--strategy',
        'random',
        '--seed',
        '1',
        '--backend',
        'wasm',
        '--no-report',
        '--out',
        run,
      ]),
    );
    cli([
      'train',
      '--cells',
      join(run, 'best-cells.json'),
      '--epochs',
      '1',
      '--train-limit',
      '512',
      '--data-dir',
      DATA,
      '--seed',
      '1',
      '--backend',
      'wasm',
      '--out',
      join(run, 'model'),
    ]);
    for (const format of ['tfjs', 'onnx']) {
      cli(['export', join(run, 'model'), '--format', format, '--out', join(root, format)]);
      const report = JSON.parse(readFileSync(join(root, format, 'export.json'), 'utf8'));
      expect(JSON.stringify(report)).toMatch(/"images":846/);
    }
    buildSite({ tfjs: join(root, 'tfjs'), onnx: join(root, 'onnx'), out: join(root, 'site') });

    await tf.setBackend('wasm');
    const { set } = await loadTestImages('cifar10', { dataDir: DATA });
    const pngs = await writeTestPngs(set, IMAGES, root);
    const model = await loadLayersModelFromDir(join(run, 'model'));
    const nodeProbs = await tfjsPredict(model, [32, 32, 3])(pixelsOf(set, 0, IMAGES), IMAGES);
    model.dispose();

    server = (await serve(join(root, 'site'))) as Server;
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`${base}?backend=wasm`);
    await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 60_000 });
    for (let i = 0; i < IMAGES; i++) {
      await page.setInputFiles('#file', pngs[i]!);
      await page.waitForFunction((n) => document.body.dataset.classified === String(n), i + 1, { timeout: 60_000 });
      const results = (await page.evaluate(
        () => (window as unknown as { nascent: { results: Record<string, { probs?: number[]; error?: string }> } }).nascent.results,
      )) as Record<string, { probs?: number[]; error?: string }>;
      const expected = Array.from(nodeProbs.subarray(i * 10, (i + 1) * 10));
      for (const runtime of ['tfjs', 'onnx']) {
        const r = results[runtime]!;
        expect(r.error).toBeUndefined();
        expect(Math.max(...r.probs!.map((p, k) => Math.abs(p - expected[k]!)))).toBeLessThanOrEqual(runtime === 'tfjs' ? 1e-5 : 1e-4);
      }
    }
    await page.close();
  }, 600_000);
});
