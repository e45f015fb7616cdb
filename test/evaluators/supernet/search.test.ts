// The weight-sharing driver's final scoring across a stop: a run stopped (or killed) while it scores
// its final samples takes the samples already on disk on resume instead of scoring them again, and
// ends with the files a run never stopped writes; with a screen, only the best are scored whole. The network is a stand-in whose score is a
// function of the architecture, so the test sees exactly which architectures were scored.
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareBackend } from '../../../src/backend/index.js';
import { nasnetSpace } from '../../../src/spaces/nasnet/space.js';
import type { CellPair } from '../../../src/spaces/nasnet/types.js';
import { MovingBaseline } from '../../../src/strategies/controller/baseline.js';
import type { ImageSet } from '../../../src/data/types.js';
import { RandomStrategy } from '../../../src/strategies/random.js';
import { runWeightSharing, WS_FILES, type WeightSharingSettings, type WsEvent } from '../../../src/evaluators/supernet/search.js';
import type { SharedWeights } from '../../../src/evaluators/supernet/types.js';

const space = nasnetSpace();
const images = (count: number): ImageSet => ({
  images: new Uint8Array(count * 4 * 4 * 3),
  labels: new Uint8Array(count),
  count,
  height: 4,
  width: 4,
  channels: 3,
});
const data = { train: images(8), val: images(8) };
const settings: WeightSharingSettings = { wsEpochs: 1, controllerSteps: 2, batchSize: 4, finalSamples: 5, topCells: 3, checkpointEvery: 1, seed: 3 };

/** A stand-in network: `correct` is a hash of the architecture, and every call is counted. */
class CountingNet implements SharedWeights<CellPair> {
  scoredKeys: string[] = [];
  async trainStep(): Promise<{ loss: number; correct: number }> {
    return { loss: 1, correct: 0 };
  }
  async correct(arch: CellPair, batch: { xs: { shape: number[] } }): Promise<number> {
    const key = space.key(arch);
    this.scoredKeys.push(key);
    let h = 0;
    for (const ch of key) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
    return h % (batch.xs.shape[0] + 1);
  }
  params(): number {
    return 1;
  }
  async encodeState(): Promise<Uint8Array> {
    return new Uint8Array([7]);
  }
  restoreState(): void {}
}

let work: string;
beforeAll(async () => {
  await prepareBackend('cpu');
  work = mkdtempSync(join(tmpdir(), 'nascent-ws-final-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const run = (
  dir: string,
  net: CountingNet,
  stopAfter?: number | ((e: Extract<WsEvent, { type: 'final-sample' }>) => boolean),
  used: WeightSharingSettings = settings,
) => {
  mkdirSync(dir, { recursive: true });
  const stop = new AbortController();
  return runWeightSharing({
    dir,
    space,
    strategy: new RandomStrategy(space.decisions, 9),
    baseline: new MovingBaseline(),
    net,
    data,
    settings: used,
    config: {},
    signal: stop.signal,
    onEvent: (e: WsEvent) => {
      if (e.type === 'final-sample' && (typeof stopAfter === 'function' ? stopAfter(e) : e.done === stopAfter)) stop.abort();
    },
  });
};
const read = (dir: string, name: string) => readFileSync(join(dir, name), 'utf8');
// Two batches of 4 validation images per final sample.
const finalCalls = (net: CountingNet) => net.scoredKeys.length - settings.controllerSteps;

describe('runWeightSharing final scoring', () => {
  it('takes the samples a stopped run scored and scores only the rest', async () => {
    const straight = join(work, 'straight');
    const whole = new CountingNet();
    const done = await run(straight, whole);
    expect(done.stopped).toBe(false);
    expect(finalCalls(whole)).toBe(2 * settings.finalSamples);

    const stopped = join(work, 'stopped');
    const first = new CountingNet();
    expect((await run(stopped, first, 2)).stopped).toBe(true);
    expect(read(stopped, WS_FILES.final).trim().split('\n').length).toBe(2);
    expect(existsSync(join(stopped, WS_FILES.best))).toBe(false);
    // A kill can leave half a line after the whole ones: it goes, and that sample is scored again.
    appendFileSync(join(stopped, WS_FILES.final), '{"sample":3,"cel');

    const second = new CountingNet();
    const resumed = await run(stopped, second);
    expect(resumed.stopped).toBe(false);
    expect(second.scoredKeys.length).toBe(2 * (settings.finalSamples - 2));
    expect(second.scoredKeys).toEqual(whole.scoredKeys.slice(settings.controllerSteps + 4));
    for (const name of [WS_FILES.final, WS_FILES.top, WS_FILES.best]) expect(read(stopped, name)).toBe(read(straight, name));
    expect(resumed.scoredImages).toBe(done.scoredImages);
  });

  it('refuses final samples that are not what the restored strategy draws', async () => {
    const dir = join(work, 'edited');
    expect((await run(dir, new CountingNet(), 1)).stopped).toBe(true);
    const line = JSON.parse(read(dir, WS_FILES.final));
    rmSync(join(dir, WS_FILES.final));
    appendFileSync(join(dir, WS_FILES.final), JSON.stringify({ ...line, key: 'not-this-one' }) + '\n');
    await expect(run(dir, new CountingNet())).rejects.toThrow(
      /final-samples\.jsonl: sample 1 is not-this-one, but the strategy restored from .*ws-checkpoint\.bin draws [0-9a-f]+ \(the run was edited or damaged\)/,
    );
  });

  it('screens every sample on the first validation images and scores only the best --top-cells on all of them, across a stop', async () => {
    // finalScreen 4: one batch of the 8 validation images per sample; the best 2 get both batches.
    const screened: WeightSharingSettings = { ...settings, finalSamples: 6, finalScreen: 4, topCells: 2 };
    const straight = join(work, 'screen-straight');
    const net = new CountingNet();
    const done = await run(straight, net, undefined, screened);
    expect(done.stopped).toBe(false);
    expect(finalCalls(net)).toBe(6 + 2 * 2);
    const lines = read(straight, WS_FILES.final)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.images)).toEqual([4, 4, 4, 4, 4, 4, 8, 8]);
    const screen = lines.slice(0, 6);
    const best2 = [...screen].sort((a, b) => b.accuracy - a.accuracy || a.sample - b.sample).slice(0, 2);
    expect(lines.slice(6).map((l) => l.key)).toEqual(best2.map((l) => l.key));
    // The top cells are the whole-split scores, ranked by them.
    const top = read(straight, WS_FILES.top)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(top).toHaveLength(2);
    const whole = lines.slice(6).sort((a, b) => b.accuracy - a.accuracy || a.sample - b.sample);
    expect(top.map((t) => [t.key, t.accuracy])).toEqual(whole.map((w) => [w.key, w.accuracy]));
    expect(JSON.parse(read(straight, WS_FILES.best)).key).toBe(whole[0].key);
    expect(done.scoredImages).toBe(settings.controllerSteps * 4 + 6 * 4 + 2 * 8);

    // Stopped after the first whole-split score: the resume scores only the second.
    const stopped = join(work, 'screen-stopped');
    expect((await run(stopped, new CountingNet(), (e) => e.stage === 'whole' && e.done === 1, screened)).stopped).toBe(true);
    const second = new CountingNet();
    const resumed = await run(stopped, second, undefined, screened);
    expect(second.scoredKeys).toEqual(net.scoredKeys.slice(-2));
    for (const name of [WS_FILES.final, WS_FILES.top, WS_FILES.best]) expect(read(stopped, name)).toBe(read(straight, name));
    expect(resumed.scoredImages).toBe(done.scoredImages);
  });
});
