/**
 * RV64F/D floating-point instructions (OP-FP and the fused multiply-adds), per the unprivileged
 * spec v20191213: NaN-boxed singles, canonical NaN results, 2019 FMIN/FMAX, all five rounding
 * modes and accrued flags with tininess detected after rounding.
 *
 * Fast path: native double arithmetic when the result can be proven correctly rounded and its
 * flags exact (error-free transformations: TwoSum, Dekker product); everything else goes to the
 * exact BigInt slow path in fpu-softfloat.ts.
 */
import {
  F32, F64, FLAG_NV, FLAG_NX, RM_RDN, RM_RMM, RM_RNE, RM_RTZ, RM_RUP,
  sfAdd, sfConvert, sfDiv, sfFma, sfFromInt, sfMul, sfSqrt, sfStatus, sfToInt,
} from './fpu-softfloat.js';

export interface FpContext {
  readonly xLo: Int32Array; // 32 integer registers, low 32 bits
  readonly xHi: Int32Array; // high 32 bits
  readonly fLo: Int32Array; // 32 FP registers, low 32 bits (a single is NaN-boxed: fHi = -1)
  readonly fHi: Int32Array;
  fflags: number; // accrued exception flags NV=16 DZ=8 OF=4 UF=2 NX=1
  frm: number; // dynamic rounding mode 0..7
}

const CANON_NAN_S = 0x7fc00000;
const CANON_NAN_D_HI = 0x7ff80000;

// Scratch views for bit <-> number conversion (never used to move NaNs: engines may change them).
const f64 = new Float64Array(1);
const f64i = new Int32Array(f64.buffer);
const f32 = new Float32Array(1);
const f32i = new Int32Array(f32.buffer);
const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LO = LE ? 0 : 1;
const HI = LE ? 1 : 0;

const TWO32 = 4294967296;
const TWO_M126 = 2 ** -126;
const TWO_M960 = 2 ** -960;
const TWO_995 = 2 ** 995;
const TWO_1020 = 2 ** 1020;
const TWO_52 = 2 ** 52;
const TWO_53 = 2 ** 53;
const SPLIT = 134217729; // 2^27 + 1 (Veltkamp)

function dbl(lo: number, hi: number): number {
  f64i[LO] = lo;
  f64i[HI] = hi;
  return f64[0]!;
}

function sgl(bits: number): number {
  f32i[0] = bits;
  return f32[0]!;
}

/** Reads a single operand: an improperly NaN-boxed register reads as the canonical NaN. */
function readS(ctx: FpContext, r: number): number {
  return ctx.fHi[r] === -1 ? ctx.fLo[r]! : CANON_NAN_S;
}

function writeS(ctx: FpContext, r: number, bits: number): void {
  ctx.fLo[r] = bits;
  ctx.fHi[r] = -1;
}

function writeSNum(ctx: FpContext, r: number, v: number): void {
  f32[0] = v;
  ctx.fLo[r] = f32i[0]!;
  ctx.fHi[r] = -1;
}

function writeDNum(ctx: FpContext, r: number, v: number): void {
  f64[0] = v;
  ctx.fLo[r] = f64i[LO]!;
  ctx.fHi[r] = f64i[HI]!;
}

function writeX(ctx: FpContext, rd: number, lo: number, hi: number): void {
  if (rd !== 0) {
    ctx.xLo[rd] = lo;
    ctx.xHi[rd] = hi;
  }
}

function isNaNS(b: number): boolean {
  return (b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0;
}

function isSNaNS(b: number): boolean {
  return isNaNS(b) && (b & 0x400000) === 0;
}

function isNaND(lo: number, hi: number): boolean {
  return (hi & 0x7ff00000) === 0x7ff00000 && ((hi & 0xfffff) | lo) !== 0;
}

function isSNaND(lo: number, hi: number): boolean {
  return isNaND(lo, hi) && (hi & 0x80000) === 0;
}

// --- BigInt bridges for the slow path ---
function bigS(bits: number): bigint {
  return BigInt(bits >>> 0);
}

function bigD(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

function storeBigD(ctx: FpContext, r: number, v: bigint): void {
  ctx.fLo[r] = Number(v & 0xffffffffn) | 0;
  ctx.fHi[r] = Number(v >> 32n) | 0;
}

function storeBigX(ctx: FpContext, rd: number, v: bigint): void {
  writeX(ctx, rd, Number(BigInt.asIntN(32, v)) | 0, Number(BigInt.asIntN(32, v >> 32n)) | 0);
}

/** Resolves the instruction's rm field; -1 when reserved (5, 6) or DYN with an invalid frm. */
function resolveRm(ctx: FpContext, rm: number): number {
  if (rm === 7) rm = ctx.frm & 7;
  return rm <= 4 ? rm : -1;
}

// --- exactness checks for the fast path: return flags (0 or NX), or -1 when undecided ---
const ADD = 0, MUL = 1, DIV = 2;

function twoSumErr(a: number, b: number, s: number): number {
  const bb = s - a;
  return (a - (s - bb)) + (b - bb);
}

/** Error of the double product a*b = p (Dekker); caller guarantees no over/underflow. */
function twoProdErr(a: number, b: number, p: number): number {
  let c = SPLIT * a;
  const ah = c - (c - a);
  const al = a - ah;
  c = SPLIT * b;
  const bh = c - (c - b);
  const bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

function fastD(kind: number, a: number, b: number, r: number): number {
  if (kind === ADD) {
    if (r - r !== 0) return -1; // overflow
    const err = twoSumErr(a, b, r);
    if (err - err !== 0) return -1;
    return err !== 0 ? FLAG_NX : 0; // subnormal sums are always exact
  }
  if (kind === MUL) {
    const ap = Math.abs(r);
    if (!(ap >= TWO_M960 && ap < TWO_1020)) return a === 0 || b === 0 ? 0 : -1;
    if (Math.abs(a) >= TWO_995 || Math.abs(b) >= TWO_995) return -1;
    return twoProdErr(a, b, r) !== 0 ? FLAG_NX : 0;
  }
  // DIV: exact iff q*b == a exactly
  if (b === 0) return -1;
  if (a === 0) return 0;
  const aq = Math.abs(r);
  const aa = Math.abs(a);
  if (!(aq >= TWO_M960 && aq < TWO_995 && aa >= TWO_M960 && aa < TWO_1020) || Math.abs(b) >= TWO_995) return -1;
  const ph = r * b;
  return ph !== a || twoProdErr(r, b, ph) !== 0 ? FLAG_NX : 0;
}

/** Single ops computed in double: RNE double rounding is innocuous for + - * / sqrt (53 >= 2*24+2). */
function fastS(kind: number, a: number, b: number, s: number): number {
  let inexact: boolean;
  if (kind === ADD) {
    inexact = twoSumErr(a, b, s) !== 0;
  } else if (kind === MUL) {
    inexact = false; // 24x24-bit products are exact in double
  } else {
    if (b === 0) return -1;
    inexact = false;
  }
  if (s === 0) return inexact ? -1 : 0;
  const r = Math.fround(s);
  if (r - r !== 0 || !(Math.abs(s) > TWO_M126)) return -1; // overflow or possibly tiny
  if (kind === DIV) return r * b !== a ? FLAG_NX : 0;
  return inexact || r !== s ? FLAG_NX : 0;
}

function arithD(ctx: FpContext, kind: number, neg: boolean, rd: number, rs1: number, rs2: number, rm: number): void {
  const aLo = ctx.fLo[rs1]!, aHi = ctx.fHi[rs1]!, bLo = ctx.fLo[rs2]!;
  let bHi = ctx.fHi[rs2]!;
  if (neg) bHi ^= 0x80000000;
  if ((aHi & 0x7ff00000) !== 0x7ff00000 && (bHi & 0x7ff00000) !== 0x7ff00000) {
    const a = dbl(aLo, aHi);
    const b = dbl(bLo, bHi);
    const r = kind === ADD ? a + b : kind === MUL ? a * b : a / b;
    const fl = fastD(kind, a, b, r);
    if (fl === 0 ? !(r === 0 && kind === ADD && rm === RM_RDN) : fl > 0 && rm === RM_RNE) {
      writeDNum(ctx, rd, r);
      ctx.fflags |= fl;
      return;
    }
  }
  sfStatus.flags = 0;
  const x = bigD(aLo, aHi), y = bigD(bLo, bHi);
  const v = kind === ADD ? sfAdd(F64, x, y, rm) : kind === MUL ? sfMul(F64, x, y, rm) : sfDiv(F64, x, y, rm);
  storeBigD(ctx, rd, v);
  ctx.fflags |= sfStatus.flags;
}

function arithS(ctx: FpContext, kind: number, neg: boolean, rd: number, rs1: number, rs2: number, rm: number): void {
  const xa = readS(ctx, rs1);
  let xb = readS(ctx, rs2);
  if (neg) xb ^= 0x80000000;
  if ((xa & 0x7f800000) !== 0x7f800000 && (xb & 0x7f800000) !== 0x7f800000) {
    const a = sgl(xa);
    const b = sgl(xb);
    const s = kind === ADD ? a + b : kind === MUL ? a * b : a / b;
    const fl = fastS(kind, a, b, s);
    if (fl === 0 ? !(s === 0 && kind === ADD && rm === RM_RDN) : fl > 0 && rm === RM_RNE) {
      writeSNum(ctx, rd, s);
      ctx.fflags |= fl;
      return;
    }
  }
  sfStatus.flags = 0;
  const x = bigS(xa), y = bigS(xb);
  const v = kind === ADD ? sfAdd(F32, x, y, rm) : kind === MUL ? sfMul(F32, x, y, rm) : sfDiv(F32, x, y, rm);
  writeS(ctx, rd, Number(v) | 0);
  ctx.fflags |= sfStatus.flags;
}

function sqrtD(ctx: FpContext, rd: number, rs1: number, rm: number): void {
  const lo = ctx.fLo[rs1]!, hi = ctx.fHi[rs1]!;
  const a = dbl(lo, hi);
  if (a === 0 || (a >= TWO_M960 && a - a === 0)) {
    const r = Math.sqrt(a);
    if (a === 0) {
      writeDNum(ctx, rd, r);
      return;
    }
    const ph = r * r;
    const inexact = ph !== a || twoProdErr(r, r, ph) !== 0;
    if (!inexact || rm === RM_RNE) {
      writeDNum(ctx, rd, r);
      if (inexact) ctx.fflags |= FLAG_NX;
      return;
    }
  }
  sfStatus.flags = 0;
  storeBigD(ctx, rd, sfSqrt(F64, bigD(lo, hi), rm));
  ctx.fflags |= sfStatus.flags;
}

function sqrtS(ctx: FpContext, rd: number, rs1: number, rm: number): void {
  const xa = readS(ctx, rs1);
  const a = sgl(xa);
  if (a === 0 || (a > 0 && a - a === 0)) {
    const r = Math.fround(Math.sqrt(a));
    const inexact = r * r !== a; // exact in double
    if (!inexact || rm === RM_RNE) {
      writeSNum(ctx, rd, r);
      if (inexact) ctx.fflags |= FLAG_NX;
      return;
    }
  }
  sfStatus.flags = 0;
  writeS(ctx, rd, Number(sfSqrt(F32, bigS(xa), rm)) | 0);
  ctx.fflags |= sfStatus.flags;
}

let fmaResult = 0;

/** Moves v one ulp towards the exact value v + e when v's last bit is even (round to odd). */
function roundOdd(v: number, e: number): number {
  f64[0] = v;
  let lo = f64i[LO]!;
  if ((lo & 1) !== 0) return v;
  let hi = f64i[HI]!;
  if ((e > 0) === (v > 0)) {
    lo = (lo + 1) | 0;
    if (lo === 0) hi++;
  } else {
    if (lo === 0) hi--;
    lo = (lo - 1) | 0;
  }
  f64i[LO] = lo;
  f64i[HI] = hi;
  return f64[0]!;
}

/**
 * Double a*b + c (finite operands) without BigInt: exact product (Dekker), exact sum with c
 * (TwoSum), the low parts added with rounding to odd, then one RNE addition; Boldo and
 * Melquiond (IEEE TC 2008) prove this correctly rounded absent underflow/overflow, which the
 * range checks exclude. Sets fmaResult; returns the flags, or -1 for the exact slow path.
 */
function fastFmaD(a: number, b: number, c: number, rm: number): number {
  if (a === 0 || b === 0) {
    fmaResult = a * b + c; // exact: the signed zero product plus c
    return fmaResult === 0 && rm === RM_RDN ? -1 : 0;
  }
  const ph = a * b;
  const aph = Math.abs(ph);
  if (!(aph >= TWO_M960 && aph < TWO_1020) || Math.abs(a) >= TWO_995 || Math.abs(b) >= TWO_995 || !(Math.abs(c) < TWO_1020)) return -1;
  const pl = twoProdErr(a, b, ph);
  const th = c + ph;
  const tl = twoSumErr(c, ph, th);
  let v = tl + pl;
  const e = twoSumErr(tl, pl, v);
  if (e !== 0) v = roundOdd(v, e);
  const z = th + v;
  // the exact sum is representable only if both partial sums were exact
  const inexact = e !== 0 || twoSumErr(th, v, z) !== 0;
  const az = Math.abs(z);
  if (z === 0 ? inexact || rm === RM_RDN : !(az >= TWO_M960 && az < TWO_1020)) return -1;
  if (inexact && rm !== RM_RNE) return -1;
  fmaResult = z;
  return inexact ? FLAG_NX : 0;
}

/** FMADD/FMSUB/FNMSUB/FNMADD: negProd/negAdd flip the product and addend signs. */
function fma(ctx: FpContext, op: number, isD: boolean, rd: number, rs1: number, rs2: number, rs3: number, rm: number): void {
  const negProd = op === 0x4b || op === 0x4f;
  const negAdd = op === 0x47 || op === 0x4f;
  if (isD) {
    const aHi = ctx.fHi[rs1]! ^ (negProd ? 0x80000000 : 0);
    const cHi = ctx.fHi[rs3]! ^ (negAdd ? 0x80000000 : 0);
    const bHi = ctx.fHi[rs2]!;
    if ((aHi & 0x7ff00000) !== 0x7ff00000 && (bHi & 0x7ff00000) !== 0x7ff00000 && (cHi & 0x7ff00000) !== 0x7ff00000) {
      const fl = fastFmaD(dbl(ctx.fLo[rs1]!, aHi), dbl(ctx.fLo[rs2]!, bHi), dbl(ctx.fLo[rs3]!, cHi), rm);
      if (fl >= 0) {
        writeDNum(ctx, rd, fmaResult);
        ctx.fflags |= fl;
        return;
      }
    }
    sfStatus.flags = 0;
    const v = sfFma(F64, bigD(ctx.fLo[rs1]!, aHi), bigD(ctx.fLo[rs2]!, ctx.fHi[rs2]!), bigD(ctx.fLo[rs3]!, cHi), rm);
    storeBigD(ctx, rd, v);
    ctx.fflags |= sfStatus.flags;
    return;
  }
  const xa = readS(ctx, rs1) ^ (negProd ? 0x80000000 : 0);
  const xb = readS(ctx, rs2);
  const xc = readS(ctx, rs3) ^ (negAdd ? 0x80000000 : 0);
  if ((xa & 0x7f800000) !== 0x7f800000 && (xb & 0x7f800000) !== 0x7f800000 && (xc & 0x7f800000) !== 0x7f800000) {
    // the product is exact in double; if the sum is too, one fround gives the answer
    const p = sgl(xa) * sgl(xb);
    const c = sgl(xc);
    const s = p + c;
    if (twoSumErr(p, c, s) === 0 && (s === 0 ? rm !== RM_RDN : Math.abs(s) > TWO_M126)) {
      const r = Math.fround(s);
      if (r - r === 0 && (r === s || rm === RM_RNE)) {
        writeSNum(ctx, rd, r);
        if (r !== s) ctx.fflags |= FLAG_NX;
        return;
      }
    }
  }
  sfStatus.flags = 0;
  writeS(ctx, rd, Number(sfFma(F32, bigS(xa), bigS(xb), bigS(xc), rm)) | 0);
  ctx.fflags |= sfStatus.flags;
}

/** Rounds v (finite, |v| < 2^52 or integral) to an integer per rm. */
function roundToInt(v: number, rm: number): number {
  switch (rm) {
    case RM_RTZ: return Math.trunc(v);
    case RM_RDN: return Math.floor(v);
    case RM_RUP: return Math.ceil(v);
    case RM_RMM: {
      const t = Math.trunc(v);
      return Math.abs(v - t) >= 0.5 ? t + Math.sign(v) : t;
    }
    default: {
      if (Math.abs(v) >= TWO_52) return v;
      const t = Math.abs(v) + TWO_52 - TWO_52; // RNE by the hardware
      return v < 0 ? -t : t;
    }
  }
}

const INT_LO = [-(2n ** 31n), 0n, -(2n ** 63n), 0n];
const INT_HI = [2n ** 31n - 1n, 2n ** 32n - 1n, 2n ** 63n - 1n, 2n ** 64n - 1n];

/** FCVT.{W,WU,L,LU}.{S,D}; kind = rs2 (0 W, 1 WU, 2 L, 3 LU). */
function cvtToInt(ctx: FpContext, isD: boolean, kind: number, rd: number, rs1: number, rm: number): void {
  let lo = 0, hi = 0, bits = 0;
  let v: number;
  if (isD) {
    lo = ctx.fLo[rs1]!;
    hi = ctx.fHi[rs1]!;
    v = dbl(lo, hi);
  } else {
    bits = readS(ctx, rs1);
    v = sgl(bits);
  }
  if (Math.abs(v) < TWO_53) {
    // NaN fails the test above; every value below 2^53 rounds to an exactly representable integer
    const t = roundToInt(v, rm);
    let ok: boolean;
    switch (kind) {
      case 0: ok = t >= -2147483648 && t <= 2147483647; break;
      case 1: ok = t >= 0 && t <= 4294967295; break;
      case 2: ok = true; break;
      default: ok = t >= 0; break;
    }
    if (ok) {
      if (kind < 2) {
        const r = t | 0; // WU results are sign-extended from bit 31 as well
        writeX(ctx, rd, r, r >> 31);
      } else {
        const h = Math.floor(t / TWO32);
        writeX(ctx, rd, (t - h * TWO32) | 0, h | 0);
      }
      if (t !== v) ctx.fflags |= FLAG_NX;
      return;
    }
  }
  sfStatus.flags = 0;
  const r = isD ? sfToInt(F64, bigD(lo, hi), rm, INT_LO[kind]!, INT_HI[kind]!) : sfToInt(F32, bigS(bits), rm, INT_LO[kind]!, INT_HI[kind]!);
  storeBigX(ctx, rd, kind < 2 ? BigInt.asIntN(32, r) : r);
  ctx.fflags |= sfStatus.flags;
}

/** FCVT.{S,D}.{W,WU,L,LU}; kind = rs2. */
function cvtFromInt(ctx: FpContext, isD: boolean, kind: number, rd: number, rs1: number, rm: number): void {
  const lo = ctx.xLo[rs1]!, hi = ctx.xHi[rs1]!;
  let v: number;
  switch (kind) {
    case 0: v = lo; break;
    case 1: v = lo >>> 0; break;
    case 2: v = hi >= -0x200000 && hi < 0x200000 ? hi * TWO32 + (lo >>> 0) : NaN; break;
    default: v = hi >= 0 && hi < 0x200000 ? hi * TWO32 + (lo >>> 0) : NaN; break;
  }
  if (v === v) {
    // v is the exact integer
    if (isD) {
      writeDNum(ctx, rd, v);
      return;
    }
    const r = Math.fround(v);
    if (r === v || rm === RM_RNE) {
      writeSNum(ctx, rd, r);
      if (r !== v) ctx.fflags |= FLAG_NX;
      return;
    }
  }
  let iv = (BigInt(hi) << 32n) | BigInt(lo >>> 0);
  if (kind === 0) iv = BigInt(lo);
  else if (kind === 1) iv = BigInt(lo >>> 0);
  else if (kind === 3) iv = BigInt.asUintN(64, iv);
  sfStatus.flags = 0;
  if (isD) storeBigD(ctx, rd, sfFromInt(F64, iv, rm));
  else writeS(ctx, rd, Number(sfFromInt(F32, iv, rm)) | 0);
  ctx.fflags |= sfStatus.flags;
}

function cvtSD(ctx: FpContext, rd: number, rs1: number, rm: number): void {
  const lo = ctx.fLo[rs1]!, hi = ctx.fHi[rs1]!;
  if ((hi & 0x7ff00000) !== 0x7ff00000) {
    const d = dbl(lo, hi);
    const r = Math.fround(d);
    if (r - r === 0 && (d === 0 || Math.abs(d) >= TWO_M126) && (r === d || rm === RM_RNE)) {
      writeSNum(ctx, rd, r);
      if (r !== d) ctx.fflags |= FLAG_NX;
      return;
    }
  }
  sfStatus.flags = 0;
  writeS(ctx, rd, Number(sfConvert(F32, F64, bigD(lo, hi), rm)) | 0);
  ctx.fflags |= sfStatus.flags;
}

function cvtDS(ctx: FpContext, rd: number, rs1: number): void {
  const b = readS(ctx, rs1);
  if (isNaNS(b)) {
    if (isSNaNS(b)) ctx.fflags |= FLAG_NV;
    ctx.fLo[rd] = 0;
    ctx.fHi[rd] = CANON_NAN_D_HI;
    return;
  }
  writeDNum(ctx, rd, sgl(b)); // exact
}

/** FSGNJ/FSGNJN/FSGNJX on the sign bits; rm selects the variant. */
function sgnj(rm: number, a: number, b: number): number {
  const s = rm === 0 ? b : rm === 1 ? ~b : a ^ b;
  return (a & 0x7fffffff) | (s & 0x80000000);
}

/** 2019 FMIN/FMAX; returns which operand (0 = a, 1 = b) or -1 for the canonical NaN. */
function minMaxPick(isMax: boolean, aNaN: boolean, bNaN: boolean, a: number, b: number, aNeg: boolean): number {
  if (aNaN) return bNaN ? -1 : 1;
  if (bNaN) return 0;
  if (a === b) return (aNeg !== isMax) ? 0 : 1; // equal values differ only for +-0
  return (a < b) !== isMax ? 0 : 1;
}

function classify(neg: boolean, expAllOnes: boolean, expZero: boolean, fracZero: boolean, quiet: boolean): number {
  if (expAllOnes) {
    if (fracZero) return neg ? 1 << 0 : 1 << 7;
    return quiet ? 1 << 9 : 1 << 8;
  }
  if (expZero) {
    if (fracZero) return neg ? 1 << 3 : 1 << 4;
    return neg ? 1 << 2 : 1 << 5;
  }
  return neg ? 1 << 1 : 1 << 6;
}

export function execFp(ctx: FpContext, insn: number): boolean {
  const op = insn & 0x7f;
  const rd = (insn >>> 7) & 31;
  const rm = (insn >>> 12) & 7;
  const rs1 = (insn >>> 15) & 31;
  const rs2 = (insn >>> 20) & 31;
  if (op !== 0x53) {
    if (op !== 0x43 && op !== 0x47 && op !== 0x4b && op !== 0x4f) return false;
    const fmt = (insn >>> 25) & 3;
    const r = resolveRm(ctx, rm);
    if (fmt > 1 || r < 0) return false;
    fma(ctx, op, fmt === 1, rd, rs1, rs2, insn >>> 27, r);
    return true;
  }
  const f7 = insn >>> 25;
  const isD = (f7 & 1) === 1;
  if ((f7 & 2) !== 0) return false; // H and Q formats are not implemented
  switch (f7 >> 2) {
    case 0x00: // FADD
    case 0x01: // FSUB
    case 0x02: // FMUL
    case 0x03: { // FDIV
      const r = resolveRm(ctx, rm);
      if (r < 0) return false;
      const g = f7 >> 2;
      const kind = g <= 1 ? ADD : g === 2 ? MUL : DIV;
      if (isD) arithD(ctx, kind, g === 1, rd, rs1, rs2, r);
      else arithS(ctx, kind, g === 1, rd, rs1, rs2, r);
      return true;
    }
    case 0x0b: { // FSQRT
      const r = resolveRm(ctx, rm);
      if (r < 0 || rs2 !== 0) return false;
      if (isD) sqrtD(ctx, rd, rs1, r);
      else sqrtS(ctx, rd, rs1, r);
      return true;
    }
    case 0x04: { // FSGNJ / FSGNJN / FSGNJX
      if (rm > 2) return false;
      if (isD) {
        const lo = ctx.fLo[rs1]!;
        ctx.fHi[rd] = sgnj(rm, ctx.fHi[rs1]!, ctx.fHi[rs2]!);
        ctx.fLo[rd] = lo;
      } else {
        writeS(ctx, rd, sgnj(rm, readS(ctx, rs1), readS(ctx, rs2)));
      }
      return true;
    }
    case 0x05: { // FMIN / FMAX
      if (rm > 1) return false;
      const isMax = rm === 1;
      if (isD) {
        const aLo = ctx.fLo[rs1]!, aHi = ctx.fHi[rs1]!, bLo = ctx.fLo[rs2]!, bHi = ctx.fHi[rs2]!;
        const aN = isNaND(aLo, aHi), bN = isNaND(bLo, bHi);
        if (isSNaND(aLo, aHi) || isSNaND(bLo, bHi)) ctx.fflags |= FLAG_NV;
        const pick = minMaxPick(isMax, aN, bN, aN ? 0 : dbl(aLo, aHi), bN ? 0 : dbl(bLo, bHi), aHi < 0);
        if (pick < 0) {
          ctx.fLo[rd] = 0;
          ctx.fHi[rd] = CANON_NAN_D_HI;
        } else {
          ctx.fLo[rd] = pick === 0 ? aLo : bLo;
          ctx.fHi[rd] = pick === 0 ? aHi : bHi;
        }
      } else {
        const a = readS(ctx, rs1), b = readS(ctx, rs2);
        const aN = isNaNS(a), bN = isNaNS(b);
        if (isSNaNS(a) || isSNaNS(b)) ctx.fflags |= FLAG_NV;
        const pick = minMaxPick(isMax, aN, bN, aN ? 0 : sgl(a), bN ? 0 : sgl(b), a < 0);
        writeS(ctx, rd, pick < 0 ? CANON_NAN_S : pick === 0 ? a : b);
      }
      return true;
    }
    case 0x08: { // FCVT.S.D (f7 0x20) / FCVT.D.S (f7 0x21)
      const r = resolveRm(ctx, rm);
      if (r < 0) return false;
      if (isD) {
        if (rs2 !== 0) return false;
        cvtDS(ctx, rd, rs1);
      } else {
        if (rs2 !== 1) return false;
        cvtSD(ctx, rd, rs1, r);
      }
      return true;
    }
    case 0x14: { // FLE (rm 0) / FLT (1) / FEQ (2)
      if (rm > 2) return false;
      let aN: boolean, bN: boolean, sig: boolean, a = 0, b = 0;
      if (isD) {
        const aLo = ctx.fLo[rs1]!, aHi = ctx.fHi[rs1]!, bLo = ctx.fLo[rs2]!, bHi = ctx.fHi[rs2]!;
        aN = isNaND(aLo, aHi);
        bN = isNaND(bLo, bHi);
        sig = isSNaND(aLo, aHi) || isSNaND(bLo, bHi);
        if (!aN && !bN) {
          a = dbl(aLo, aHi);
          b = dbl(bLo, bHi);
        }
      } else {
        const x = readS(ctx, rs1), y = readS(ctx, rs2);
        aN = isNaNS(x);
        bN = isNaNS(y);
        sig = isSNaNS(x) || isSNaNS(y);
        if (!aN && !bN) {
          a = sgl(x);
          b = sgl(y);
        }
      }
      let res = 0;
      if (aN || bN) {
        if (rm !== 2 || sig) ctx.fflags |= FLAG_NV;
      } else {
        res = (rm === 0 ? a <= b : rm === 1 ? a < b : a === b) ? 1 : 0;
      }
      writeX(ctx, rd, res, 0);
      return true;
    }
    case 0x18: { // FCVT.int.fmt
      const r = resolveRm(ctx, rm);
      if (r < 0 || rs2 > 3) return false;
      cvtToInt(ctx, isD, rs2, rd, rs1, r);
      return true;
    }
    case 0x1a: { // FCVT.fmt.int
      const r = resolveRm(ctx, rm);
      if (r < 0 || rs2 > 3) return false;
      cvtFromInt(ctx, isD, rs2, rd, rs1, r);
      return true;
    }
    case 0x1c: { // FMV.X.W/D (rm 0) / FCLASS (rm 1)
      if (rs2 !== 0 || rm > 1) return false;
      if (rm === 0) {
        if (isD) writeX(ctx, rd, ctx.fLo[rs1]!, ctx.fHi[rs1]!);
        else writeX(ctx, rd, ctx.fLo[rs1]!, ctx.fLo[rs1]! >> 31); // raw bits, no unboxing
        return true;
      }
      let c: number;
      if (isD) {
        const lo = ctx.fLo[rs1]!, hi = ctx.fHi[rs1]!;
        const e = hi & 0x7ff00000;
        c = classify(hi < 0, e === 0x7ff00000, e === 0, ((hi & 0xfffff) | lo) === 0, (hi & 0x80000) !== 0);
      } else {
        const b = readS(ctx, rs1);
        const e = b & 0x7f800000;
        c = classify(b < 0, e === 0x7f800000, e === 0, (b & 0x7fffff) === 0, (b & 0x400000) !== 0);
      }
      writeX(ctx, rd, c, 0);
      return true;
    }
    case 0x1e: { // FMV.W.X / FMV.D.X
      if (rs2 !== 0 || rm !== 0) return false;
      if (isD) {
        ctx.fLo[rd] = ctx.xLo[rs1]!;
        ctx.fHi[rd] = ctx.xHi[rs1]!;
      } else {
        writeS(ctx, rd, ctx.xLo[rs1]!);
      }
      return true;
    }
    default:
      return false;
  }
}
