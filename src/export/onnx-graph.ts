// A nascent child's layers, one by one, as ONNX nodes (NCHW inside; the model's input stays NHWC
// like tfjs's, so the same preprocessing feeds both). Each tfjs layer becomes the ONNX operator of
// the same definition:
// - Conv2D / DepthwiseConv2D: Conv (group = channels for depthwise), kernels transposed from
//   tfjs's [kh, kw, in, out] to ONNX's [out, in, kh, kw]; 'same' padding as explicit pads, computed
//   as TF does (the extra pixel of an odd total after, not before).
// - BatchNormalization (and nascent's fused one): BatchNormalization with its epsilon.
// - AveragePooling2D 'same' and nascent's exclude-pad pool: AveragePool, count_include_pad = 0.
// - MaxPooling2D 'same': MaxPool with pads (ONNX pads a max pool with -inf, as TF does).
// - ZeroPadding2D: Pad; Add: Sum; Concatenate (channels last): Concat on axis 1; NascentAlias and
//   a Reshape to the same shape: Identity; GlobalAveragePooling2D: GlobalAveragePool + Flatten;
//   Dense: Gemm, then its activation (softmax or relu).
import type * as tfl from '@tensorflow/tfjs-layers';
import type { LayerJson } from './source.js';

export interface OnnxNode {
  op: string;
  inputs: string[];
  output: string;
  attrs?: Record<string, number | number[]>;
}

/** An initializer the graph needs: a weight (transposed for ONNX) or a constant. */
export interface OnnxTensor {
  name: string;
  dims: number[];
  values: Float32Array | BigInt64Array;
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  tensors: OnnxTensor[];
  input: { name: string; shape: number[] };
  output: { name: string; shape: number[] };
}

type Weights = Map<string, { shape: number[]; values: Float32Array }>;

/** Permutes a tensor's axes: out[i] over out dims = in[perm]. */
export function transpose(values: Float32Array, shape: number[], perm: number[]): { values: Float32Array; shape: number[] } {
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = shape.map((_, i) => shape.slice(i + 1).reduce((a, d) => a * d, 1));
  const out = new Float32Array(values.length);
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let k = 0; k < perm.length; k++) src += idx[k]! * inStrides[perm[k]!]!;
    out[o] = values[src]!;
    for (let k = perm.length - 1; k >= 0; k--) {
      if (++idx[k]! < outShape[k]!) break;
      idx[k] = 0;
    }
  }
  return { values: out, shape: outShape };
}

/** TF's 'same' padding of one axis: [before, after]. */
export function samePads(size: number, kernel: number, stride: number, dilation = 1): [number, number] {
  const k = (kernel - 1) * dilation + 1;
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + k - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0] as number, v[1] as number] : [v as number, v as number]);

/** The tfjs input tensor names of a layer (its only call's inbound layers). */
function inboundOf(layer: LayerJson): string[] {
  const nodes = layer.inbound_nodes as Array<Array<[string, number, number]>>;
  if (nodes.length > 1) throw new Error(`layer ${layer.name} is called ${nodes.length} times; a child calls each layer once`);
  return (nodes[0] ?? []).map(([name, , tensorIndex]) => (tensorIndex === 0 ? name : `${name}:${tensorIndex}`));
}

export function onnxGraph(layers: LayerJson[], weights: Weights, model: tfl.LayersModel): OnnxGraph {
  const nodes: OnnxNode[] = [];
  const tensors: OnnxTensor[] = [];
  const nchw = new Map<string, string>();
  const weight = (layer: string, w: string) => {
    const found = weights.get(`${layer}/${w}`);
    if (!found) throw new Error(`layer ${layer} has no weight ${w}`);
    return found;
  };
  const addTensor = (name: string, dims: number[], values: Float32Array | BigInt64Array) => {
    tensors.push({ name, dims, values });
    return name;
  };
  let input: OnnxGraph['input'] | undefined;
  let output: OnnxGraph['output'] | undefined;
  for (const layer of layers) {
    const c = layer.config;
    const name = layer.name;
    const ins = inboundOf(layer).map((n) => {
      const t = nchw.get(n);
      if (t === undefined) throw new Error(`layer ${name} reads ${n}, which comes after it or is not there`);
      return t;
    });
    const inputOf = model.getLayer(name).input;
    const shapeIn = (Array.isArray(inputOf) ? inputOf[0]!.shape : inputOf.shape) as number[];
    const emit = (op: string, inputs: string[], attrs?: OnnxNode['attrs'], out = name) => {
      nodes.push({ op, inputs, output: out, ...(attrs ? { attrs } : {}) });
      nchw.set(name, out);
      return out;
    };
    switch (layer.class_name) {
      case 'InputLayer': {
        const shape = (c.batch_input_shape as Array<number | null>).slice(1) as number[];
        input = { name, shape: [-1, ...shape] };
        emit('Transpose', [name], { perm: [0, 3, 1, 2] }, `${name}_nchw`);
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const depthwise = layer.class_name === 'DepthwiseConv2D';
        const [kh, kw] = pair(c.kernel_size);
        const [sh, sw] = pair(c.strides);
        const [dh, dw] = pair(c.dilation_rate ?? 1);
        const k = weight(name, depthwise ? 'depthwise_kernel' : 'kernel');
        // depthwise [kh, kw, in, mult] -> [in * mult, 1, kh, kw]; conv [kh, kw, in, out] -> [out, in, kh, kw]
        const t = transpose(k.values, k.shape, [2, 3, 0, 1]);
        const dims = depthwise ? [k.shape[2]! * k.shape[3]!, 1, kh, kw] : [k.shape[3]!, k.shape[2]!, kh, kw];
        const inputs = [ins[0]!, addTensor(`${name}/W`, dims, depthwise ? t.values : transpose(k.values, k.shape, [3, 2, 0, 1]).values)];
        if (c.use_bias === true) inputs.push(addTensor(`${name}/B`, weight(name, 'bias').shape, weight(name, 'bias').values));
        const [pt, pb] = c.padding === 'same' ? samePads(shapeIn[1]!, kh, sh, dh) : [0, 0];
        const [pl, pr] = c.padding === 'same' ? samePads(shapeIn[2]!, kw, sw, dw) : [0, 0];
        const attrs = { kernel_shape: [kh, kw], strides: [sh, sw], dilations: [dh, dw], pads: [pt, pl, pb, pr], group: depthwise ? k.shape[2]! : 1 };
        emit('Conv', inputs, attrs);
        break;
      }
      case 'BatchNormalization':
      case 'NascentFusedBatchNormalization': {
        if (c.axis !== -1 && c.axis !== 3) throw new Error(`batch norm ${name} normalises axis ${c.axis}, not channels`);
        const ws = ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((w) => addTensor(`${name}/${w}`, weight(name, w).shape, weight(name, w).values));
        emit('BatchNormalization', [ins[0]!, ...ws], { epsilon: c.epsilon as number });
        break;
      }
      case 'ReLU':
        if (c.max_value != null) throw new Error(`ReLU ${name} has a max_value; not exported`);
        emit('Relu', ins);
        break;
      case 'NascentAvgPool3x3ExcludePad':
        emit('AveragePool', ins, { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], count_include_pad: 0 });
        break;
      case 'AveragePooling2D':
      case 'MaxPooling2D': {
        const [kh, kw] = pair(c.pool_size);
        const [sh, sw] = pair(c.strides ?? c.pool_size);
        const [pt, pb] = c.padding === 'same' ? samePads(shapeIn[1]!, kh, sh) : [0, 0];
        const [pl, pr] = c.padding === 'same' ? samePads(shapeIn[2]!, kw, sw) : [0, 0];
        const attrs = { kernel_shape: [kh, kw], strides: [sh, sw], pads: [pt, pl, pb, pr] };
        emit(
          layer.class_name === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool',
          ins,
          layer.class_name === 'MaxPooling2D' ? attrs : { ...attrs, count_include_pad: 0 },
        );
        break;
      }
      case 'ZeroPadding2D': {
        const [[t, b], [l, r]] = c.padding as [[number, number], [number, number]];
        emit('Pad', [ins[0]!, addTensor(`${name}/pads`, [8], BigInt64Array.from([0, 0, t, l, 0, 0, b, r].map(BigInt)))], undefined);
        break;
      }
      case 'Add':
        emit('Sum', ins);
        break;
      case 'Concatenate':
        if (c.axis !== -1 && c.axis !== 3) throw new Error(`concatenate ${name} joins axis ${c.axis}, not channels`);
        emit('Concat', ins, { axis: 1 });
        break;
      case 'NascentAlias':
      case 'Reshape':
        if (layer.class_name === 'Reshape' && JSON.stringify(c.target_shape) !== JSON.stringify(shapeIn.slice(1)))
          throw new Error(`reshape ${name} changes the shape`);
        emit('Identity', ins);
        break;
      case 'GlobalAveragePooling2D':
        emit('GlobalAveragePool', ins, undefined, `${name}_4d`);
        emit('Flatten', [`${name}_4d`], { axis: 1 });
        break;
      case 'Dense': {
        const k = weight(name, 'kernel');
        const inputs = [ins[0]!, addTensor(`${name}/kernel`, k.shape, k.values)];
        if (c.use_bias !== false) inputs.push(addTensor(`${name}/bias`, weight(name, 'bias').shape, weight(name, 'bias').values));
        const act = c.activation as string;
        if (act === 'linear') emit('Gemm', inputs);
        else if (act === 'softmax' || act === 'relu') {
          emit('Gemm', inputs, undefined, `${name}_logits`);
          emit(act === 'softmax' ? 'Softmax' : 'Relu', [`${name}_logits`], act === 'softmax' ? { axis: -1 } : undefined);
        } else throw new Error(`dense ${name} has activation ${act}; only linear, relu and softmax are exported`);
        output = { name, shape: [-1, k.shape[1]!] };
        break;
      }
      default:
        throw new Error(`layer ${name} is a ${layer.class_name}, which the ONNX export does not know`);
    }
  }
  if (!input || !output) throw new Error('the model has no input layer or no dense head');
  return { nodes, tensors, input, output };
}
