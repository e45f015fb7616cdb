// The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/, section "FILE
// FORMATS"): a magic number (two zero bytes, a type code, the number of dimensions), each dimension
// as a big-endian uint32, then the values row-major. Only unsigned bytes (type 0x08) are used by
// either data set. Every way a file can be wrong is an error that names it.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export const IDX_UBYTE = 0x08;

export interface IdxArray {
  dims: number[];
  /** The values, row-major; a view into the file's bytes. */
  data: Uint8Array;
}

export class IdxFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdxFormatError';
  }
}

/** Parses an uncompressed IDX file of unsigned bytes; `what` names it in errors. */
export function parseIdx(bytes: Uint8Array, what: string): IdxArray {
  const fail = (why: string): never => {
    throw new IdxFormatError(`${what} is not a valid IDX file: ${why}`);
  };
  if (bytes.length < 4) fail(`${bytes.length} bytes, shorter than the 4-byte magic number`);
  if (bytes[0] !== 0 || bytes[1] !== 0) fail(`magic number starts ${hex(bytes[0])} ${hex(bytes[1])}, expected 00 00`);
  if (bytes[2] !== IDX_UBYTE) fail(`value type ${hex(bytes[2])}, expected 08 (unsigned byte)`);
  const ndims = bytes[3];
  if (ndims < 1 || ndims > 4) fail(`${ndims} dimensions, expected 1 to 4`);
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) fail(`truncated in its header (${bytes.length} bytes, the header of ${ndims} dimensions needs ${headerBytes})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i, false));
  if (dims.some((d) => d === 0)) fail(`a zero dimension (${dims.join(' x ')})`);
  const values = dims.reduce((a, b) => a * b, 1);
  const have = bytes.length - headerBytes;
  if (have < values) fail(`truncated: ${dims.join(' x ')} needs ${values} bytes of values, the file holds ${have}`);
  if (have > values) fail(`${have - values} stray bytes after the ${dims.join(' x ')} values`);
  return { dims, data: bytes.subarray(headerBytes) };
}

function hex(b: number | undefined): string {
  return b === undefined ? '??' : b.toString(16).padStart(2, '0');
}

/** Decompresses a gzip file's bytes, with an error naming the file when they are not gzip or are cut short. */
export function gunzipFile(gz: Uint8Array, file: string): Uint8Array {
  if (gz.length < 18 || gz[0] !== 0x1f || gz[1] !== 0x8b) throw new IdxFormatError(`${file} is not a gzip file (it should hold a gzipped IDX file)`);
  try {
    return gunzipSync(gz);
  } catch (err) {
    throw new IdxFormatError(`${file} is a damaged or truncated gzip file: ${(err as Error).message}`);
  }
}

/** Reads and parses a gzipped IDX file. */
export function readIdxGz(file: string): IdxArray {
  return parseIdx(gunzipFile(readFileSync(file), file), file);
}
