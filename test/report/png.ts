// A small PNG reader for tests (8-bit RGB or RGBA, not interlaced: what resvg writes), so a test
// can look at the pixels of a file the report wrote rather than trust the encoder.
import { inflateSync } from 'node:zlib';

export interface DecodedPng {
  width: number;
  height: number;
  /** RGBA, row by row. */
  pixels: Uint8Array;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function decodePng(data: Uint8Array): DecodedPng {
  const buf = Buffer.from(data);
  if (!buf.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG: bad signature');
  let width = 0;
  let height = 0;
  let colorType = -1;
  const idat: Buffer[] = [];
  for (let off = 8; off < buf.length; ) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const body = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, ct, , , interlace] = body.subarray(8, 13);
      if (depth !== 8 || (ct !== 2 && ct !== 6) || interlace !== 0)
        throw new Error(`unsupported PNG: depth ${depth}, colour type ${ct}, interlace ${interlace}`);
      colorType = ct;
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  const channels = colorType === 6 ? 4 : 3;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const rows = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? rows[y * stride + x - channels] : 0;
      const b = y > 0 ? rows[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? rows[(y - 1) * stride + x - channels] : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      const predictor = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter];
      if (predictor === undefined) throw new Error(`bad PNG filter ${filter} on row ${y}`);
      rows[y * stride + x] = (line[x] + predictor) & 0xff;
    }
  }
  const pixels = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    for (let k = 0; k < 3; k++) pixels[i * 4 + k] = rows[i * channels + k];
    pixels[i * 4 + 3] = channels === 4 ? rows[i * channels + 3] : 255;
  }
  return { width, height, pixels };
}

/** How many pixels are clearly darker than white (text, lines, marks on a white background). */
export function darkPixels(img: DecodedPng, threshold = 160): number {
  let n = 0;
  for (let i = 0; i < img.width * img.height; i++) {
    const p = img.pixels;
    if (p[i * 4 + 3] > 0 && (p[i * 4] + p[i * 4 + 1] + p[i * 4 + 2]) / 3 < threshold) n++;
  }
  return n;
}

/** How many distinct colours the image has. */
export function colourCount(img: DecodedPng): number {
  const seen = new Set<number>();
  const v = new DataView(img.pixels.buffer, img.pixels.byteOffset, img.pixels.byteLength);
  for (let i = 0; i < img.width * img.height; i++) seen.add(v.getUint32(i * 4));
  return seen.size;
}
