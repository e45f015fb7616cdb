// Batch-1 latency where the network will run: a headless Chromium page with tfjs on the chosen
// backend (wasm, webgl, webgpu or cpu), started once per search and reused for every child. A
// missing browser, or a backend the browser cannot run, fails start() with a line that says so,
// before any child is trained. A page or browser that crashes later is started again once.
//
// A child's latency does not depend on its weight values, so the search times the architecture
// with seeded initial weights: the trained weights stay wherever the child was trained (a worker
// process or another machine), and only the search process needs the browser.
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { LATENCY_DEFAULTS } from '../evaluators/child/latency.js';
import { median } from '../util/stats.js';
import { BROWSER_BACKENDS, type BrowserBackend, type LatencyServer, startLatencyServer } from './browser-page.js';
import { artifactsOf } from './source.js';
import { standardTopology } from './tfjs.js';

type Playwright = typeof import('playwright-core');
type Browser = Awaited<ReturnType<Playwright['chromium']['launch']>>;
type Page = Awaited<ReturnType<Browser['newPage']>>;

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** `browser` or `browser:<backend>` (default wasm: what every browser runs); undefined for node. */
export function parseLatencyOn(value: string | undefined): BrowserBackend | undefined {
  if (value === undefined || value === 'node') return undefined;
  const m = /^browser(?::(.+))?$/.exec(value);
  const backend = (m?.[1] ?? 'wasm') as BrowserBackend;
  if (!m || !BROWSER_BACKENDS.includes(backend)) throw new Error(`--latency-on ${value}: expected node, browser, or browser:${BROWSER_BACKENDS.join('|')}`);
  return backend;
}

export interface BrowserLatencyOptions {
  backend: BrowserBackend;
  /** Chromium's executable (default $NASCENT_CHROMIUM, else /usr/bin/chromium). */
  executablePath?: string;
  warmup?: number;
  runs?: number;
}

export class BrowserLatency {
  private page?: Page;
  private browser?: Browser;
  private count = 0;
  // One child at a time: children of a parallel search finish together, and two timed in one
  // page at once would slow each other down.
  private queue: Promise<unknown> = Promise.resolve();
  private constructor(
    private readonly o: Required<BrowserLatencyOptions>,
    private readonly server: LatencyServer,
    private readonly playwright: Playwright,
  ) {}

  /** Launches Chromium and opens the page on the backend; throws a clear error when it cannot. */
  static async start(options: BrowserLatencyOptions): Promise<BrowserLatency> {
    const o: Required<BrowserLatencyOptions> = {
      executablePath: options.executablePath ?? process.env.NASCENT_CHROMIUM ?? DEFAULT_CHROMIUM,
      warmup: options.warmup ?? LATENCY_DEFAULTS.warmup,
      runs: options.runs ?? LATENCY_DEFAULTS.runs,
      backend: options.backend,
    };
    if (!existsSync(o.executablePath)) {
      throw new Error(
        `--latency-on browser needs Chromium, and ${o.executablePath} is not there: apt-get install chromium, or set NASCENT_CHROMIUM to a Chromium`,
      );
    }
    let playwright: Playwright;
    try {
      playwright = await import('playwright-core');
    } catch {
      throw new Error('--latency-on browser drives Chromium with playwright-core, which is not installed: npm install playwright-core');
    }
    const server = await startLatencyServer();
    const latency = new BrowserLatency(o, server, playwright);
    try {
      await latency.open();
    } catch (err) {
      await latency.close();
      throw err;
    }
    return latency;
  }

  /** The browser's description, for the search's log. */
  describe(): string {
    return `Chromium ${this.browser?.version() ?? '?'} (${this.o.executablePath}), tfjs ${this.o.backend}, median of ${this.o.runs} after ${this.o.warmup} warm-up runs`;
  }

  private async open(): Promise<void> {
    try {
      this.browser = await this.playwright.chromium.launch({
        executablePath: this.o.executablePath,
        args: ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--enable-unsafe-webgpu'],
      });
    } catch (err) {
      throw new Error(`--latency-on browser: Chromium (${this.o.executablePath}) did not start: ${(err as Error).message.split('\n')[0]}`);
    }
    this.page = await this.browser.newPage();
    await this.page.goto(this.server.url);
    const r = (await this.page.evaluate((b) => (window as unknown as { setup(b: string): Promise<unknown> }).setup(b), this.o.backend)) as {
      ok: boolean;
      backend: string;
      error?: string;
    };
    if (!r.ok || r.backend !== this.o.backend) {
      throw new Error(
        `--latency-on browser:${this.o.backend}: this Chromium cannot run tfjs's ${this.o.backend} backend (${r.error ?? `it fell back to ${r.backend}`})`,
      );
    }
  }

  /** Median batch-1 latency in ms of `model` (any weights) in the page. */
  measure(model: tfl.LayersModel, inputShape: [number, number, number]): Promise<number> {
    const turn = this.queue.then(() => this.measureNow(model, inputShape));
    this.queue = turn.catch(() => {});
    return turn;
  }

  private async measureNow(model: tfl.LayersModel, inputShape: [number, number, number]): Promise<number> {
    const a = await artifactsOf(model);
    const topology = standardTopology(a.modelTopology as never, model);
    const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData!));
    const id = `m${++this.count}`;
    const url = this.server.put(id, {
      'model.json': JSON.stringify({
        modelTopology: topology,
        format: 'layers-model',
        weightsManifest: [{ paths: ['./weights.bin'], weights: a.weightSpecs }],
      }),
      'weights.bin': weights,
    });
    try {
      const run = () =>
        this.page!.evaluate(
          ([u, s, w, n]) => (window as unknown as { time(u: string, s: number[], w: number, n: number): Promise<number[]> }).time(u, s, w, n),
          [url, inputShape, this.o.warmup, this.o.runs] as const,
        );
      let times: number[];
      try {
        times = await run();
      } catch (err) {
        // A crashed page or browser: start it again, once, and retry this child.
        if (this.page?.isClosed() === false && this.browser?.isConnected()) throw err;
        await this.browser?.close().catch(() => {});
        await this.open();
        times = await run();
      }
      return median(times);
    } finally {
      this.server.drop(id);
    }
  }

  async close(): Promise<void> {
    await this.browser?.close().catch(() => {});
    await this.server.close();
  }
}
