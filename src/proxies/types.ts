// The one interface every zero-cost proxy implements: score an untrained network from one
// minibatch. A proxy builds the network itself (ProxyNetwork.build) because some proxies need it
// without batch normalisation, and because several of them overwrite its weights while scoring.
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

export interface ProxyNetwork {
  /** A fresh, seeded, untrained network on every call: the same weights for the same seed. The proxy disposes it. */
  build(o: { batchNorm: boolean }): tfl.LayersModel;
}

export interface ProxyBatch {
  /** NHWC images, as the network takes them. */
  images: tf.Tensor4D;
  /** int32 class ids, one per image. */
  labels: tf.Tensor1D;
  numClasses: number;
}

export interface ZeroCostProxy {
  readonly name: string;
  /** Higher is better for every proxy here (synflow returns the log of its score). */
  score(net: ProxyNetwork, batch: ProxyBatch): Promise<number>;
}

/** A score went NaN or infinite, or the network has something the proxy cannot score. */
export class ProxyFailure extends Error {
  constructor(
    readonly proxy: string,
    readonly reason: string,
  ) {
    super(`${proxy}: ${reason}`);
    this.name = 'ProxyFailure';
  }
}
