// The layout of nascent's binary state files (a child's saved state, the supernet's, the weight-
// sharing checkpoint): a 4-byte little-endian header length, a JSON header naming the format and
// version (and whatever the reader needs to cut the rest), then raw bytes. One reader, so every such
// file fails the same way, naming itself, when it is cut short or is not what it should be.

export interface FramedHeader {
  format: string;
  version: number;
}

/** The header's JSON, then `parts` back to back. */
export function frame(header: FramedHeader, parts: readonly Uint8Array[]): Buffer {
  const head = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(head.length);
  return Buffer.concat([len, head, ...parts]);
}

/**
 * The header (checked to be `format` version 1) and the bytes after it; `fail` throws the caller's
 * error for what is wrong.
 */
export function unframe<H extends FramedHeader>(bytes: Uint8Array, format: string, fail: (why: string) => never): { header: H; body: Buffer } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 4) fail('shorter than its header');
  const headLen = buf.readUInt32LE(0);
  if (4 + headLen > buf.length) fail('header length past the end');
  let header: H;
  try {
    header = JSON.parse(buf.subarray(4, 4 + headLen).toString('utf8')) as H;
  } catch {
    return fail('header is not JSON');
  }
  if (header?.format !== format || header.version !== 1) fail(`format ${header?.format} version ${header?.version}`);
  return { header, body: buf.subarray(4 + headLen) };
}
