/**
 * Which FP instructions the wasm tier translates, and when they may run there.
 *
 * WebAssembly's f64 arithmetic rounds to nearest-even like IEEE 754 but leaves
 * NaN bits unspecified and has no exception flags. So a region runs an FP
 * instruction only where its result is bit-exact and changes no flag:
 * - every translated FP instruction needs mstatus.FS = Dirty (the interpreter
 *   would trap when it is Off and set it Dirty otherwise: with Dirty already
 *   set there is nothing to do);
 * - fadd/fsub/fmul/fdiv.d need fflags.NX already set and round-to-nearest-even
 *   (static rm 0, or dynamic rm with frm 0), and run only when the result is
 *   a finite normal number above the smallest normal (no NaN, no overflow,
 *   no underflow, no division by zero, no invalid: at most "inexact", which
 *   is set already); anything else leaves the region before the instruction,
 *   and the interpreter runs it (canonical NaNs, exact fflags);
 * - compares run when neither operand is a NaN (then they raise nothing).
 * Loads, stores, sign injection and moves are bit copies.
 *
 * The mode word (FP_* bits) is computed by the hart (`Hart.fpMode()`) and
 * written to the engine area before each dispatch: mstatus, fflags and frm
 * change only in the interpreter (CSR, FP instructions a region left to it,
 * traps), never while regions run.
 */
import { Op } from '../decoded.js';

/** FP mode bits: FS is Dirty; also NX is set (rm 0 arithmetic may run); also frm is 0 (dynamic-rm arithmetic may run). */
export const FP_DIRTY = 1, FP_ARITH_RNE = 2, FP_ARITH_DYN = 4;

/** FP mode word from mstatus.FS, fflags and frm. */
export function fpModeOf(fs: number, fflags: number, frm: number): number {
  if (fs !== 3) return 0;
  if ((fflags & 1) === 0) return FP_DIRTY;
  return FP_DIRTY | FP_ARITH_RNE | (frm === 0 ? FP_ARITH_DYN : 0);
}

export const enum FpKind { NONE, LOAD_W, LOAD_D, STORE_W, STORE_D, ARITH, SGNJ, CMP, MV_X_D, MV_D_X }

/** The translated kind of a LOAD_FP/STORE_FP/FP instruction (raw: its 32-bit word, expanded from RVC), NONE if not translated. */
export function fpKind(op: number, raw: number): FpKind {
  const f3 = (raw >>> 12) & 7;
  if (op === Op.LOAD_FP) return f3 === 2 ? FpKind.LOAD_W : f3 === 3 ? FpKind.LOAD_D : FpKind.NONE;
  if (op === Op.STORE_FP) return f3 === 2 ? FpKind.STORE_W : f3 === 3 ? FpKind.STORE_D : FpKind.NONE;
  if (op !== Op.FP || (raw & 0x7f) !== 0x53) return FpKind.NONE;
  const f7 = raw >>> 25, rs2 = (raw >>> 20) & 31;
  switch (f7) {
    case 0x01: case 0x05: case 0x09: case 0x0d: return f3 === 0 || f3 === 7 ? FpKind.ARITH : FpKind.NONE;
    case 0x11: return f3 <= 2 ? FpKind.SGNJ : FpKind.NONE;
    case 0x51: return f3 <= 2 ? FpKind.CMP : FpKind.NONE;
    case 0x71: return f3 === 0 && rs2 === 0 ? FpKind.MV_X_D : FpKind.NONE;
    case 0x79: return f3 === 0 && rs2 === 0 ? FpKind.MV_D_X : FpKind.NONE;
    default: return FpKind.NONE;
  }
}

/** Registers an FP instruction of kind k reads and writes (x: integer, f: FP). */
export function fpRegs(k: FpKind, raw: number): { xr: number[]; xw: number[]; fr: number[]; fw: number[] } {
  const rd = (raw >>> 7) & 31, rs1 = (raw >>> 15) & 31, rs2 = (raw >>> 20) & 31;
  switch (k) {
    case FpKind.LOAD_W: case FpKind.LOAD_D: return { xr: [rs1], xw: [], fr: [rd], fw: [rd] };
    case FpKind.STORE_W: case FpKind.STORE_D: return { xr: [rs1], xw: [], fr: [rs2], fw: [] };
    case FpKind.ARITH: case FpKind.SGNJ: return { xr: [], xw: [], fr: [rs1, rs2], fw: [rd] };
    case FpKind.CMP: return { xr: [], xw: [rd], fr: [rs1, rs2], fw: [] };
    case FpKind.MV_X_D: return { xr: [], xw: [rd], fr: [rs1], fw: [] };
    case FpKind.MV_D_X: return { xr: [rs1], xw: [], fr: [], fw: [rd] };
    default: return { xr: [], xw: [], fr: [], fw: [] };
  }
}
