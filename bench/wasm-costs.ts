/**
 * Micro-benchmarks behind the wasm tier's design (modules emitted with the
 * tier's own writer): module compile + instantiate time by size, the cost of
 * a JS->wasm call and of a wasm->JS import call, and a 64-bit
 * multiply-add-xorshift loop as wasm i64 locals vs JS (hi, lo) int32 pairs.
 *   npm run bench:wasm-costs
 * Figures are wall-clock and noisy on a shared machine; compare them within one run.
 */
import { ModuleWriter, Op, ValType } from '../src/machine/cpu/wasm/wasm-writer.js';

const I32 = ValType.I32, I64 = ValType.I64;

/** A module with `n` functions of ~`ops` arithmetic instructions each. */
function sizedModule(n: number, ops: number): Uint8Array {
  const m = new ModuleWriter();
  for (let f = 0; f < n; f++) {
    const { index, code } = m.func([I32], [I32]);
    const a = code.local(I64);
    code.get(0).op(Op.i64_extend_i32_u).set(a);
    for (let i = 0; i < ops; i++) code.get(a).i64(i * 2654435761).op(Op.i64_mul).i64(17).op(Op.i64_shr_u).get(a).op(Op.i64_xor).set(a);
    code.get(a).op(Op.i32_wrap_i64);
    m.export(`f${f}`, index);
  }
  return m.toBytes();
}

function time(label: string, fn: () => void, reps: number): number {
  fn();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  const ms = (performance.now() - t0) / reps;
  console.log(`${label.padEnd(58)} ${ms < 0.01 ? `${(ms * 1e6).toFixed(1)} ns` : `${ms.toFixed(3)} ms`}`);
  return ms;
}

for (const [n, ops] of [[1, 10], [16, 100], [64, 400]] as const) {
  const bytes = sizedModule(n, ops);
  time(`compile+instantiate ${n} fn x ${ops} ops (${(bytes.length / 1024).toFixed(0)} KB)`, () => {
    new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  }, 20);
  time(`  ... and first call of every function`, () => {
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    for (let f = 0; f < n; f++) (inst.exports[`f${f}`] as (x: number) => number)(f);
  }, 5);
}

{ // call costs
  const m = new ModuleWriter();
  const imp = m.importFunc('env', 'js', [I32], [I32]);
  const id = m.func([I32], [I32]);
  id.code.get(0).i32(1).op(Op.i32_add);
  m.export('id', id.index);
  const callJs = m.func([I32], [I32]);
  const c = callJs.code;
  const i = c.local(I32), acc = c.local(I32);
  c.block().loop().get(i).get(0).op(Op.i32_ge_u).brIf(1).get(acc).call(imp).set(acc).get(i).i32(1).op(Op.i32_add).set(i).br(0).end().end().get(acc);
  m.export('callJs', callJs.index);
  const inst = new WebAssembly.Instance(new WebAssembly.Module(m.toBytes()), { env: { js: (x: number) => (x + 1) | 0 } });
  const idFn = inst.exports.id as (x: number) => number;
  const callJsFn = inst.exports.callJs as (n: number) => number;
  const N = 2_000_000;
  const jsId = (x: number): number => (x + 1) | 0;
  time('2M JS->JS calls', () => { let a = 0; for (let k = 0; k < N; k++) a = jsId(a); if (a < 0) console.log(a); }, 5);
  const nsJsWasm = time('2M JS->wasm calls', () => { let a = 0; for (let k = 0; k < N; k++) a = idFn(a); if (a < 0) console.log(a); }, 5);
  const nsWasmJs = time('2M wasm->JS import calls', () => { callJsFn(N); }, 5);
  console.log(`  per call: JS->wasm ${(nsJsWasm * 1e6 / N).toFixed(2)} ns, wasm->JS ${(nsWasmJs * 1e6 / N).toFixed(2)} ns`);
}

{ // i64 locals vs (hi, lo) pairs
  const m = new ModuleWriter();
  const f = m.func([I32], [I32]);
  const c = f.code;
  const i = c.local(I32), x = c.local(I64);
  c.i64(0x12345678, 0x9abcdef).set(x);
  c.block().loop().get(i).get(0).op(Op.i32_ge_u).brIf(1);
  c.get(x).i64(0x4c957f2d, 0x5851f42d).op(Op.i64_mul).i64(1442695041, 0).op(Op.i64_add).set(x);
  c.get(x).get(x).i64(29).op(Op.i64_shr_u).op(Op.i64_xor).set(x);
  c.get(i).i32(1).op(Op.i32_add).set(i).br(0).end().end().get(x).op(Op.i32_wrap_i64);
  m.export('run', f.index);
  const run = new WebAssembly.Instance(new WebAssembly.Module(m.toBytes()), {}).exports.run as (n: number) => number;
  const N = 5_000_000;
  const tw = time('wasm i64 mul-add-xorshift loop', () => { run(N); }, 5);
  const pairs = (n: number): number => {
    let lo = 0x12345678, hi = 0x9abcdef;
    const mLo = 0x4c957f2d, mHi = 0x5851f42d;
    for (let k = 0; k < n; k++) {
      // 64x64 multiply on 16-bit limbs of the low word, as int64.ts does
      const a0 = lo & 0xffff, a1 = lo >>> 16, b0 = mLo & 0xffff, b1 = mLo >>> 16;
      const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
      const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
      const rLo = ((mid << 16) | (p00 & 0xffff)) | 0;
      const rHi = (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(lo, mHi) + Math.imul(hi, mLo)) | 0;
      const s = (rLo >>> 0) + 1442695041;
      lo = s | 0; hi = (rHi + (s > 0xffffffff ? 1 : 0)) | 0;
      lo ^= (lo >>> 29) | (hi << 3); hi ^= hi >>> 29;
    }
    return lo;
  };
  const tp = time('JS (hi, lo) int32 pairs, same loop', () => { pairs(N); }, 5);
  console.log(`  per step: wasm i64 ${(tw * 1e6 / N).toFixed(2)} ns, JS pairs ${(tp * 1e6 / N).toFixed(2)} ns`);
}
