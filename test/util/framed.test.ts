// The binary state files' layout: a round trip, and each kind of damage named.
import { describe, expect, it } from 'vitest';
import { frame, unframe } from '../../src/util/framed.js';

const fail = (why: string): never => {
  throw new Error(`f: ${why}`);
};

describe('frame / unframe', () => {
  it('gives back the header and the bytes after it', () => {
    const bytes = frame({ format: 'x', version: 1, n: 3 } as { format: string; version: number; n: number }, [Uint8Array.of(1, 2), Uint8Array.of(3)]);
    const { header, body } = unframe<{ format: string; version: number; n: number }>(bytes, 'x', fail);
    expect(header).toEqual({ format: 'x', version: 1, n: 3 });
    expect([...body]).toEqual([1, 2, 3]);
  });

  it('names a short file, a header past the end, a header that is not JSON, and another format or version', () => {
    const good = frame({ format: 'x', version: 1 }, []);
    expect(() => unframe(Uint8Array.of(1, 0), 'x', fail)).toThrow('f: shorter than its header');
    expect(() => unframe(good.subarray(0, good.length - 1), 'x', fail)).toThrow('f: header length past the end');
    const notJson = Buffer.concat([Buffer.from([2, 0, 0, 0]), Buffer.from('{]')]);
    expect(() => unframe(notJson, 'x', fail)).toThrow('f: header is not JSON');
    expect(() => unframe(good, 'y', fail)).toThrow('f: format x version 1');
    expect(() => unframe(frame({ format: 'x', version: 2 }, []), 'x', fail)).toThrow('f: format x version 2');
  });
});
