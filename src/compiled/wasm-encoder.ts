/**
 * A minimal WebAssembly binary encoder: the handful of sections and opcodes the forest compiler emits.
 * Written by hand (about 150 lines) rather than taken from a library: binaryen.js is ~10 MB and wabt.js
 * parses text, and the compiler needs neither optimisation passes nor a text format, only bytes.
 *
 * No `node:` imports: part of the browser-safe entry.
 */

/** Value types. */
export const I32 = 0x7f;
export const I64 = 0x7e;
export const F64 = 0x7c;
/** Block type of a block without results. */
export const VOID = 0x40;

/** The opcodes the compilers use (single-byte ones, plus the 0xfc-prefixed saturating truncation). */
export const Op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  call: 0x10,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i32Load16U: 0x2f,
  f64Load: 0x2b,
  i32Store: 0x36,
  f64Store: 0x39,
  i32Const: 0x41,
  i64Const: 0x42,
  f64Const: 0x44,
  i32Eqz: 0x45,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32Ne: 0x47,
  i32GtS: 0x4a,
  i32LeS: 0x4c,
  f64Ne: 0x62,
  f64Lt: 0x63,
  f64Gt: 0x64,
  f64Le: 0x65,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Or: 0x72,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  i64And: 0x83,
  i64ShrU: 0x88,
  f64Abs: 0x99,
  f64Add: 0xa0,
  f64Mul: 0xa2,
  i32WrapI64: 0xa7,
  i64ExtendI32U: 0xad,
} as const;

/** A growable byte buffer with the LEB128 and IEEE-754 writers of the binary format. */
export class Bytes {
  private buf: Uint8Array;
  length = 0;
  private readonly f64View = new DataView(new ArrayBuffer(8));

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  byte(b: number): this {
    this.reserve(1);
    this.buf[this.length++] = b;
    return this;
  }

  bytes(src: Uint8Array): this {
    this.reserve(src.length);
    this.buf.set(src, this.length);
    this.length += src.length;
    return this;
  }

  /** Unsigned LEB128 (u32). */
  u32(v: number): this {
    let x = v >>> 0;
    do {
      let b = x & 0x7f;
      x >>>= 7;
      if (x !== 0) b |= 0x80;
      this.byte(b);
    } while (x !== 0);
    return this;
  }

  /** Signed LEB128 (i32). */
  s32(v: number): this {
    let x = v | 0;
    for (;;) {
      const b = x & 0x7f;
      x >>= 7;
      if ((x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0)) return this.byte(b);
      this.byte(b | 0x80);
    }
  }

  /** Signed LEB128 (i64). */
  s64(v: bigint): this {
    let x = BigInt.asIntN(64, v);
    for (;;) {
      const b = Number(x & 0x7fn);
      x >>= 7n;
      if ((x === 0n && (b & 0x40) === 0) || (x === -1n && (b & 0x40) !== 0)) return this.byte(b);
      this.byte(b | 0x80);
    }
  }

  /** An f64 immediate: the 8 bytes of the double, little-endian (exact, any bit pattern). */
  f64(v: number): this {
    this.f64View.setFloat64(0, v, true);
    for (let i = 0; i < 8; i++) this.byte(this.f64View.getUint8(i));
    return this;
  }

  name(s: string): this {
    const utf8 = new TextEncoder().encode(s);
    return this.u32(utf8.length).bytes(utf8);
  }

  /** A length-prefixed copy of another buffer (a section or a function body). */
  sized(b: Bytes): this {
    return this.u32(b.length).bytes(b.view());
  }

  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  // Instruction helpers: the opcode and its immediates.
  op(code: number): this {
    return this.byte(code);
  }
  get(local: number): this {
    return this.byte(Op.localGet).u32(local);
  }
  set(local: number): this {
    return this.byte(Op.localSet).u32(local);
  }
  tee(local: number): this {
    return this.byte(Op.localTee).u32(local);
  }
  i32(v: number): this {
    return this.byte(Op.i32Const).s32(v);
  }
  i64(v: bigint): this {
    return this.byte(Op.i64Const).s64(v);
  }
  f64c(v: number): this {
    return this.byte(Op.f64Const).f64(v);
  }
  /** A load or store: alignment (log2) and a constant byte offset. */
  mem(code: number, align: number, offset: number): this {
    return this.byte(code).u32(align).u32(offset);
  }
  /** i32.trunc_sat_f64_s: truncation without a trap (NaN and out-of-range values saturate). */
  i32TruncSatF64S(): this {
    return this.byte(0xfc).u32(2);
  }
}

export interface FuncType {
  params: number[];
  results: number[];
}

export interface Func {
  type: number;
  /** Locals after the parameters, as runs of [count, type]. */
  locals: [number, number][];
  /** The body's instructions, without the final `end`. */
  body: Bytes;
  export?: string;
}

export interface ModuleSpec {
  types: FuncType[];
  /** The imported memory ("env" "memory"), in 64 KiB pages; a shared memory needs a maximum. */
  memory: { initial: number; maximum: number; shared: boolean };
  funcs: Func[];
}

/** The binary module: type, import (the memory), function, export and code sections. */
export function encodeModule(spec: ModuleSpec): Uint8Array {
  const out = new Bytes(1024);
  out.bytes(Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00));
  const section = (id: number, body: Bytes) => out.byte(id).sized(body);

  const types = new Bytes();
  types.u32(spec.types.length);
  for (const t of spec.types) {
    types.byte(0x60).u32(t.params.length);
    for (const p of t.params) types.byte(p);
    types.u32(t.results.length);
    for (const r of t.results) types.byte(r);
  }
  section(1, types);

  const imports = new Bytes();
  imports.u32(1).name("env").name("memory").byte(0x02);
  const m = spec.memory;
  if (m.shared) imports.byte(0x03).u32(m.initial).u32(m.maximum);
  else imports.byte(0x01).u32(m.initial).u32(m.maximum);
  section(2, imports);

  const funcs = new Bytes();
  funcs.u32(spec.funcs.length);
  for (const f of spec.funcs) funcs.u32(f.type);
  section(3, funcs);

  const exported = spec.funcs.map((f, i) => [f.export, i] as const).filter(([name]) => name !== undefined);
  const exports = new Bytes();
  exports.u32(exported.length);
  for (const [name, index] of exported) exports.name(name!).byte(0x00).u32(index);
  section(7, exports);

  const code = new Bytes(1 << 16);
  code.u32(spec.funcs.length);
  for (const f of spec.funcs) {
    const body = new Bytes(f.body.length + 16);
    body.u32(f.locals.length);
    for (const [count, type] of f.locals) body.u32(count).byte(type);
    body.bytes(f.body.view()).byte(Op.end);
    code.sized(body);
  }
  section(10, code);
  return out.view().slice();
}
