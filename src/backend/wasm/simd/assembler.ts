// A minimal WebAssembly binary writer, just enough to express a few SIMD loops over the heap of
// the tfjs wasm backend. There is no wasm toolchain in this project, so the microkernels that
// XNNPACK does not provide (see kernels.ts) are assembled here at run time.

export type ValType = 'i32' | 'f32' | 'v128';

const VALTYPE_CODE: Record<ValType, number> = { i32: 0x7f, f32: 0x7d, v128: 0x7b };

function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function f32Bytes(value: number): number[] {
  return [...new Uint8Array(new Float32Array([value]).buffer)];
}

function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(text: string): number[] {
  const bytes = [...Buffer.from(text, 'utf8')];
  return [...uleb(bytes.length), ...bytes];
}

/** A local variable or parameter of a function under construction. */
export interface Local {
  readonly index: number;
  readonly type: ValType;
}

/**
 * Builds one function body. Methods emit instructions in stack-machine order; structured helpers
 * (`loop`, `forUp`, `ifThen`) keep the label depths right so kernels read like nested loops.
 */
export class FunctionBuilder {
  readonly params: Local[];
  private readonly extraLocals: ValType[] = [];
  private readonly code: number[] = [];

  constructor(
    readonly name: string,
    paramTypes: ValType[],
    readonly results: ValType[] = [],
  ) {
    this.params = paramTypes.map((type, index) => ({ index, type }));
  }

  local(type: ValType): Local {
    const index = this.params.length + this.extraLocals.length;
    this.extraLocals.push(type);
    return { index, type };
  }

  get(l: Local): this {
    return this.emit(0x20, ...uleb(l.index));
  }
  set(l: Local): this {
    return this.emit(0x21, ...uleb(l.index));
  }
  tee(l: Local): this {
    return this.emit(0x22, ...uleb(l.index));
  }

  i32(value: number): this {
    return this.emit(0x41, ...sleb(value));
  }
  f32(value: number): this {
    return this.emit(0x43, ...f32Bytes(value));
  }

  i32Add(): this {
    return this.emit(0x6a);
  }
  i32Sub(): this {
    return this.emit(0x6b);
  }
  i32Mul(): this {
    return this.emit(0x6c);
  }
  i32LtS(): this {
    return this.emit(0x48);
  }
  i32GeS(): this {
    return this.emit(0x4e);
  }
  i32ShrU(): this {
    return this.emit(0x76);
  }
  i32And(): this {
    return this.emit(0x71);
  }
  i32Eqz(): this {
    return this.emit(0x45);
  }

  /** `l += expr`, where `expr` pushes one i32. */
  addTo(l: Local, expr: () => void): this {
    this.get(l);
    expr();
    return this.i32Add().set(l);
  }

  /** `l += constant` */
  inc(l: Local, by: number | Local): this {
    return this.addTo(l, () => (typeof by === 'number' ? this.i32(by) : this.get(by)));
  }

  i32Load(offset = 0): this {
    return this.emit(0x28, 2, ...uleb(offset));
  }
  f32Load(offset = 0): this {
    return this.emit(0x2a, 2, ...uleb(offset));
  }
  f32Store(offset = 0): this {
    return this.emit(0x38, 2, ...uleb(offset));
  }
  f32Add(): this {
    return this.emit(0x92);
  }
  f32Mul(): this {
    return this.emit(0x94);
  }

  // Alignment hint 0: tensors are only guaranteed 4-byte aligned.
  v128Load(offset = 0): this {
    return this.emit(0xfd, ...uleb(0x00), 0, ...uleb(offset));
  }
  v128Store(offset = 0): this {
    return this.emit(0xfd, ...uleb(0x0b), 0, ...uleb(offset));
  }
  f32x4Splat(): this {
    return this.emit(0xfd, ...uleb(0x13));
  }
  f32x4Add(): this {
    return this.emit(0xfd, ...uleb(0xe4));
  }
  f32x4Sub(): this {
    return this.emit(0xfd, ...uleb(0xe5));
  }
  f32x4Mul(): this {
    return this.emit(0xfd, ...uleb(0xe6));
  }
  /** Any SIMD instruction without immediates, by its opcode after the 0xfd prefix. */
  simdOp(code: number): this {
    return this.emit(0xfd, ...uleb(code));
  }
  f32x4Eq(): this {
    return this.emit(0xfd, ...uleb(0x41));
  }
  v128And(): this {
    return this.emit(0xfd, ...uleb(0x4e));
  }
  /** a & ~b */
  v128AndNot(): this {
    return this.emit(0xfd, ...uleb(0x4f));
  }
  v128Or(): this {
    return this.emit(0xfd, ...uleb(0x50));
  }
  v128Zero(): this {
    return this.emit(0xfd, ...uleb(0x0c), ...new Array(16).fill(0));
  }

  /** memory.copy(dest, src, byteCount): operands pushed by the caller in that order. */
  memoryCopy(): this {
    return this.emit(0xfc, ...uleb(10), 0, 0);
  }

  /** memory.fill(dest, value, byteCount): operands pushed by the caller in that order. */
  memoryFill(): this {
    return this.emit(0xfc, ...uleb(11), 0);
  }

  /** `while (true) { body }` where `body` may call `continueIf`/`breakIf` relative to this loop. */
  loop(body: () => void): this {
    this.emit(0x02, 0x40); // block (break target)
    this.emit(0x03, 0x40); // loop (continue target)
    this.depth += 2;
    body();
    this.depth -= 2;
    this.emit(0x0b, 0x0b);
    return this;
  }

  /** `for (counter = from; counter < limit; counter += step) body` with signed compares. */
  forUp(counter: Local, from: () => void, limit: () => void, step: number, body: () => void): this {
    from();
    this.set(counter);
    return this.loop(() => {
      const loopDepth = this.depth;
      this.get(counter);
      limit();
      this.i32GeS();
      this.emit(0x0d, ...uleb(this.depth - loopDepth + 1)); // br_if to the enclosing block
      body();
      this.inc(counter, step);
      this.emit(0x0c, ...uleb(this.depth - loopDepth)); // br to the loop head
    });
  }

  /** `if (cond) then` where `cond` pushes an i32. */
  ifThen(cond: () => void, then: () => void): this {
    cond();
    this.emit(0x04, 0x40);
    this.depth += 1;
    then();
    this.depth -= 1;
    return this.emit(0x0b);
  }

  /** `if (cond) then else otherwise` where `cond` pushes an i32. */
  ifElse(cond: () => void, then: () => void, otherwise: () => void): this {
    cond();
    this.emit(0x04, 0x40);
    this.depth += 1;
    then();
    this.emit(0x05);
    otherwise();
    this.depth -= 1;
    return this.emit(0x0b);
  }

  emit(...bytes: number[]): this {
    for (const b of bytes) this.code.push(b);
    return this;
  }

  private depth = 0;

  encodeType(): number[] {
    return [0x60, ...vec(this.params.map((p) => [VALTYPE_CODE[p.type]])), ...vec(this.results.map((r) => [VALTYPE_CODE[r]]))];
  }

  encodeBody(): number[] {
    const groups: number[][] = this.extraLocals.map((t) => [1, VALTYPE_CODE[t]]);
    const body = [...vec(groups), ...this.code, 0x0b];
    return [...uleb(body.length), ...body];
  }
}

export interface MemoryImport {
  module: string;
  field: string;
  shared: boolean;
  /** Maximum size in 64 KiB pages; required for shared memories. */
  maximumPages?: number;
}

/** Encodes a module that imports one memory and exports every function under its name. */
export function encodeModule(memory: MemoryImport, functions: FunctionBuilder[]): Uint8Array<ArrayBuffer> {
  const types = section(1, vec(functions.map((f) => f.encodeType())));
  const limits = memory.shared
    ? [0x03, ...uleb(1), ...uleb(memory.maximumPages ?? 65536)]
    : memory.maximumPages != null
      ? [0x01, ...uleb(1), ...uleb(memory.maximumPages)]
      : [0x00, ...uleb(1)];
  const imports = section(2, vec([[...name(memory.module), ...name(memory.field), 0x02, ...limits]]));
  const funcs = section(3, vec(functions.map((_, i) => uleb(i))));
  const exports = section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)])));
  const code = section(10, vec(functions.map((f) => f.encodeBody())));
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports, ...funcs, ...exports, ...code]);
}
