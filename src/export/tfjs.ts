// A nascent child as a tfjs layers model that plain @tensorflow/tfjs loads: nascent's three layer
// classes, which only a process that imported nascent knows, become standard layers that compute
// the same function at inference.
//
// - NascentFusedBatchNormalization is BatchNormalization with a faster training pass; its config
//   and weights (gamma, beta, moving mean and variance) are BatchNormalization's own.
// - NascentAvgPool3x3ExcludePad is a 3x3, stride-1 mean that leaves the padding out of border
//   windows. That is what tfjs's own avgPool with 'same' padding computes on cpu, wasm (XNNPACK),
//   webgl and webgpu (each counts only the pixels inside the image; nascent's layer exists for the
//   cpu *gradient*, which divides by 9), so AveragePooling2D('same') is exact at inference.
// - NascentAlias passes its input on as a new tensor (see alias.ts); a Reshape to its own shape
//   does the same with a standard layer (a reshape shares the data; no copy).
import type * as tfl from '@tensorflow/tfjs-layers';
import type { LayerJson } from './source.js';

export const LAYER_REPLACEMENTS = ['NascentFusedBatchNormalization', 'NascentAvgPool3x3ExcludePad', 'NascentAlias'] as const;

function standardLayer(layer: LayerJson, model: tfl.LayersModel): LayerJson {
  const base = { name: layer.name, inbound_nodes: layer.inbound_nodes };
  const name = layer.config.name as string;
  const trainable = layer.config.trainable ?? true;
  const dtype = layer.config.dtype ?? 'float32';
  switch (layer.class_name) {
    case 'NascentFusedBatchNormalization':
      return { ...base, class_name: 'BatchNormalization', config: layer.config };
    case 'NascentAvgPool3x3ExcludePad':
      return {
        ...base,
        class_name: 'AveragePooling2D',
        config: { name, trainable, dtype, pool_size: [3, 3], strides: [1, 1], padding: 'same', data_format: 'channels_last' },
      };
    case 'NascentAlias': {
      const shape = model.getLayer(layer.name).outputShape as number[];
      return { ...base, class_name: 'Reshape', config: { name, trainable, dtype, target_shape: shape.slice(1) } };
    }
    default:
      if (layer.class_name.startsWith('Nascent')) throw new Error(`layer ${layer.name} is of class ${layer.class_name}, which the tfjs export cannot express`);
      return layer;
  }
}

/**
 * The topology with every nascent layer replaced by standard ones. Layer names stay, so the
 * weights (named `<layer>/<weight>`) load unchanged.
 */
export function standardTopology<T extends { config: { layers: LayerJson[] } }>(topology: T, model: tfl.LayersModel): T {
  return { ...topology, config: { ...topology.config, layers: topology.config.layers.map((l) => standardLayer(l, model)) } };
}

/** Class names in a topology that plain tfjs-layers does not register (nascent's own). */
export function nonStandardClasses(topology: { config: { layers: LayerJson[] } }): string[] {
  return [...new Set(topology.config.layers.map((l) => l.class_name).filter((c) => c.startsWith('Nascent')))];
}
