// params and flops: the two baselines of Abdelfattah et al. 2021, from the network's shapes alone
// (the batch is not used). Both are raw counts (the reference reports millions; ranks are equal).
//
// params: trainable parameters, as PyTorch's parameters() counts them (batch normalisation's
//   gamma and beta, not its moving statistics).
// flops: multiply-accumulates for one image, of the conv, depthwise, separable, transposed conv
//   and dense layers only: Σ over each kernel of (kernel elements) × (output positions), which is
//   H·W·k·k·C_in·C_out for a conv, H·W·k·k·C for a depthwise conv, both parts of a separable conv
//   and in·units for a dense layer (a transposed conv counts input positions). Biases, batch
//   normalisation, activations, pooling, adds and concatenations are not counted; a layer applied
//   several times counts each time.
import type * as tfl from '@tensorflow/tfjs-layers';
import { isBias, isKernelLayer, withModel } from './common.js';
import { layerNodes } from './executor.js';
import type { ProxyBatch, ProxyNetwork, ZeroCostProxy } from './types.js';

const product = (xs: ReadonlyArray<number | null>) => xs.reduce<number>((a, d) => a * (d ?? 1), 1);

export function countParams(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce((s, w) => s + product(w.shape), 0);
}

export function countMacs(model: tfl.LayersModel): number {
  let macs = 0;
  for (const { layer, input, output } of layerNodes(model)) {
    if (!isKernelLayer(layer)) continue;
    // Positions: every dimension but batch and channels (1 for a dense layer on vectors).
    const shape = layer.getClassName() === 'Conv2DTranspose' ? input[0].shape : output.shape;
    const positions = product(shape.slice(1, -1));
    for (const w of layer.weights) if (!isBias(w)) macs += product(w.shape) * positions;
  }
  return macs;
}

export const params: ZeroCostProxy = {
  name: 'params',
  score: (net: ProxyNetwork, _batch: ProxyBatch) => withModel(net, true, countParams),
};

export const flops: ZeroCostProxy = {
  name: 'flops',
  score: (net: ProxyNetwork, _batch: ProxyBatch) => withModel(net, true, countMacs),
};
