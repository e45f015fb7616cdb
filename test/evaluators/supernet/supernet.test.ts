import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { sampleCells } from '../../../src/spaces/nasnet/sample.js';
import type { CellPair } from '../../../src/spaces/nasnet/types.js';
import { buildChild } from '../../../src/evaluators/child/build.js';
import { SharedAdam, Supernet, encodeSupernetState, restoreSupernetState } from '../../../src/evaluators/supernet/supernet.js';
import { makeBatch } from '../../../src/data/pipeline.js';
import { Rng } from '../../../src/util/random.js';
import { colorSet, exampleCells } from '../child/helpers.js';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

const SIZE = 8;
const CHANNELS = [2, 4, 4, 8, 8];
const net = (seed = 1, hierarchical = false) => new Supernet({ channels: CHANNELS, blocks: 5, hierarchical, numClasses: 2, inputShape: [SIZE, SIZE, 3], seed });
const batch = (n = 8, seed = 3) =>
  makeBatch(
    colorSet(n, SIZE, seed),
    Array.from({ length: n }, (_, i) => i),
    2,
  );

/** The supernet weight a child layer's weights come from (the child's layer names, rewritten). */
function supernetName(layer: string): string {
  return layer
    .replace(/^cell(\d)_(normal|reduction)/, 'cell$1')
    .replace(/op(\d)_(sep_\dx\d)_(dw|pw|bn)$/, 'op$1/$2/$3')
    .replace(/_(conv|bn)$/, '/$1')
    .replace(/^head_dense$/, 'head');
}

/** Copies the supernet's weights into the child built for `cells` (BN: gamma and beta). */
function copyInto(model: tfl.LayersModel, s: Supernet): number {
  let copied = 0;
  for (const layer of model.layers) {
    const weights = layer.getWeights();
    if (weights.length === 0) continue;
    const name = supernetName(layer.name);
    const get = (suffix: string) => {
      const v = s.variables.get(`${name}${suffix}`);
      if (!v) throw new Error(`no supernet weight for ${layer.name} (${name}${suffix})`);
      return v;
    };
    const cls = layer.getClassName();
    const values =
      cls === 'Dense'
        ? [get('/kernel'), get('/bias')]
        : cls.includes('BatchNormalization')
          ? [get('/gamma'), get('/beta'), weights[2], weights[3]]
          : layer.name.endsWith('_dw') || layer.name.endsWith('_pw') || layer.name.endsWith('_conv')
            ? [get('')]
            : undefined;
    if (!values) throw new Error(`unexpected layer ${layer.name} (${cls})`);
    layer.setWeights(values);
    copied++;
  }
  return copied;
}

describe('Supernet', () => {
  it('computes, for any cells, the child of the spec with the shared weights (BN on batch statistics)', () => {
    const s = net();
    const b = batch();
    const rng = new Rng(5);
    for (const cells of [exampleCells(), sampleCells(rng, { blocks: 5, hierarchical: false }), sampleCells(rng, { blocks: 5, hierarchical: false })]) {
      const model = buildChild(cells, { channels: CHANNELS, numClasses: 2, inputShape: [SIZE, SIZE, 3] });
      expect(copyInto(model, s)).toBeGreaterThan(10);
      const gap = tf.tidy(() => {
        const probs = model.apply(b.xs, { training: true }) as tf.Tensor;
        return tf.max(tf.abs(tf.sub(probs, tf.softmax(s.logits(cells, b.xs))))).dataSync()[0];
      });
      expect(gap).toBeLessThan(1e-5);
      model.dispose();
    }
    s.dispose();
  });

  it('gives logits of [batch, classes] for flat and hierarchical cells', () => {
    const b = batch(4);
    for (const hierarchical of [false, true]) {
      const s = net(2, hierarchical);
      const cells = sampleCells(new Rng(9), { blocks: 5, hierarchical });
      const logits = s.logits(cells, b.xs);
      expect(logits.shape).toEqual([4, 2]);
      logits.dispose();
      s.dispose();
    }
  });

  it("a training step changes exactly the weights on the architecture's path, and no others", async () => {
    const s = net(3);
    const b = batch();
    const cells: CellPair = exampleCells();
    const path = new Set(s.pathWeights(cells, b.xs, b.ys));
    // the example's first normal block is sep_3x3(h1) + ..., so that slot's sep_3x3 is on the path and sep_7x7 is not
    expect(path.has('stem/conv')).toBe(true);
    const off = [...s.variables.keys()].filter((n) => !path.has(n));
    expect(off.length).toBeGreaterThan(path.size);
    const before = new Map([...s.variables].map(([n, v]) => [n, v.dataSync().slice()]));
    const adam = new SharedAdam(1e-2);
    const { loss, correct } = await s.trainStep(cells, b.xs, b.ys, adam);
    expect(Number.isFinite(loss)).toBe(true);
    expect(correct).toBeGreaterThanOrEqual(0);
    const changed = [...s.variables].filter(([n, v]) => v.dataSync().some((x, i) => x !== before.get(n)![i])).map(([n]) => n);
    expect(new Set(changed)).toEqual(path);
    expect(Object.keys(adam.steps()).sort()).toEqual([...path].sort());
    adam.dispose();
    s.dispose();
  });

  it('learns, and leaves no tensors behind per step', async () => {
    const s = net(4);
    const b = batch(16);
    const adam = new SharedAdam(2e-2);
    const cells = exampleCells();
    await s.trainStep(cells, b.xs, b.ys, adam);
    const tensors = tf.memory().numTensors;
    const losses: number[] = [];
    for (let i = 0; i < 15; i++) losses.push((await s.trainStep(cells, b.xs, b.ys, adam)).loss);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(losses[14]).toBeLessThan(losses[0]);
    expect(await s.correct(cells, b.xs, b.ys)).toBeGreaterThan(8);
    adam.dispose();
    s.dispose();
  });

  it('saves and restores its weights and Adam state exactly', async () => {
    const a = net(5);
    const adamA = new SharedAdam(1e-2);
    const b = batch();
    const rng = new Rng(1);
    const archs = [0, 1, 2, 3].map(() => sampleCells(rng, { blocks: 5, hierarchical: false }));
    await a.trainStep(archs[0], b.xs, b.ys, adamA);
    await a.trainStep(archs[1], b.xs, b.ys, adamA);
    const bytes = await encodeSupernetState(a, adamA);
    const c = net(6);
    const adamC = new SharedAdam(1e-2);
    restoreSupernetState(c, adamC, bytes, 'state');
    for (const arch of archs.slice(2)) {
      expect((await c.trainStep(arch, b.xs, b.ys, adamC)).loss).toBe((await a.trainStep(arch, b.xs, b.ys, adamA)).loss);
    }
    for (const [n, v] of a.variables) expect(Array.from(c.variables.get(n)!.dataSync())).toEqual(Array.from(v.dataSync()));
    expect(() => restoreSupernetState(c, adamC, bytes.slice(0, 100), 'cut')).toThrow(/cut: not a supernet state/);
    for (const x of [a, c]) x.dispose();
    adamA.dispose();
    adamC.dispose();
  });
});
