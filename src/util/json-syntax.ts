// Where JSON text goes wrong. Node's JSON.parse says so only sometimes ("at position 11"), and
// sometimes quotes a snippet instead ("Unexpected token '}', ..."), so a person editing a file by
// hand would be left counting characters. This scanner follows the JSON grammar (RFC 8259) only far
// enough to find the first offending character; it is run only after JSON.parse has failed.

class Stop {
  constructor(readonly at: number) {}
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX = /^[0-9a-fA-F]$/;

/** Offset of the first character at which `text` stops being JSON (its length when it ends too soon); -1 for valid JSON. */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw new Stop(i);
  };
  const ws = () => {
    while (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r') i++;
  };
  const string = () => {
    i++; // the opening quote
    for (;;) {
      const c = text[i];
      if (c === undefined || c.charCodeAt(0) < 0x20) fail();
      if (c === '"') {
        i++;
        return;
      }
      if (c !== '\\') {
        i++;
        continue;
      }
      i++;
      const e = text[i];
      if (e !== undefined && '"\\/bfnrt'.includes(e)) i++;
      else if (e === 'u') {
        for (let k = 1; k <= 4; k++) {
          if (!HEX.test(text[i + k] ?? '')) {
            i += k;
            fail();
          }
        }
        i += 5;
      } else fail();
    }
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else fail();
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else fail();
      }
    }
    if (c === '"') {
      string();
      return;
    }
    NUMBER.lastIndex = i;
    if (NUMBER.test(text)) {
      i = NUMBER.lastIndex;
      return;
    }
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return;
      }
    }
    fail();
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
    return -1;
  } catch (err) {
    if (err instanceof Stop) return Math.min(err.at, text.length);
    if (err instanceof RangeError) return 0; // nested deeper than the stack: say "somewhere", not crash
    throw err;
  }
}

/** 1-based line and column of `offset` in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}
