// A layer that passes its input through as a new tensor object.
//
// Why: when a block applies `identity` to the same input on both sides (`identity(h) + identity(h)`),
// both operands of its add/concat layer are one symbolic tensor. In inference mode tfjs-layers'
// executor counts that tensor's consumers per layer but decrements once per operand, so it disposes
// the tensor while other layers still need it, and evaluation fails with "Cannot read properties of
// undefined (reading 'backend')". Routing the second operand through this layer gives the combine
// two distinct operands; tf.clone shares the data, so it costs no copy.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export class Alias extends tfl.layers.Layer {
  static className = 'NascentAlias';

  computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.clone(Array.isArray(inputs) ? inputs[0] : inputs);
  }
}
tf.serialization.registerClass(Alias);
