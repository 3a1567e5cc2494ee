/**
 * WebAssembly code for the RV64M operations that wasm does not express as one
 * instruction, shared by the region compiler and the wasm interpreter so that
 * their semantics are defined once: MULHU from 32-bit limbs, and the divisions
 * with RISC-V's results where wasm would trap (division by zero, MIN / -1).
 */
import { Op } from '../decoded.js';
import { type Code, Op as W, ValType } from './wasm-writer.js';

const I32 = ValType.I32, I64 = ValType.I64;

/**
 * Leaves the high 64 bits of the unsigned 64x64 product of locals a and b on
 * the stack, from 32-bit limbs (p1, p2, mid: i64 scratch locals). Inline, not
 * a helper function, in regions: V8 (Node 20) does not inline wasm calls, and
 * compilers emit MULHU for every division by a constant.
 */
export function emitMulhu(c: Code, a: number, b: number, p1: number, p2: number, mid: number): void {
  const lo = (x: number): void => { c.get(x).i64(-1, 0).op(W.i64_and); };
  const hi = (x: number): void => { c.get(x).i64(32).op(W.i64_shr_u); };
  lo(a); hi(b); c.op(W.i64_mul).set(p1); // aL * bH
  hi(a); lo(b); c.op(W.i64_mul).set(p2); // aH * bL
  // mid = (aL * bL >>> 32) + (p1 & M) + (p2 & M)
  lo(a); lo(b); c.op(W.i64_mul).i64(32).op(W.i64_shr_u);
  lo(p1); c.op(W.i64_add); lo(p2); c.op(W.i64_add).set(mid);
  // aH * bH + (p1 >>> 32) + (p2 >>> 32) + (mid >>> 32)
  hi(a); hi(b); c.op(W.i64_mul);
  hi(p1); c.op(W.i64_add);
  hi(p2); c.op(W.i64_add);
  hi(mid); c.op(W.i64_add);
}

/** DIV, DIVU, REM or REMU of i64 locals a and b, result (i64) on the stack. */
export function emitDiv64(c: Code, op: number, a: number, b: number): void {
  c.get(b).op(W.i64_eqz).if(I64);
  if (op === Op.DIV || op === Op.DIVU) c.i64(-1); else c.get(a);
  c.else();
  if (op === Op.DIV) {
    // MIN / -1 overflows (wasm traps): the result is MIN
    c.get(a).i64(0, 0x80000000 | 0).op(W.i64_eq).get(b).i64(-1).op(W.i64_eq).op(W.i32_and).if(I64).get(a).else().get(a).get(b).op(W.i64_div_s).end();
  } else if (op === Op.DIVU) c.get(a).get(b).op(W.i64_div_u);
  else if (op === Op.REM) c.get(a).get(b).op(W.i64_rem_s); // rem_s(MIN, -1) is 0 in wasm, as in RISC-V
  else c.get(a).get(b).op(W.i64_rem_u);
  c.end();
}

/** DIVW, DIVUW, REMW or REMUW of i32 locals a and b, result sign-extended to i64 on the stack. */
export function emitDiv32(c: Code, op: number, a: number, b: number): void {
  c.get(b).op(W.i32_eqz).if(I32);
  if (op === Op.DIVW || op === Op.DIVUW) c.i32(-1); else c.get(a);
  c.else();
  if (op === Op.DIVW) {
    c.get(a).i32(0x80000000 | 0).op(W.i32_eq).get(b).i32(-1).op(W.i32_eq).op(W.i32_and).if(I32).get(a).else().get(a).get(b).op(W.i32_div_s).end();
  } else if (op === Op.DIVUW) c.get(a).get(b).op(W.i32_div_u);
  else if (op === Op.REMW) c.get(a).get(b).op(W.i32_rem_s);
  else c.get(a).get(b).op(W.i32_rem_u);
  c.end();
  c.op(W.i64_extend_i32_s);
}
