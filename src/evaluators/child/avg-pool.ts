import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

// PyTorch's AvgPool2d(3, 1, 1, count_include_pad=False): every output is the mean of the input
// pixels its window covers, border windows dividing by fewer than 9. tfjs's avgPool with 'same'
// padding gets the forward pass right on cpu, but the cpu AvgPoolGrad kernel divides every window
// by 9, so the gradient disagrees with the forward pass at the borders, and other backends are free
// to pick either convention. Zero-padding explicitly, pooling 'valid' (an exact sum / 9) and
// rescaling each position by 9 / (pixels covered) is exact in both passes on every backend.

const rescaleCache = new Map<string, Float32Array>();

/** 9 / (number of real pixels under the 3x3 window) for each output position. */
function rescale(height: number, width: number): Float32Array {
  const key = `${height}x${width}`;
  let scale = rescaleCache.get(key);
  if (!scale) {
    scale = new Float32Array(height * width);
    const span = (i: number, n: number) => Math.min(n - 1, i + 1) - Math.max(0, i - 1) + 1;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) scale[y * width + x] = 9 / (span(y, height) * span(x, width));
    }
    rescaleCache.set(key, scale);
  }
  return scale;
}

/** 3x3, stride 1, same-size average pool whose border means leave the padding out. */
export function avgPool3x3ExcludePad(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [, height, width] = x.shape;
    const sums = tf.avgPool(
      tf.pad(x, [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0],
      ]),
      3,
      1,
      'valid',
    );
    return tf.mul(sums, tf.tensor4d(rescale(height, width), [1, height, width, 1]));
  });
}

export class AvgPool3x3ExcludePad extends tfl.layers.Layer {
  static className = 'NascentAvgPool3x3ExcludePad';

  computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return avgPool3x3ExcludePad((Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D);
  }
}
tf.serialization.registerClass(AvgPool3x3ExcludePad);
