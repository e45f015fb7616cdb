import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonErrorOffset, lineAndColumn } from '../../src/util/json-syntax.js';

const parses = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

describe('jsonErrorOffset', () => {
  it('points at the first character that breaks the grammar', () => {
    expect(jsonErrorOffset('{"a": [1, 2]}')).toBe(-1);
    expect(jsonErrorOffset('{\n "normal": [1,\n}')).toBe(17);
    expect(jsonErrorOffset('{"a": 1,}')).toBe(8);
    expect(jsonErrorOffset('{"a" 1}')).toBe(5);
    expect(jsonErrorOffset('[01]')).toBe(2);
    expect(jsonErrorOffset('"\\u12G4"')).toBe(5);
    expect(jsonErrorOffset('"tab\there"')).toBe(4);
    expect(jsonErrorOffset('[1, 2')).toBe(5);
    expect(jsonErrorOffset('')).toBe(0);
    expect(jsonErrorOffset('{} x')).toBe(3);
    expect(jsonErrorOffset('tru')).toBe(0);
  });

  it('agrees with JSON.parse on whether text is JSON', () => {
    // Valid documents, and the same documents cut short or with one character changed.
    const text = fc.oneof(
      fc.json(),
      fc.string(),
      fc.tuple(fc.json(), fc.nat(), fc.constantFrom('', ',', '}', ']', '"', ':', '\\', '\n', 'x', '0', '-')).map(([t, at, c]) => {
        const i = at % (t.length + 1);
        return t.slice(0, i) + c + t.slice(i + 1);
      }),
    );
    let broken = 0;
    fc.assert(
      fc.property(text, (t) => {
        const offset = jsonErrorOffset(t);
        expect(offset === -1).toBe(parses(t));
        if (offset >= 0) {
          broken++;
          expect(offset).toBeLessThanOrEqual(t.length);
          // Everything before the offset is sound: JSON already, or a prefix that only ends too soon.
          expect([-1, offset]).toContain(jsonErrorOffset(t.slice(0, offset)));
        }
      }),
      { numRuns: 3000 },
    );
    expect(broken).toBeGreaterThan(500);
  });

  it('gives 1-based lines and columns', () => {
    expect(lineAndColumn('ab\ncd\nef', 0)).toEqual({ line: 1, column: 1 });
    expect(lineAndColumn('ab\ncd\nef', 4)).toEqual({ line: 2, column: 2 });
    expect(lineAndColumn('ab\n', 3)).toEqual({ line: 2, column: 1 });
  });
});
