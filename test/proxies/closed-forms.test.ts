// Each proxy against a computation by hand on networks small enough to write out: the dense
// network's gradients taken directly with tf.grads, grasp's Hessian-gradient product in float64
// from a hand-written gradient, and closed forms where one exists.
//
// Not tfjs's second-order gradients for grasp: they are silently wrong wherever an op's gradient
// reads the op's saved output (exp, logSoftmax, softmax...), which tfjs then treats as a constant;
// on this network tf.grads(tf.grads(loss)) gives -0.148 where the true -Σ (Hg) ⊙ W is -0.323.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareBackend } from '../../src/backend/index.js';
import { fisher } from '../../src/proxies/fisher.js';
import { gradNorm } from '../../src/proxies/grad-norm.js';
import { grasp, graspWithStep } from '../../src/proxies/grasp.js';
import { jacobCov } from '../../src/proxies/jacob-cov.js';
import { naswot } from '../../src/proxies/naswot.js';
import { countMacs, countParams, flops, params } from '../../src/proxies/size.js';
import { snip } from '../../src/proxies/snip.js';
import { synflow, synflowLog } from '../../src/proxies/synflow.js';
import { type ProxyBatch, ProxyFailure, type ProxyNetwork } from '../../src/proxies/types.js';
import { denseNet, disposeBatch, randomBatch, setWeights, values } from './helpers.js';

beforeAll(async () => {
  await prepareBackend('wasm');
});

const D = 5;
const H = 6;
const C = 3;

/** The dense network's loss as a function of its four weights. */
function denseLoss(batch: ProxyBatch, [w1, b1, w2, b2]: tf.Tensor[]): tf.Scalar {
  const x = tf.reshape(batch.images, [batch.images.shape[0], -1]);
  const hidden = tf.relu(tf.add(tf.matMul(x, w1 as tf.Tensor2D), b1));
  const logits = tf.add(tf.matMul(hidden, w2 as tf.Tensor2D), b2);
  const oneHot = tf.oneHot(batch.labels, batch.numClasses);
  return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), -1)));
}

/**
 * grasp of the dense network in float64: the gradient by hand (backprop of relu and softmax
 * cross-entropy), Hg as its central difference along g with a step small enough for float64.
 */
function graspFloat64(batch: ProxyBatch, [w1, b1, w2, b2]: number[][]): number {
  const x = Array.from(batch.images.dataSync());
  const y = Array.from(batch.labels.dataSync());
  const n = y.length;
  const grad = (v1: number[], v2: number[]) => {
    const g1 = new Array<number>(D * H).fill(0);
    const g2 = new Array<number>(H * C).fill(0);
    for (let s = 0; s < n; s++) {
      const a = b1.map((b, j) => x.slice(s * D, s * D + D).reduce((acc, xi, i) => acc + xi * v1[i * H + j], b));
      const h = a.map((v) => Math.max(0, v));
      const z = b2.map((b, k) => h.reduce((acc, hj, j) => acc + hj * v2[j * C + k], b));
      const e = z.map((v) => Math.exp(v - Math.max(...z)));
      const dz = e.map((v, k) => (v / e.reduce((p, q) => p + q, 0) - (k === y[s] ? 1 : 0)) / n);
      for (let j = 0; j < H; j++) for (let k = 0; k < C; k++) g2[j * C + k] += h[j] * dz[k];
      for (let j = 0; j < H; j++) {
        const da = a[j] > 0 ? dz.reduce((acc, d, k) => acc + d * v2[j * C + k], 0) : 0;
        for (let i = 0; i < D; i++) g1[i * H + j] += x[s * D + i] * da;
      }
    }
    return [...g1, ...g2];
  };
  const w = [...w1, ...w2];
  const at = (v: number[]) => grad(v.slice(0, D * H), v.slice(D * H));
  const g = at(w);
  const eps = 1e-5;
  const plus = at(w.map((v, i) => v + eps * g[i]));
  const minus = at(w.map((v, i) => v - eps * g[i]));
  return -w.reduce((acc, v, i) => acc + v * ((plus[i] - minus[i]) / (2 * eps)), 0);
}

const relClose = (actual: number, expected: number, tol: number) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tol * Math.abs(expected));

describe('gradient proxies on a dense network, against tf.grads by hand', () => {
  it('grad_norm, snip, grasp and fisher', async () => {
    const { net, weights } = denseNet(D, H, C);
    const batch = randomBatch(8, [1, 1, D], C);
    const ws = weights();
    const [w1, b1, w2, b2] = ws;
    const hand = tf.tidy(() => {
      const lossOf = (a: tf.Tensor, b: tf.Tensor) => denseLoss(batch, [a, b1, b, b2]);
      const [g1, g2] = tf.grads(lossOf)([w1, w2]);
      const gradNormHand = tf.add(tf.norm(g1), tf.norm(g2));
      const snipHand = tf.add(tf.sum(tf.abs(tf.mul(g1, w1))), tf.sum(tf.abs(tf.mul(g2, w2))));
      // fisher: activations are the two dense outputs before their activations.
      const x = tf.reshape(batch.images, [8, -1]);
      const a1 = tf.add(tf.matMul(x, w1 as tf.Tensor2D), b1);
      const a2 = tf.add(tf.matMul(tf.relu(a1), w2 as tf.Tensor2D), b2);
      const ce = (logits: tf.Tensor) => tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(batch.labels, C), tf.logSoftmax(logits)), -1))) as tf.Scalar;
      const [da1] = tf.grads((a: tf.Tensor) => ce(tf.add(tf.matMul(tf.relu(a), w2 as tf.Tensor2D), b2)))([a1]);
      const [da2] = tf.grads((a: tf.Tensor) => ce(a))([a2]);
      const delta = (a: tf.Tensor, g: tf.Tensor) => tf.sum(tf.abs(tf.mul(0.5, tf.mean(tf.square(tf.mul(a, g)), 0))));
      const fisherHand = tf.add(delta(a1, da1), delta(a2, da2));
      return tf.stack([gradNormHand, snipHand, fisherHand]);
    });
    const [gn, sn, fi] = Array.from(await hand.data());
    const gr = graspFloat64(batch, await Promise.all(ws.map(async (w) => Array.from(await w.data()))));
    tf.dispose([hand, ...ws]);
    relClose(await gradNorm.score(net, batch), gn, 1e-5);
    relClose(await snip.score(net, batch), sn, 1e-5);
    relClose(await fisher.score(net, batch), fi, 1e-5);
    // grasp's float32 finite difference against a float64 one on the analytic gradient.
    relClose(await grasp.score(net, batch), gr, 1e-3);
    // With every ReLU's mask held, a large step stays in the network's linear region: at ε = 0.1
    // only the softmax's curve is left (under 5e-3 here). Without the masks, ε = 0.05 already moved a
    // ReLU to the other side and was 50% off.
    relClose(await graspWithStep(0.1).score(net, batch), gr, 5e-3);
    disposeBatch(batch);
  });
});

describe('jacob_cov', () => {
  it('on a linear network every row of J is W·1, so C is all ones: eigenvalues n and n - 1 zeros', async () => {
    const n = 6;
    const net: ProxyNetwork = {
      build: () => {
        const model = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [1, 1, 4] }), tfl.layers.dense({ units: 3, useBias: false })] });
        setWeights(model.layers[1], [values([4, 3], 2)]);
        return model;
      },
    };
    const batch = randomBatch(n, [1, 1, 4], 3);
    const k = 1e-5;
    const expected = -(Math.log(n + k) + 1 / (n + k)) - (n - 1) * (Math.log(k) + 1 / k);
    relClose(await jacobCov.score(net, batch), expected, 1e-6);
    disposeBatch(batch);
  });
});

describe('naswot', () => {
  it('is log|det K| of the ReLU codes: [1,0], [0,1], [1,1] agree as [[2,0,1],[0,2,1],[1,1,2]], det 4', async () => {
    const images = tf.tensor4d([1, -1, -2, 3, 0.5, 2], [3, 1, 1, 2]);
    const labels = tf.tensor1d([0, 1, 0], 'int32');
    for (const fused of [false, true]) {
      const net: ProxyNetwork = {
        build: () => {
          const x = tfl.input({ shape: [1, 1, 2] });
          const identity = tfl.layers.dense({ units: 2, useBias: false, activation: fused ? 'relu' : 'linear' });
          let h = identity.apply(tfl.layers.flatten().apply(x)) as tfl.SymbolicTensor;
          if (!fused) h = tfl.layers.reLU().apply(h) as tfl.SymbolicTensor;
          const model = tfl.model({ inputs: x, outputs: tfl.layers.dense({ units: 2 }).apply(h) as tfl.SymbolicTensor });
          setWeights(identity, [tf.eye(2)]);
          return model;
        },
      };
      expect(await naswot.score(net, { images, labels, numClasses: 2 })).toBeCloseTo(Math.log(4), 12);
    }
    tf.dispose([images, labels]);
  });
});

/** A chain of dense layers width w from ones; weights from `fill`, biases when given. */
function chain(depth: number, width: number, fill: (l: number) => tf.Tensor, bias?: (l: number) => tf.Tensor): ProxyNetwork {
  return {
    build: () => {
      const layers: tfl.layers.Layer[] = [tfl.layers.flatten({ inputShape: [1, 1, width] })];
      for (let l = 0; l < depth; l++) layers.push(tfl.layers.dense({ units: width, useBias: bias !== undefined }));
      const model = tfl.sequential({ layers });
      for (let l = 0; l < depth; l++) setWeights(model.layers[l + 1], bias ? [fill(l), bias(l)] : [fill(l)]);
      return model;
    },
  };
}

describe('synflow', () => {
  const batch = () => randomBatch(2, [1, 1, 3], 3);

  it('of a 2-layer linear network with biases: Σ W1·dR/dW1 = 1ᵀ|W1||W2|1 and Σ W2·dR/dW2 = hᵀ|W2|1, h = |W1|ᵀ1 + |b1|', async () => {
    const w = [values([3, 3], 11), values([3, 3], 12)];
    const b = [values([3], 13), values([3], 14)];
    const expected = tf.tidy(() => {
      const [a1, a2] = w.map((t) => tf.abs(t));
      const ones = tf.ones([1, 3]);
      const first = tf.sum(tf.matMul(tf.matMul(ones, a1), a2));
      const h = tf.add(tf.matMul(ones, a1), tf.abs(b[0]));
      return tf.add(first, tf.sum(tf.matMul(h, a2)));
    });
    const [value] = await expected.data();
    const net = chain(
      2,
      3,
      (l) => tf.clone(w[l]),
      (l) => tf.clone(b[l]),
    );
    const bt = batch();
    for (const scaled of [true, false]) {
      const model = net.build({ batchNorm: false });
      expect(await synflowLog(model, [1, 1, 3], scaled)).toBeCloseTo(Math.log(value), 5);
      model.dispose();
    }
    expect(await synflow.score(net, bt)).toBeCloseTo(Math.log(value), 5);
    tf.dispose([expected, ...w, ...b]);
    disposeBatch(bt);
  });

  it('of 30 layers of width 64 with every weight -1: log(30 · 64^31), where float32 overflows unscaled', async () => {
    const net = chain(30, 64, () => tf.fill([64, 64], -1));
    const bt = randomBatch(2, [1, 1, 64], 64);
    expect(await synflow.score(net, bt)).toBeCloseTo(Math.log(30) + 31 * Math.log(64), 4);
    const model = net.build({ batchNorm: false });
    await expect(synflowLog(model, [1, 1, 64], false)).rejects.toThrow(ProxyFailure);
    model.dispose();
    disposeBatch(bt);
  });

  it('scaled equals unscaled on a conv network with branches, biases, pooling and batch norm (skipped)', async () => {
    const build = () => {
      const x = tfl.input({ shape: [8, 8, 3] });
      const seedInit = (seed: number) => tfl.initializers.glorotUniform({ seed });
      const a = tfl.layers
        .conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: seedInit(1) })
        .apply(x) as tfl.SymbolicTensor;
      const bn = tfl.layers.batchNormalization().apply(a) as tfl.SymbolicTensor;
      const b = tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthwiseInitializer: seedInit(2) }).apply(bn) as tfl.SymbolicTensor;
      const c = tfl.layers.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same' }).apply(a) as tfl.SymbolicTensor;
      const sum = tfl.layers.add().apply([b, c]) as tfl.SymbolicTensor;
      const cat = tfl.layers.concatenate().apply([sum, a]) as tfl.SymbolicTensor;
      const d = tfl.layers
        .separableConv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', depthwiseInitializer: seedInit(3), pointwiseInitializer: seedInit(4) })
        .apply(cat);
      const pooled = tfl.layers.globalAveragePooling2d({}).apply(d) as tfl.SymbolicTensor;
      const out = tfl.layers
        .dense({ units: 5, activation: 'softmax', kernelInitializer: seedInit(5), biasInitializer: 'ones' })
        .apply(pooled) as tfl.SymbolicTensor;
      return tfl.model({ inputs: x, outputs: out });
    };
    const [m1, m2] = [build(), build()];
    const scaled = await synflowLog(m1, [8, 8, 3], true);
    const unscaled = await synflowLog(m2, [8, 8, 3], false);
    expect(Number.isFinite(scaled)).toBe(true);
    expect(scaled).toBeCloseTo(unscaled, 4);
    m1.dispose();
    m2.dispose();
  });
});

describe('params and flops', () => {
  it('count a known conv network: 285 trainable parameters, 8616 multiply-accumulates', async () => {
    const net: ProxyNetwork = {
      build: () =>
        tfl.sequential({
          layers: [
            tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, padding: 'same' }), // 108 + 4; 8·8·4·27 = 6912
            tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', useBias: false }), // 36; 4·4·36 = 576
            tfl.layers.separableConv2d({ filters: 8, kernelSize: 3, padding: 'same' }), // 36 + 32 + 8; 4·4·(36 + 32) = 1088
            tfl.layers.batchNormalization(), // 16 trainable (moving statistics are not)
            tfl.layers.globalAveragePooling2d({}),
            tfl.layers.dense({ units: 5 }), // 40 + 5; 40
          ],
        }),
    };
    const batch = randomBatch(2, [8, 8, 3], 5);
    expect(await params.score(net, batch)).toBe(285);
    expect(await flops.score(net, batch)).toBe(8616);
    const model = net.build({ batchNorm: true });
    expect([countParams(model), countMacs(model)]).toEqual([285, 8616]);
    model.dispose();
    disposeBatch(batch);
  });
});
