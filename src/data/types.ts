// In-memory image sets as the loader leaves them: uint8 pixels in NHWC order (N x 32 x 32 x 3),
// one label byte per image. Kept as bytes (4x smaller than float32) and scaled to [0, 1] per batch.

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
