// A layer-by-layer executor for a functional tfl.LayersModel on concrete tensors.
//
// Why: model.predict and model.apply run the graph as one call, so nothing outside it can see or
// replace an intermediate activation, and a gradient can only be taken with respect to the inputs
// or the weights. The proxies need activations (NASWOT's ReLU codes), gradients with respect to
// activations (fisher: multiply an activation by a ones mask and differentiate by the mask), the
// pre-softmax logits of networks that end in a softmax, and layers computed differently (synflow
// skips batch normalisation and rescales). This runs the model's nodes in the order tfjs-layers'
// own Container.runInternalGraph does (deepest first), calling layer.apply on concrete tensors
// as model.predict's executor does, with hooks around each layer. It disposes nothing: run it
// inside tf.tidy, tf.grads or tf.variableGrads, which clean up the intermediates.
import type * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export type Layer = tfl.layers.Layer;
type Kwargs = Record<string, unknown>;

/** The parts of tfjs-layers' Container and Node this reads (public fields, untyped in the exports). */
interface GraphNode {
  outboundLayer: Layer;
  inputTensors: tfl.SymbolicTensor[];
  outputTensors: tfl.SymbolicTensor[];
  callArgs?: Kwargs;
}
interface Graph {
  inputs: tfl.SymbolicTensor[];
  outputs: tfl.SymbolicTensor[];
  nodesByDepth: Record<string, GraphNode[]>;
}

/** A tfjs-layers activation function object (Relu, Softmax, ...). */
export interface ActivationFn {
  apply(x: tf.Tensor): tf.Tensor;
  getClassName(): string;
}

// tfjs-layers' own Linear activation: Dense and Conv read its class name to pick a fused kernel,
// so a stand-in must be the real thing.
const LINEAR = (tfl.layers.activation({ activation: 'linear' }) as unknown as { activation: ActivationFn }).activation;

export interface ExecuteOptions {
  /** Passed to every layer as kwargs.training (batch normalisation in training mode, dropout on). */
  training?: boolean;
  /** Leave out a softmax that produces a model output: return logits. */
  logits?: boolean;
  /** Computes a layer instead of layer.apply; return undefined to let it run as usual. */
  run?: (layer: Layer, inputs: tf.Tensor[], kwargs: Kwargs, isOutput: boolean) => tf.Tensor | undefined;
  /** The output of a weight layer (Dense, Conv*) before its own activation; a returned tensor replaces it. */
  linear?: (layer: Layer, y: tf.Tensor) => tf.Tensor | undefined;
  /** Every layer's output (after its activation); a returned tensor replaces it downstream. */
  output?: (layer: Layer, y: tf.Tensor) => tf.Tensor | undefined;
}

export function isContainer(layer: Layer): boolean {
  return 'nodesByDepth' in layer || layer.getClassName() === 'Sequential';
}

/** The functional graph of a model: a Sequential keeps its layers in an inner LayersModel, made on first use. */
function graphOf(model: tfl.LayersModel): Graph {
  const seq = model as unknown as { model?: tfl.LayersModel; build(): void };
  if (model.getClassName() !== 'Sequential') return model as unknown as Graph;
  if (!seq.model) seq.build();
  return seq.model as unknown as Graph;
}

/** The activation a weight layer applies itself (Dense, Conv*), or undefined for none/linear and for Activation layers. */
export function ownActivation(layer: Layer): ActivationFn | undefined {
  const act = (layer as unknown as { activation?: ActivationFn | null }).activation;
  if (act == null || layer.getClassName() === 'Activation' || act.getClassName() === 'linear') return undefined;
  return act;
}

/**
 * A ReLU: a ReLU layer, an Activation('relu') layer, or a weight layer with a fused relu (its
 * output is > 0 exactly where its pre-activation is).
 */
export function isRelu(layer: Layer): boolean {
  if (layer.getClassName() === 'ReLU') return true;
  const act = (layer as unknown as { activation?: ActivationFn | null }).activation;
  return act?.getClassName() === 'relu';
}

/** Has an `activation` field of its own: a weight layer whose pre-activation output `linear` sees. */
function hasLinearStage(layer: Layer): boolean {
  return 'activation' in layer && layer.getClassName() !== 'Activation';
}

/** layer.apply with the layer's own activation switched off: its pre-activation output. */
export function applyLinear(layer: Layer, inputs: tf.Tensor[], kwargs: Kwargs): tf.Tensor {
  const self = layer as unknown as { activation: ActivationFn };
  const act = self.activation;
  self.activation = LINEAR;
  try {
    return layer.apply(inputs.length === 1 ? inputs[0] : inputs, kwargs) as tf.Tensor;
  } finally {
    self.activation = act;
  }
}

function runLayer(layer: Layer, inputs: tf.Tensor[], kwargs: Kwargs, isOutput: boolean, o: ExecuteOptions): tf.Tensor {
  const custom = o.run?.(layer, inputs, kwargs, isOutput);
  if (custom) return custom;
  if (isContainer(layer)) return execute(layer as unknown as tfl.LayersModel, inputs, { ...o, logits: false })[0];
  const dropSoftmax = o.logits === true && isOutput;
  const isSoftmax = (a: ActivationFn | undefined) => a?.getClassName() === 'softmax';
  if (dropSoftmax && layer.getClassName() === 'Activation' && isSoftmax((layer as unknown as { activation: ActivationFn }).activation)) return inputs[0];
  const act = ownActivation(layer);
  if (act && (o.linear || (dropSoftmax && isSoftmax(act)))) {
    let y = applyLinear(layer, inputs, kwargs);
    y = o.linear?.(layer, y) ?? y;
    return dropSoftmax && isSoftmax(act) ? y : act.apply(y);
  }
  const y = layer.apply(inputs.length === 1 ? inputs[0] : inputs, kwargs) as tf.Tensor;
  return hasLinearStage(layer) && !act ? (o.linear?.(layer, y) ?? y) : y;
}

/**
 * Runs `model` on concrete `inputs` layer by layer and returns its outputs (logits instead of a
 * final softmax when `logits` is set). Layers that produce several tensors are not supported.
 */
export function execute(model: tfl.LayersModel, inputs: tf.Tensor | tf.Tensor[], o: ExecuteOptions = {}): tf.Tensor[] {
  const graph = graphOf(model);
  const xs = Array.isArray(inputs) ? inputs : [inputs];
  if (xs.length !== graph.inputs.length) throw new Error(`execute: the model takes ${graph.inputs.length} inputs, got ${xs.length}`);
  const values = new Map<number, tf.Tensor>(graph.inputs.map((s, i) => [s.id, xs[i]]));
  const outputIds = new Set(graph.outputs.map((s) => s.id));
  const depths = Object.keys(graph.nodesByDepth)
    .map(Number)
    .sort((a, b) => b - a);
  const kwargsBase = { training: o.training ?? false };
  for (const depth of depths) {
    for (const node of graph.nodesByDepth[depth]) {
      const layer = node.outboundLayer;
      if (layer.getClassName() === 'InputLayer') continue;
      const ins = node.inputTensors.map((s) => values.get(s.id));
      if (ins.some((t) => t === undefined)) continue; // a node of another model sharing this layer
      if (node.outputTensors.length !== 1) throw new Error(`execute: layer ${layer.name} has ${node.outputTensors.length} outputs`);
      const isOutput = outputIds.has(node.outputTensors[0].id);
      let y = runLayer(layer, ins as tf.Tensor[], { ...node.callArgs, ...kwargsBase }, isOutput, o);
      y = o.output?.(layer, y) ?? y;
      values.set(node.outputTensors[0].id, y);
    }
  }
  return graph.outputs.map((s) => {
    const y = values.get(s.id);
    if (!y) throw new Error(`execute: could not compute output ${s.name}`);
    return y;
  });
}

/** Every node of `model` whose layer is not itself a model, in execution order, nested models opened. */
export function layerNodes(model: tfl.LayersModel): Array<{ layer: Layer; input: tfl.SymbolicTensor[]; output: tfl.SymbolicTensor }> {
  const graph = graphOf(model);
  const depths = Object.keys(graph.nodesByDepth)
    .map(Number)
    .sort((a, b) => b - a);
  return depths.flatMap((d) =>
    graph.nodesByDepth[d].flatMap((node) => {
      const layer = node.outboundLayer;
      if (layer.getClassName() === 'InputLayer') return [];
      if (isContainer(layer)) return layerNodes(layer as unknown as tfl.LayersModel);
      return [{ layer, input: node.inputTensors, output: node.outputTensors[0] }];
    }),
  );
}
