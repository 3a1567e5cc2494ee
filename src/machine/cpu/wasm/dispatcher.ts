/**
 * The wasm tier's dispatcher: one exported function that JavaScript always
 * calls (so V8 sees one monomorphic JS-to-wasm call site), which runs compiled
 * regions back to back without returning to JavaScript.
 *
 * `dispatch(slot, label, pcLo, pcHi, budget, dKey, iKey, n0) -> n`: calls
 * region `slot` of the shared funcref table at `label` with the count `n0`
 * (instructions the caller retired before; `budget` counts from the same
 * origin, and so do the counts the slow paths receive); when it returns
 * normally with instructions left in the budget, maps its next pc to a RAM
 * offset through the hart's fetch TLB (the interpreter's own entries: a miss
 * returns to JavaScript, which fills it or takes the fault) and looks the
 * offset up in the direct-mapped entry table of the engine area (dispatchIndex); on a hit it
 * calls that region, else it returns. It also returns when a region retired
 * nothing (the budget cannot hold its first block) or set the stop flag (a
 * slow path asked to stop: MMIO, interrupt state, a code write, a trap).
 * Interrupts are therefore still taken only where the interpreter's loop
 * takes them: between slices. JavaScript calls it (a translated block's
 * BlockFn, n0 = 0) and so does the wasm interpreter (interpreter.ts, through
 * its link table, n0 = what it retired in its call), without leaving wasm.
 * It adds the calls and instructions retired to scratch counters (statistics
 * of both callers in one place).
 */
import { DISPATCH_MASK, Scratch } from './engine-area.js';
import { LDS_PARAMS, REGION_PARAMS, STS_PARAMS } from './region-compiler.js';
import { emitFetchMiss } from './fetch-tlb.js';
import { type Code, ModuleWriter, Op as W, ValType } from './wasm-writer.js';

const I32 = ValType.I32;

/** Byte addresses the dispatcher reads (engine area). */
export interface DispatchLayout {
  readonly itLo: number;
  readonly itHi: number;
  readonly itOff: number;
  readonly dTag: number;
  readonly dVal: number;
  /** next pc at +0, stop flag at +16, hits at +20, misses at +24, exit count at +28, page base at +32, chain limit at +44, calls at +48, retired at +56 (engine-area.ts) */
  readonly scratch: number;
}

export interface DispatcherExports {
  readonly dispatch: DispatchFn;
  /** The slow-path helpers region modules import (as `rt.lds`, `rt.sts`). */
  readonly lds: unknown;
  readonly sts: unknown;
}

/** (slot, label, pcLo, pcHi, budget, dKey, iKey, n0) -> n: the count `n0` plus the instructions the regions retired. */
export type DispatchFn = (slot: number, label: number, pcLo: number, pcHi: number, budget: number, dKey: number, iKey: number, n0: number) => number;
/** The dispatcher's parameters (the wasm interpreter calls it through a table with this type). */
export const DISPATCH_PARAMS = [ValType.I32, ValType.I32, ValType.I32, ValType.I32, ValType.I32, ValType.I32, ValType.I32, ValType.I32];

/**
 * The dispatcher module; imports `env.mem`, `env.table` (the regions' funcref
 * table) and the JavaScript slow paths `env.load(vaLo, vaHi, f3, pcLo, pcHi,
 * retired) -> status` (result at Scratch.SLOW_LOAD) and `env.store(vaLo, vaHi, size,
 * vLo, vHi, pcLo, pcHi, retired) -> status`. Besides `dispatch` it exports the
 * wasm functions regions import for their slow paths (so a region module has
 * no JavaScript imports, whose call wrappers V8 would compile per module):
 * `lds(va, at, retired, old) -> value` (old: the result when the load
 * trapped, so the destination register keeps its value) and
 * `sts(va, at, retired, value)` (`at`: see region-compiler.ts). A slow path
 * that asks to stop (status 1) or traps (2) has set the stop flag; on a stop
 * the helper leaves the next pc and the count at the instruction's end in
 * scratch (on a trap the slow path left the handler's pc and the count before
 * the instruction), and the region leaves.
 */
export function buildDispatcher(L: DispatchLayout, memPages: number): Uint8Array {
  const m = new ModuleWriter();
  const jsLoad = m.importFunc('env', 'load', [I32, I32, I32, I32, I32, I32], [I32]);
  const jsStore = m.importFunc('env', 'store', [I32, I32, I32, I32, I32, I32, I32, I32], [I32]);
  m.importMemory('env', 'mem', memPages, memPages, true);
  m.importTable('env', 'table', 1);
  const regionType = m.type(REGION_PARAMS, [I32]);
  const f = m.func(DISPATCH_PARAMS, [I32]);
  const c = f.code;
  const SLOT = 0, LABEL = 1, PCLO = 2, PCHI = 3, BUDGET = 4, DKEY = 5, IKEY = 6, N0 = 7;
  const n = c.local(I32), m2 = c.local(I32), ipn = c.local(I32), ti = c.local(I32), off = c.local(I32), h = c.local(I32), v = c.local(I32);
  const next = c.local(ValType.I64);
  const left = c.local(I32), hits = c.local(I32);
  c.i32(0).i32(0).mem(W.i32_store, L.scratch + Scratch.STOP, 2); // stop flag
  c.i32(0).get(IKEY).mem(W.i32_store, L.scratch + Scratch.FETCH_KEY, 2); // for regions' guards of other pages (region-compiler.ts)
  c.get(N0).set(n);
  // regions left before returning (0: unlimited: it counts down past 0 and does not come back for 2^32 regions)
  c.i32(0).mem(W.i32_load, L.scratch + Scratch.CHAIN_LIMIT, 2).set(left);
  c.block(); // $out
  c.loop(); // $run
  // m2 = region(label, pcLo & ~0xfff, pcHi, budget, dKey, n) (a region leaves its page base at Scratch.PAGE_BASE before a slow path)
  c.get(LABEL).get(PCLO).i32(~0xfff).op(W.i32_and).get(PCHI).get(BUDGET).get(DKEY).get(n).get(SLOT).callIndirect(regionType).set(m2);
  // nothing retired, or a slow path asked to stop: back to JavaScript
  c.get(m2).get(n).op(W.i32_eq).brIf(1);
  c.get(m2).set(n);
  c.i32(0).mem(W.i32_load, L.scratch + Scratch.STOP, 2).brIf(1);
  c.get(n).get(BUDGET).op(W.i32_ge_s).brIf(1);
  c.get(left).i32(1).op(W.i32_sub).tee(left).op(W.i32_eqz).brIf(1);
  c.i32(0).mem(W.i64_load, L.scratch + Scratch.NEXT_PC, 3).set(next);
  c.get(next).op(W.i32_wrap_i64).set(PCLO);
  c.get(next).i64(32).op(W.i64_shr_u).op(W.i32_wrap_i64).set(PCHI);
  // fetch TLB: the same rule as the interpreter's fetch
  c.get(PCLO).i32(12).op(W.i32_shr_u).set(ipn);
  emitFetchMiss(c, L.itLo, L.itHi, ipn, ti, () => { c.get(IKEY); }, () => { c.get(PCHI); });
  c.if();
  countMiss(c, L);
  c.br(2);
  c.end();
  c.get(ti).mem(W.i32_load, L.itOff, 2).get(PCLO).i32(0xfff).op(W.i32_and).op(W.i32_add).set(off);
  // h = dispatchIndex(off) * 4
  c.get(off).i32(1).op(W.i32_shr_u).get(off).i32(13).op(W.i32_shr_u).op(W.i32_xor).i32(DISPATCH_MASK).op(W.i32_and).i32(2).op(W.i32_shl).set(h);
  c.get(h).mem(W.i32_load, L.dTag, 2).get(off).op(W.i32_ne);
  c.if();
  countMiss(c, L);
  c.br(2);
  c.end();
  c.get(h).mem(W.i32_load, L.dVal, 2).set(v);
  c.get(v).i32(8).op(W.i32_shr_u).set(SLOT);
  c.get(v).i32(0xff).op(W.i32_and).set(LABEL);
  c.get(hits).i32(1).op(W.i32_add).set(hits); // counted in a local: no memory traffic per chained region
  c.br(0);
  c.end(); // loop
  c.end(); // $out
  c.i32(0).i32(0).mem(W.i32_load, L.scratch + Scratch.DISPATCH_HITS, 2).get(hits).op(W.i32_add).mem(W.i32_store, L.scratch + Scratch.DISPATCH_HITS, 2);
  c.i32(0).i32(0).mem(W.i32_load, L.scratch + Scratch.CALLS, 2).i32(1).op(W.i32_add).mem(W.i32_store, L.scratch + Scratch.CALLS, 2);
  c.i32(0).i32(0).mem(W.i64_load, L.scratch + Scratch.RETIRED, 3).get(n).get(N0).op(W.i32_sub).op(W.i64_extend_i32_u).op(W.i64_add).mem(W.i64_store, L.scratch + Scratch.RETIRED, 3);
  c.get(n);
  m.export('dispatch', f.index);
  const lo = (c: Code, x: number): void => { c.get(x).op(W.i32_wrap_i64); };
  const hi = (c: Code, x: number): void => { c.get(x).i64(32).op(W.i64_shr_u).op(W.i32_wrap_i64); };
  const I64 = ValType.I64;
  // pc of the instruction: the running region's page base | the page offset in `at`
  const pcLo = (c: Code): void => { c.i32(0).mem(W.i32_load, L.scratch + Scratch.PAGE_BASE, 2).get(1).i32(0xfff).op(W.i32_and).op(W.i32_or); };
  const pcHi = (c: Code): void => { c.i32(0).mem(W.i32_load, L.scratch + Scratch.PAGE_BASE_HI, 2); };
  /** status (on the stack) 1: the region stops after this instruction; leave its next pc and count for it (2, a trap: the slow path left the trap's). */
  const onStop = (c: Code, st: number): void => {
    c.tee(st).i32(1).op(W.i32_eq).if();
    c.i32(0);
    pcLo(c); c.op(W.i64_extend_i32_u);
    pcHi(c); c.op(W.i64_extend_i32_u).i64(32).op(W.i64_shl).op(W.i64_or);
    c.get(1).i32(12).op(W.i32_shr_u).i32(7).op(W.i32_and).op(W.i64_extend_i32_u).op(W.i64_add);
    c.mem(W.i64_store, L.scratch + Scratch.NEXT_PC, 3);
    c.i32(0).get(2).i32(1).op(W.i32_add).mem(W.i32_store, L.scratch + Scratch.EXIT_COUNT, 2);
    c.end();
  };
  // lds(va, at, retired, old) -> value
  const ld = m.func(LDS_PARAMS, [I64]);
  const lst = ld.code.local(I32);
  lo(ld.code, 0); hi(ld.code, 0);
  ld.code.get(1).i32(16).op(W.i32_shr_u);
  pcLo(ld.code); pcHi(ld.code);
  ld.code.get(2).call(jsLoad);
  onStop(ld.code, lst);
  ld.code.get(lst).i32(2).op(W.i32_eq);
  ld.code.if(I64).get(3).else().i32(0).mem(W.i64_load, L.scratch + Scratch.SLOW_LOAD, 3).end();
  m.export('lds', ld.index);
  // sts(va, at, retired, value)
  const st = m.func(STS_PARAMS, []);
  const sst = st.code.local(I32);
  lo(st.code, 0); hi(st.code, 0);
  st.code.get(1).i32(16).op(W.i32_shr_u);
  lo(st.code, 3); hi(st.code, 3);
  pcLo(st.code); pcHi(st.code);
  st.code.get(2).call(jsStore);
  onStop(st.code, sst);
  m.export('sts', st.index);
  return m.toBytes();
}

function countMiss(c: Code, L: DispatchLayout): void {
  c.i32(0).i32(0).mem(W.i32_load, L.scratch + Scratch.DISPATCH_MISSES, 2).i32(1).op(W.i32_add).mem(W.i32_store, L.scratch + Scratch.DISPATCH_MISSES, 2);
}
