// Batch-1 latency of a run's children in Node and in headless Chromium, on each tfjs backend the
// browser has: how far the search backend's figure is from where the network will run.
//
//   npx tsx bench/browser-latency.ts --run runs/<run> [--backends wasm,webgl,webgpu,cpu] [--node wasm]
//
// Each child is built from its trial's cells at the run's channels (latency does not depend on the
// weights) and timed the way the search times it: 3 warm-up runs, then the median of 10. The trials'
// own latencyMs / browserLatencyMs, measured during the search, are printed beside.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type BackendChoice, prepareBackend } from '../src/backend/index.js';
import { buildChild } from '../src/evaluators/child/build.js';
import { measureLatency } from '../src/evaluators/child/latency.js';
import { BrowserLatency } from '../src/export/browser-latency.js';
import type { BrowserBackend } from '../src/export/browser-page.js';
import type { CellPair } from '../src/spaces/nasnet/types.js';

const { values } = parseArgs({
  options: { run: { type: 'string' }, backends: { type: 'string', default: 'wasm,webgl,webgpu,cpu' }, node: { type: 'string', default: 'wasm' } },
});
if (!values.run) throw new Error('usage: tsx bench/browser-latency.ts --run RUN_DIR [--backends wasm,webgl,webgpu,cpu] [--node wasm]');
const config = JSON.parse(readFileSync(join(values.run, 'config.json'), 'utf8'));
const channels: number[] = config.evaluator.channels;
const trials = readFileSync(join(values.run, 'trials.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { episode: number; key: string; cells: CellPair; params: number; latencyMs?: number; browserLatencyMs?: number });
const backend = await prepareBackend(values.node as BackendChoice);
const shape: [number, number, number] = [32, 32, 3];

const rows: Record<string, number | string>[] = [];
for (const t of trials) {
  const model = buildChild(t.cells, { channels, inputShape: shape, seed: 1 });
  rows.push({
    episode: t.episode,
    key: t.key,
    params: t.params,
    [`node ${backend.name}`]: await measureLatency(model, shape),
    'search: node': t.latencyMs ?? '',
    'search: browser': t.browserLatencyMs ?? '',
  });
  model.dispose();
}
for (const b of values.backends!.split(',') as BrowserBackend[]) {
  let browser: BrowserLatency;
  try {
    browser = await BrowserLatency.start({ backend: b });
  } catch (err) {
    console.error(`browser ${b}: ${(err as Error).message}`);
    continue;
  }
  console.error(browser.describe());
  for (const [i, t] of trials.entries()) {
    const model = buildChild(t.cells, { channels, inputShape: shape, seed: 1 });
    rows[i]![`browser ${b}`] = await browser.measure(model, shape);
    model.dispose();
  }
  await browser.close();
}
const cols = Object.keys(rows[0] ?? {});
const fmt = (v: number | string) => (typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(1) : String(v));
console.log(`channels ${channels.join(',')}, batch 1, ms (median of 10 after 3 warm-up runs)\n`);
console.log(`| ${cols.join(' | ')} |\n|${cols.map(() => '---').join('|')}|`);
for (const r of rows) console.log(`| ${cols.map((c) => fmt(r[c] ?? '')).join(' | ')} |`);
