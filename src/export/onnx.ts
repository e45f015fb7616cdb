// The ONNX export: onnx-graph.ts's nodes encoded with onnx-proto, the protobuf definition of ONNX
// (onnx.proto compiled by protobufjs), so the bytes follow the standard rather than a hand-written
// encoder. Opset 13 (ONNX 1.8, 2020): every runtime of the last years reads it, and it has every
// operator the child needs. Quantized weights are stored small and turned back into float32 by
// the graph itself: float16 initializers through a Cast, uint8 ones through Cast, Mul and Add with
// tfjs's own affine scheme (value = q * scale + min), so ONNX and tfjs dequantize to the same values.
import onnxProto from 'onnx-proto';
import { type OnnxGraph, type OnnxNode, type OnnxTensor, onnxGraph } from './onnx-graph.js';
import { type Quantization, shouldQuantize, toFloat16, toUint8 } from './quantize.js';
import type { ExportSource } from './source.js';
import { splitWeights } from './weights.js';

const { onnx } = onnxProto;
type TensorProto = InstanceType<typeof onnx.TensorProto>;

export const ONNX_OPSET = 13;
export const ONNX_IR_VERSION = 7; // the IR version of opset 13 (ONNX 1.8)
export const ONNX_MODEL_FILE = 'model.onnx';

const DataType = onnx.TensorProto.DataType;

function attribute(name: string, v: number | number[]) {
  const A = onnx.AttributeProto.AttributeType;
  if (Array.isArray(v)) return onnx.AttributeProto.create({ name, type: A.INTS, ints: v });
  return Number.isInteger(v) ? onnx.AttributeProto.create({ name, type: A.INT, i: v }) : onnx.AttributeProto.create({ name, type: A.FLOAT, f: v });
}

function node(n: OnnxNode, i: number) {
  return onnx.NodeProto.create({
    name: `${n.op}_${i}`,
    opType: n.op,
    input: n.inputs,
    output: [n.output],
    attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
  });
}

function raw(name: string, dims: number[], dataType: number, bytes: Uint8Array): TensorProto {
  // rawData is little-endian, as ONNX specifies and as typed arrays are on every machine Node runs on.
  return onnx.TensorProto.create({ name, dims, dataType, rawData: bytes });
}

const bytesOf = (a: Float32Array | BigInt64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** The initializer(s) of a tensor, plus the nodes that dequantize it when it is stored quantized. */
function initializer(t: OnnxTensor, quantize: Quantization | undefined, nodes: OnnxNode[]): TensorProto[] {
  if (t.values instanceof BigInt64Array) return [raw(t.name, t.dims, DataType.INT64, bytesOf(t.values))];
  if (!quantize || !shouldQuantize(t.values.length)) return [raw(t.name, t.dims, DataType.FLOAT, bytesOf(t.values))];
  if (quantize === 'float16') {
    nodes.push({ op: 'Cast', inputs: [`${t.name}_f16`], output: t.name, attrs: { to: DataType.FLOAT } });
    return [raw(`${t.name}_f16`, t.dims, DataType.FLOAT16, toFloat16(t.values))];
  }
  const q = toUint8(t.values);
  nodes.push(
    { op: 'Cast', inputs: [`${t.name}_u8`], output: `${t.name}_u8f`, attrs: { to: DataType.FLOAT } },
    { op: 'Mul', inputs: [`${t.name}_u8f`, `${t.name}_scale`], output: `${t.name}_scaled` },
    { op: 'Add', inputs: [`${t.name}_scaled`, `${t.name}_min`], output: t.name },
  );
  return [
    raw(`${t.name}_u8`, t.dims, DataType.UINT8, q.bytes),
    raw(`${t.name}_scale`, [], DataType.FLOAT, bytesOf(Float32Array.of(q.scale))),
    raw(`${t.name}_min`, [], DataType.FLOAT, bytesOf(Float32Array.of(q.min))),
  ];
}

function valueInfo(name: string, shape: number[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: DataType.FLOAT,
        shape: { dim: shape.map((d) => (d < 0 ? { dimParam: 'batch' } : { dimValue: d })) },
      },
    },
  });
}

/** The ONNX graph of a source (exposed for tests that look at the nodes). */
export function onnxGraphOf(source: ExportSource): OnnxGraph {
  const weights = new Map(splitWeights(source.weightSpecs, source.weightData).map((w) => [w.name, w]));
  return onnxGraph(source.topology.config.layers, weights, source.model);
}

/** The serialized ONNX model (model.onnx's bytes). */
export function onnxExport(source: ExportSource, quantize?: Quantization): Uint8Array {
  const g = onnxGraphOf(source);
  const dequantize: OnnxNode[] = [];
  const initializers = g.tensors.flatMap((t) => initializer(t, quantize, dequantize));
  const model = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'nascent',
    producerVersion: '0.1.0',
    docString: `nascent child network${source.meta.key ? ` ${source.meta.key}` : ''}: NHWC float32 images (see preprocessing.json), class probabilities`,
    graph: {
      name: 'child',
      // Dequantization first: nodes must come in topological order.
      node: [...dequantize, ...g.nodes].map(node),
      initializer: initializers,
      input: [valueInfo(g.input.name, g.input.shape)],
      output: [valueInfo(g.output.name, g.output.shape)],
    },
    metadataProps: [{ key: 'nascent', value: JSON.stringify(source.meta) }],
  });
  const err = onnx.ModelProto.verify(model);
  if (err) throw new Error(`onnx-proto rejects the model: ${err}`);
  return onnx.ModelProto.encode(model).finish();
}
