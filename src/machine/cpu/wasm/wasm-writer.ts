/**
 * A small typed writer for the WebAssembly binary format (MVP plus
 * shared memory), so the wasm tier can emit modules from TypeScript at run
 * time with no toolchain. It knows the module sections the tier needs (types,
 * imports of functions, memory and a funcref table, functions, exports,
 * code) and the instructions it emits; nothing validates here:
 * `new WebAssembly.Module` does.
 */

export const enum ValType { I32 = 0x7f, I64 = 0x7e, F32 = 0x7d, F64 = 0x7c }
/** Block type of a structured instruction that yields nothing. */
export const VOID = 0x40;

/** Opcodes the emitter uses (names as in the spec's text format). */
export const enum Op {
  unreachable = 0x00, nop = 0x01, block = 0x02, loop = 0x03, if = 0x04, else = 0x05, end = 0x0b,
  br = 0x0c, br_if = 0x0d, br_table = 0x0e, return = 0x0f, call = 0x10, call_indirect = 0x11, drop = 0x1a, select = 0x1b,
  local_get = 0x20, local_set = 0x21, local_tee = 0x22,
  i32_load = 0x28, i64_load = 0x29, i32_load8_s = 0x2c, i32_load8_u = 0x2d, i32_load16_s = 0x2e, i32_load16_u = 0x2f,
  i64_load8_s = 0x30, i64_load8_u = 0x31, i64_load16_s = 0x32, i64_load16_u = 0x33, i64_load32_s = 0x34, i64_load32_u = 0x35,
  i32_store = 0x36, i64_store = 0x37, i32_store8 = 0x3a, i32_store16 = 0x3b, i64_store8 = 0x3c, i64_store16 = 0x3d, i64_store32 = 0x3e,
  i32_const = 0x41, i64_const = 0x42,
  i32_eqz = 0x45, i32_eq = 0x46, i32_ne = 0x47, i32_lt_s = 0x48, i32_lt_u = 0x49, i32_gt_s = 0x4a, i32_gt_u = 0x4b,
  i32_le_s = 0x4c, i32_le_u = 0x4d, i32_ge_s = 0x4e, i32_ge_u = 0x4f,
  i64_eqz = 0x50, i64_eq = 0x51, i64_ne = 0x52, i64_lt_s = 0x53, i64_lt_u = 0x54, i64_gt_s = 0x55, i64_gt_u = 0x56,
  i64_le_s = 0x57, i64_le_u = 0x58, i64_ge_s = 0x59, i64_ge_u = 0x5a,
  i32_add = 0x6a, i32_sub = 0x6b, i32_mul = 0x6c, i32_div_s = 0x6d, i32_div_u = 0x6e, i32_rem_s = 0x6f, i32_rem_u = 0x70,
  i32_and = 0x71, i32_or = 0x72, i32_xor = 0x73, i32_shl = 0x74, i32_shr_s = 0x75, i32_shr_u = 0x76,
  i64_add = 0x7c, i64_sub = 0x7d, i64_mul = 0x7e, i64_div_s = 0x7f, i64_div_u = 0x80, i64_rem_s = 0x81, i64_rem_u = 0x82,
  i64_and = 0x83, i64_or = 0x84, i64_xor = 0x85, i64_shl = 0x86, i64_shr_s = 0x87, i64_shr_u = 0x88,
  i32_wrap_i64 = 0xa7, i64_extend_i32_s = 0xac, i64_extend_i32_u = 0xad,
  f64_eq = 0x61, f64_lt = 0x63, f64_le = 0x65, f64_add = 0xa0, f64_sub = 0xa1, f64_mul = 0xa2, f64_div = 0xa3,
  i64_reinterpret_f64 = 0xbd, f64_reinterpret_i64 = 0xbf,
}

/** Bytes of an unsigned LEB128 of v (v < 2^32). */
export function u32Size(v: number): number {
  v >>>= 0;
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/**
 * Buffers of finished function bodies, for the next ones: a region body is
 * a few KiB, and allocating (and later collecting) a fresh off-heap buffer
 * per function cost more than emitting into it.
 */
const BODY_POOL: Uint8Array[] = [];
const BODY_POOL_MAX = 64;

/**
 * Growable byte buffer with the format's integer encodings. The hot writers
 * (byte, u32, s32 and Code's instruction helpers) check the room once and
 * store bytes directly: emission runs mostly cold (a few dozen modules per
 * boot), where every call and loop iteration counts.
 */
export class Bytes {
  protected buf: Uint8Array;
  length = 0;

  constructor(capacity: number | Uint8Array = 256) {
    this.buf = typeof capacity === 'number' ? new Uint8Array(capacity) : capacity;
  }

  byte(b: number): this {
    if (this.length === this.buf.length) this.room(1);
    this.buf[this.length++] = b;
    return this;
  }

  bytes(b: ArrayLike<number>): this {
    this.room(b.length);
    for (let i = 0; i < b.length; i++) this.buf[this.length++] = b[i];
    return this;
  }

  /** Makes room for n more bytes. */
  room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const g = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    g.set(this.buf.subarray(0, this.length));
    this.buf = g;
  }

  /** Unsigned LEB128 (values up to 2^32). */
  u32(v: number): this {
    if (this.length + 5 > this.buf.length) this.room(5);
    const buf = this.buf;
    let n = this.length;
    v >>>= 0;
    while (v >= 0x80) {
      buf[n++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[n++] = v;
    this.length = n;
    return this;
  }

  /** Signed LEB128 of an int32. */
  s32(v: number): this {
    if (this.length + 5 > this.buf.length) this.room(5);
    const buf = this.buf;
    let n = this.length;
    v |= 0;
    while (v >= 0x40 || v < -0x40) {
      buf[n++] = (v & 0x7f) | 0x80;
      v >>= 7;
    }
    buf[n++] = v & 0x7f;
    this.length = n;
    return this;
  }

  /** Signed LEB128 of the int64 (hi, lo). */
  s64(lo: number, hi: number): this {
    if ((hi | 0) === (lo >> 31)) return this.s32(lo); // the same encoding for values in int32 range
    let v = (BigInt(hi | 0) << 32n) | BigInt(lo >>> 0);
    for (;;) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) { this.byte(b); return this; }
      this.byte(b | 0x80);
    }
  }

  /** A length-prefixed name (the tier's names are ASCII: no encoder needed). */
  name(s: string): this {
    let ascii = true;
    for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) ascii = false;
    if (!ascii) {
      const b = new TextEncoder().encode(s);
      return this.u32(b.length).bytes(b);
    }
    this.u32(s.length);
    this.room(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.length++] = s.charCodeAt(i);
    return this;
  }

  /** A length-prefixed copy of another buffer. */
  sized(b: Bytes): this {
    return this.u32(b.length).append(b);
  }

  /** A copy of another buffer. */
  append(b: Bytes): this {
    this.room(b.length);
    this.buf.set(b.buf.subarray(0, b.length), this.length);
    this.length += b.length;
    return this;
  }

  toUint8Array(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  /** The bytes written so far, without a copy (valid until the next write). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

/** Instruction stream of one function body, with typed helpers for what the tier emits. */
export class Code extends Bytes {
  private readonly locals: ValType[] = [];

  constructor(private readonly params: number) {
    super(BODY_POOL.pop() ?? 4096); // region bodies are a few KiB: start there instead of doubling up to it
  }

  /** Declares a local and returns its index (after the parameters). */
  local(t: ValType): number {
    this.locals.push(t);
    return this.params + this.locals.length - 1;
  }

  op(o: Op): this {
    if (this.length === this.buf.length) this.room(1);
    this.buf[this.length++] = o;
    return this;
  }

  /** An opcode and one unsigned LEB128 immediate. */
  private opU32(o: number, v: number): this {
    if (v >>> 0 < 0x80 && this.length + 2 <= this.buf.length) {
      this.buf[this.length] = o;
      this.buf[this.length + 1] = v;
      this.length += 2;
      return this;
    }
    return this.byte(o).u32(v);
  }

  get(i: number): this { return this.opU32(Op.local_get, i); }
  set(i: number): this { return this.opU32(Op.local_set, i); }
  tee(i: number): this { return this.opU32(Op.local_tee, i); }
  i32(v: number): this {
    if (v >= -0x40 && v < 0x40 && this.length + 2 <= this.buf.length) {
      this.buf[this.length] = Op.i32_const;
      this.buf[this.length + 1] = v & 0x7f;
      this.length += 2;
      return this;
    }
    return this.byte(Op.i32_const).s32(v);
  }
  i64(lo: number, hi = lo >> 31): this {
    if ((hi | 0) === (lo >> 31)) return this.byte(Op.i64_const).s32(lo);
    return this.byte(Op.i64_const).s64(lo, hi);
  }
  /** Memory access with static offset `offset` (alignment hint `align` as log2). */
  mem(o: Op, offset = 0, align = 0): this { return this.opU32(o, align).u32(offset); }
  block(t: number = VOID): this { return this.byte(Op.block).byte(t); }
  loop(t: number = VOID): this { return this.byte(Op.loop).byte(t); }
  if(t: number = VOID): this { return this.byte(Op.if).byte(t); }
  else(): this { return this.op(Op.else); }
  end(): this { return this.op(Op.end); }
  br(depth: number): this { return this.opU32(Op.br, depth); }
  brIf(depth: number): this { return this.opU32(Op.br_if, depth); }
  brTable(depths: number[], dflt: number): this {
    this.byte(Op.br_table).u32(depths.length);
    for (const d of depths) this.u32(d);
    return this.u32(dflt);
  }
  call(f: number): this { return this.opU32(Op.call, f); }
  /** Calls through table 0 with function type index `type`. */
  callIndirect(type: number): this { return this.byte(Op.call_indirect).u32(type).byte(0x00); }

  /** Local declarations (run-length grouped) as written before the instructions. */
  private localsHeader(): Bytes {
    const head = new Bytes(32);
    let groups = 0;
    for (let i = 0; i < this.locals.length; groups++) {
      const t = this.locals[i];
      let n = 0;
      while (i < this.locals.length && this.locals[i] === t) { i++; n++; }
      head.u32(n).byte(t);
    }
    return new Bytes(8 + head.length).u32(groups).append(head);
  }

  /** The encoded body: local declarations (run-length grouped), instructions, end. */
  encode(): Bytes {
    const out = new Bytes(this.length + 64);
    this.encodeInto(out);
    return out;
  }

  /** Appends the body (prefixed by its size when `sized`) to `out` (one copy of the instructions). */
  encodeInto(out: Bytes, sized = false): void {
    const head = this.localsHeader();
    if (sized) out.u32(head.length + this.length + 1);
    out.append(head).append(this);
    out.byte(Op.end);
  }

  /** Size of encodeInto(out, true)'s output. */
  sizedLength(): number {
    const body = this.localsHeader().length + this.length + 1;
    return u32Size(body) + body;
  }

  /** Gives the buffer back for another body (this Code must not be used again). */
  release(): void {
    if (BODY_POOL.length < BODY_POOL_MAX && this.buf.length <= 65536) BODY_POOL.push(this.buf);
    this.buf = new Uint8Array(0);
    this.length = 0;
  }
}

export interface FuncType { params: ValType[]; results: ValType[] }

/** Builds one module: imported functions and memory, defined functions, exports. */
export class ModuleWriter {
  private readonly types: FuncType[] = [];
  private readonly imports: Array<
    | { module: string; name: string; kind: 'func'; type: number }
    | { module: string; name: string; kind: 'memory'; min: number; max: number; shared: boolean }
    | { module: string; name: string; kind: 'table'; min: number }
  > = [];
  private importedFuncs = 0;
  private readonly funcs: Array<{ type: number; code: Code }> = [];
  private readonly exports: Array<{ name: string; func: number }> = [];

  private readonly typeIndex = new Map<string, number>();

  /** Index of a function type (deduplicated). */
  type(params: ValType[], results: ValType[]): number {
    const key = `${params.join()}:${results.join()}`;
    const i = this.typeIndex.get(key);
    if (i !== undefined) return i;
    this.types.push({ params, results });
    this.typeIndex.set(key, this.types.length - 1);
    return this.types.length - 1;
  }

  /** Imports a function; returns its function index. Import every function before defining any. */
  importFunc(module: string, name: string, params: ValType[], results: ValType[]): number {
    if (this.funcs.length > 0) throw new Error('import functions before defining any');
    this.imports.push({ module, name, kind: 'func', type: this.type(params, results) });
    return this.importedFuncs++;
  }

  importMemory(module: string, name: string, min: number, max: number, shared: boolean): void {
    this.imports.push({ module, name, kind: 'memory', min, max, shared });
  }

  /** Imports a growable funcref table (table 0). */
  importTable(module: string, name: string, min: number): void {
    this.imports.push({ module, name, kind: 'table', min });
  }

  /** Defines a function; returns its index and body to fill. */
  func(params: ValType[], results: ValType[]): { index: number; code: Code } {
    const code = new Code(params.length);
    this.funcs.push({ type: this.type(params, results), code });
    return { index: this.importedFuncs + this.funcs.length - 1, code };
  }

  export(name: string, func: number): void {
    this.exports.push({ name, func });
  }

  /** The module's bytes (once: the function bodies' buffers are recycled). */
  toBytes(): Uint8Array {
    const out = new Bytes().bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const section = (id: number, body: Bytes): void => { out.byte(id).sized(body); };
    const types = new Bytes().u32(this.types.length);
    for (const t of this.types) {
      types.byte(0x60).u32(t.params.length).bytes(t.params).u32(t.results.length).bytes(t.results);
    }
    section(1, types);
    if (this.imports.length > 0) {
      const imp = new Bytes().u32(this.imports.length);
      for (const i of this.imports) {
        imp.name(i.module).name(i.name);
        if (i.kind === 'func') imp.byte(0x00).u32(i.type);
        else if (i.kind === 'table') imp.byte(0x01).byte(0x70).byte(0x00).u32(i.min);
        else imp.byte(0x02).byte(i.shared ? 0x03 : 0x01).u32(i.min).u32(i.max);
      }
      section(2, imp);
    }
    const fns = new Bytes().u32(this.funcs.length);
    for (const f of this.funcs) fns.u32(f.type);
    section(3, fns);
    if (this.exports.length > 0) {
      const ex = new Bytes().u32(this.exports.length);
      for (const e of this.exports) ex.name(e.name).byte(0x00).u32(e.func);
      section(7, ex);
    }
    // the code section goes straight into the output, sized exactly (one copy of each body)
    let codeLen = u32Size(this.funcs.length);
    for (const f of this.funcs) codeLen += f.code.sizedLength();
    out.room(1 + u32Size(codeLen) + codeLen);
    out.byte(10).u32(codeLen).u32(this.funcs.length);
    for (const f of this.funcs) {
      f.code.encodeInto(out, true);
      f.code.release();
    }
    return out.view();
  }
}
