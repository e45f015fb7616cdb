// In-memory image sets as the loaders leave them: uint8 pixels in NHWC order (N x H x W x C: 32 x
// 32 x 3 for CIFAR-10, 28 x 28 x 1 for MNIST), one label byte per image. Kept as bytes (4x smaller
// than float32) and scaled to [0, 1] per batch.

export interface ImageSet {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
}

export interface Cifar10Splits {
  train: ImageSet;
  val: ImageSet;
}

export const CIFAR10_CLASSES = 10;
