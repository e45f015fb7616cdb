// preprocessing.json, written beside every exported model: what a page must do to an image before
// the model sees it, as nascent did to its training images (src/data: images resized to cover the
// square and centre-cropped, RGB or grey, pixels / 255, NHWC, no mean or std), and what comes out.
import type { NascentMetadata } from './source.js';

export const PREPROCESSING_FILE = 'preprocessing.json';

export interface Preprocessing {
  format: 'nascent.preprocessing';
  version: 1;
  input: { name: string; layout: 'NHWC'; shape: [number, number, number, number]; dtype: 'float32' };
  image: {
    height: number;
    width: number;
    channels: 1 | 3;
    /** 'RGB' (alpha dropped over black) or 'grey'. */
    colour: 'RGB' | 'grey';
    /** Scale the image to cover height x width, then crop the centre. */
    resize: 'cover-centre-crop';
  };
  /** Each pixel value v (0..255) is fed as v * scale + offset. */
  scale: number;
  offset: number;
  output: { name: string; kind: 'probabilities'; classes: string[] };
  dataset: string;
}

export function preprocessingOf(meta: NascentMetadata, names: { input: string; output: string }): Preprocessing {
  const [height, width, channels] = meta.inputShape;
  if (channels !== 1 && channels !== 3) throw new Error(`input has ${channels} channels; a page can feed 1 (grey) or 3 (RGB)`);
  return {
    format: 'nascent.preprocessing',
    version: 1,
    input: { name: names.input, layout: 'NHWC', shape: [1, height, width, channels], dtype: 'float32' },
    image: { height, width, channels, colour: channels === 3 ? 'RGB' : 'grey', resize: 'cover-centre-crop' },
    scale: 1 / 255,
    offset: 0,
    output: { name: names.output, kind: 'probabilities', classes: meta.classes },
    dataset: meta.dataset,
  };
}
