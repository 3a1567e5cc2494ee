// The wasm writer's integer encodings (fast paths included) against a reference LEB128 on BigInts,
// and pooled function-body buffers: a module built after another is valid and unaffected.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Bytes, ModuleWriter, Op, ValType, u32Size } from '../../src/machine/cpu/wasm/wasm-writer.js';

function leb(v: bigint, signed: boolean): number[] {
  const out: number[] = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    const done = signed ? (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0) : v === 0n;
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

const bytesOf = (b: Bytes): number[] => [...b.view()];

describe('wasm writer', () => {
  it('encodes unsigned and signed LEB128 like the reference', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.integer({ min: -0x80000000, max: 0x7fffffff }), (u, lo, hi) => {
      expect(bytesOf(new Bytes(1).u32(u))).toEqual(leb(BigInt(u), false));
      expect(u32Size(u)).toBe(leb(BigInt(u), false).length);
      expect(bytesOf(new Bytes(1).s32(lo))).toEqual(leb(BigInt(lo), true));
      expect(bytesOf(new Bytes(1).s64(lo, hi))).toEqual(leb((BigInt(hi) << 32n) | BigInt(lo >>> 0), true));
    }), { numRuns: 1000 });
  });

  it('writes instruction immediates through the fast paths and the slow ones alike', () => {
    fc.assert(fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.integer({ min: 0, max: 100_000 }), (v, idx) => {
      const m = new ModuleWriter();
      const { code } = m.func([], []);
      code.i32(v).get(idx).mem(Op.i64_load, idx, 3).i64(v);
      const want = [Op.i32_const, ...leb(BigInt(v), true), Op.local_get, ...leb(BigInt(idx), false), Op.i64_load, 3, ...leb(BigInt(idx), false), Op.i64_const, ...leb(BigInt(v), true)];
      expect(bytesOf(code)).toEqual(want);
    }), { numRuns: 500 });
  });

  it('builds valid modules one after another with recycled body buffers', () => {
    const build = (k: number): Uint8Array => {
      const m = new ModuleWriter();
      for (let f = 0; f < 20; f++) {
        const { index, code } = m.func([ValType.I32], [ValType.I32]);
        const t = code.local(ValType.I64);
        for (let i = 0; i < 300 * (f + 1); i++) code.i64(i * k).set(t); // bodies of 1-10 KiB: some grow past the pooled size
        code.get(0).i32(f + k).op(Op.i32_add);
        m.export(`f${f}`, index);
      }
      return m.toBytes().slice();
    };
    const a = build(1), b = build(2), a2 = build(1);
    expect(WebAssembly.validate(a)).toBe(true);
    expect(WebAssembly.validate(b)).toBe(true);
    expect(Buffer.from(a2).equals(Buffer.from(a))).toBe(true);
    const ex = new WebAssembly.Instance(new WebAssembly.Module(a)).exports as Record<string, (x: number) => number>;
    expect(ex.f7(100)).toBe(108);
  });
});
