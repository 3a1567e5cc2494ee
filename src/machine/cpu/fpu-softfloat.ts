/**
 * Exact IEEE-754 binary32/binary64 arithmetic on BigInt bit patterns, with RISC-V conventions:
 * canonical NaN results, tininess detected after rounding, RMM rounding mode.
 * This is the slow path of the FPU: every operation computes the exact result (BigInt is
 * unbounded) and rounds once, so it is simple to trust; the FPU only comes here for
 * inexact results under non-default rounding, special operands, over/underflow and
 * fused multiply-adds the fast path cannot prove.
 */

export const FLAG_NV = 16;
export const FLAG_DZ = 8;
export const FLAG_OF = 4;
export const FLAG_UF = 2;
export const FLAG_NX = 1;

export const RM_RNE = 0;
export const RM_RTZ = 1;
export const RM_RDN = 2;
export const RM_RUP = 3;
export const RM_RMM = 4;

export interface FloatFormat {
  readonly p: number; // precision including the hidden bit
  readonly emin: number;
  readonly emax: number;
  readonly bias: number;
  readonly expMask: bigint; // exponent field mask (unshifted)
  readonly fracMask: bigint;
  readonly signBit: bigint;
  readonly canonicalNaN: bigint;
  readonly quietBit: bigint;
  readonly pBig: bigint; // p - 1 as bigint: shift of the exponent field
}

function makeFormat(expBits: number, p: number): FloatFormat {
  const bias = (1 << (expBits - 1)) - 1;
  const pBig = BigInt(p - 1);
  return {
    p,
    emin: 1 - bias,
    emax: bias,
    bias,
    expMask: (1n << BigInt(expBits)) - 1n,
    fracMask: (1n << pBig) - 1n,
    signBit: 1n << BigInt(expBits + p - 1),
    canonicalNaN: (((1n << BigInt(expBits)) - 1n) << pBig) | (1n << (pBig - 1n)),
    quietBit: 1n << (pBig - 1n),
    pBig,
  };
}

export const F32: FloatFormat = makeFormat(8, 24);
export const F64: FloatFormat = makeFormat(11, 53);

/** Accrued flags of slow-path operations; the caller clears and collects them. */
export const sfStatus = { flags: 0 };

const enum Cls { Zero, Finite, Inf, QNaN, SNaN }

/** An unpacked operand: value = (-1)^sign * m * 2^e for Finite. */
interface Unpacked {
  cls: Cls;
  sign: number;
  m: bigint;
  e: number;
}

function unpack(F: FloatFormat, bits: bigint): Unpacked {
  const sign = (bits & F.signBit) !== 0n ? 1 : 0;
  const ef = Number((bits >> F.pBig) & F.expMask);
  const f = bits & F.fracMask;
  if (ef === Number(F.expMask)) {
    if (f === 0n) return { cls: Cls.Inf, sign, m: 0n, e: 0 };
    return { cls: (f & F.quietBit) !== 0n ? Cls.QNaN : Cls.SNaN, sign, m: 0n, e: 0 };
  }
  if (ef === 0) {
    if (f === 0n) return { cls: Cls.Zero, sign, m: 0n, e: 0 };
    return { cls: Cls.Finite, sign, m: f, e: F.emin - (F.p - 1) };
  }
  return { cls: Cls.Finite, sign, m: f | (1n << F.pBig), e: ef - F.bias - (F.p - 1) };
}

function isNaN_(u: Unpacked): boolean {
  return u.cls === Cls.QNaN || u.cls === Cls.SNaN;
}

function zero(F: FloatFormat, sign: number): bigint {
  return sign ? F.signBit : 0n;
}

function inf(F: FloatFormat, sign: number): bigint {
  return (sign ? F.signBit : 0n) | (F.expMask << F.pBig);
}

export function bitLength(m: bigint): number {
  if (m <= 0xffffffffn) return 32 - Math.clz32(Number(m));
  const h = m.toString(16);
  return (h.length - 1) * 4 + 32 - Math.clz32(parseInt(h[0]!, 16));
}

let roundInexact = false;

/** Rounds m / 2^shift (shift >= 1) to an integer per rm; sticky says nonzero bits lie below m. */
function roundShift(m: bigint, shift: number, sticky: boolean, sign: number, rm: number): bigint {
  const s = BigInt(shift);
  let q = m >> s;
  const rem = m & ((1n << s) - 1n);
  const half = 1n << (s - 1n);
  const inexact = rem !== 0n || sticky;
  roundInexact = inexact;
  if (!inexact) return q;
  let up: boolean;
  switch (rm) {
    case RM_RNE: up = rem > half || (rem === half && (sticky || (q & 1n) === 1n)); break;
    case RM_RTZ: up = false; break;
    case RM_RDN: up = sign === 1; break;
    case RM_RUP: up = sign === 0; break;
    default: up = rem >= half; break; // RMM
  }
  if (up) q += 1n;
  return q;
}

/**
 * Rounds (-1)^sign * (m + sticky*epsilon) * 2^e to format F, raising NX/UF/OF.
 * m must be nonzero or sticky set. Tininess is detected after rounding.
 */
export function roundPack(F: FloatFormat, sign: number, m: bigint, e: number, sticky: boolean, rm: number): bigint {
  let nb = bitLength(m);
  if (nb < F.p + 2) {
    // guard bits below the result's lsb so roundShift always has shift >= 2
    const k = F.p + 2 - nb;
    m <<= BigInt(k);
    e -= k;
    nb += k;
  }
  const E = e + nb - 1; // value lies in [2^E, 2^(E+1))
  let lsb = E - (F.p - 1);
  let tiny = false;
  if (E < F.emin) {
    tiny = true;
    if (E === F.emin - 1) {
      // tiny unless rounding with unbounded exponent reaches 2^emin
      const ru = roundShift(m, lsb - e, sticky, sign, rm);
      if (ru >> BigInt(F.p) !== 0n) tiny = false;
    }
    lsb = F.emin - (F.p - 1);
  }
  let q = roundShift(m, lsb - e, sticky, sign, rm);
  const inexact = roundInexact;
  let flags = inexact ? FLAG_NX : 0;
  if (tiny && inexact) flags |= FLAG_UF;
  if (q === 0n) {
    sfStatus.flags |= flags;
    return zero(F, sign);
  }
  if (q >> BigInt(F.p) !== 0n) {
    q >>= 1n;
    lsb += 1;
  }
  const sb = sign ? F.signBit : 0n;
  if (q >> F.pBig === 0n) {
    // subnormal: biased exponent 0
    sfStatus.flags |= flags;
    return sb | q;
  }
  const exp = lsb + (F.p - 1);
  if (exp > F.emax) {
    sfStatus.flags |= FLAG_OF | FLAG_NX;
    const toInf = rm === RM_RNE || rm === RM_RMM || (rm === RM_RDN && sign === 1) || (rm === RM_RUP && sign === 0);
    if (toInf) return inf(F, sign);
    return sb | (((F.expMask - 1n) << F.pBig) | F.fracMask);
  }
  sfStatus.flags |= flags;
  return sb | (BigInt(exp + F.bias) << F.pBig) | (q & F.fracMask);
}

function nanResult(F: FloatFormat, ...ops: Unpacked[]): bigint {
  for (const u of ops) if (u.cls === Cls.SNaN) sfStatus.flags |= FLAG_NV;
  return F.canonicalNaN;
}

/** Exact sum of two finite/zero operands, rounded; handles the sign of an exact zero. */
function addExact(F: FloatFormat, sa: number, ma: bigint, ea: number, sb: number, mb: bigint, eb: number, rm: number): bigint {
  if (ma === 0n && mb === 0n) return zero(F, sa === sb ? sa : rm === RM_RDN ? 1 : 0);
  if (ma === 0n) return roundPack(F, sb, mb, eb, false, rm);
  if (mb === 0n) return roundPack(F, sa, ma, ea, false, rm);
  const e = Math.min(ea, eb);
  const va = (sa ? -ma : ma) << BigInt(ea - e);
  const vb = (sb ? -mb : mb) << BigInt(eb - e);
  const s = va + vb;
  if (s === 0n) return zero(F, rm === RM_RDN ? 1 : 0);
  return s < 0n ? roundPack(F, 1, -s, e, false, rm) : roundPack(F, 0, s, e, false, rm);
}

export function sfAdd(F: FloatFormat, a: bigint, b: bigint, rm: number): bigint {
  const x = unpack(F, a);
  const y = unpack(F, b);
  if (isNaN_(x) || isNaN_(y)) return nanResult(F, x, y);
  if (x.cls === Cls.Inf || y.cls === Cls.Inf) {
    if (x.cls === Cls.Inf && y.cls === Cls.Inf && x.sign !== y.sign) {
      sfStatus.flags |= FLAG_NV;
      return F.canonicalNaN;
    }
    return inf(F, x.cls === Cls.Inf ? x.sign : y.sign);
  }
  return addExact(F, x.sign, x.m, x.e, y.sign, y.m, y.e, rm);
}

export function sfMul(F: FloatFormat, a: bigint, b: bigint, rm: number): bigint {
  const x = unpack(F, a);
  const y = unpack(F, b);
  if (isNaN_(x) || isNaN_(y)) return nanResult(F, x, y);
  const sign = x.sign ^ y.sign;
  if (x.cls === Cls.Inf || y.cls === Cls.Inf) {
    if (x.cls === Cls.Zero || y.cls === Cls.Zero) {
      sfStatus.flags |= FLAG_NV;
      return F.canonicalNaN;
    }
    return inf(F, sign);
  }
  if (x.cls === Cls.Zero || y.cls === Cls.Zero) return zero(F, sign);
  return roundPack(F, sign, x.m * y.m, x.e + y.e, false, rm);
}

export function sfDiv(F: FloatFormat, a: bigint, b: bigint, rm: number): bigint {
  const x = unpack(F, a);
  const y = unpack(F, b);
  if (isNaN_(x) || isNaN_(y)) return nanResult(F, x, y);
  const sign = x.sign ^ y.sign;
  if (x.cls === Cls.Inf) {
    if (y.cls === Cls.Inf) {
      sfStatus.flags |= FLAG_NV;
      return F.canonicalNaN;
    }
    return inf(F, sign);
  }
  if (y.cls === Cls.Inf) return zero(F, sign);
  if (y.cls === Cls.Zero) {
    if (x.cls === Cls.Zero) {
      sfStatus.flags |= FLAG_NV;
      return F.canonicalNaN;
    }
    sfStatus.flags |= FLAG_DZ;
    return inf(F, sign);
  }
  if (x.cls === Cls.Zero) return zero(F, sign);
  // quotient with at least p+2 significant bits; the remainder only matters as sticky
  const k = Math.max(0, F.p + 3 + bitLength(y.m) - bitLength(x.m));
  const n = x.m << BigInt(k);
  const q = n / y.m;
  const sticky = q * y.m !== n;
  return roundPack(F, sign, q, x.e - y.e - k, sticky, rm);
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt((bitLength(n) + 1) >> 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

export function sfSqrt(F: FloatFormat, a: bigint, rm: number): bigint {
  const x = unpack(F, a);
  if (isNaN_(x)) return nanResult(F, x);
  if (x.cls === Cls.Zero) return zero(F, x.sign);
  if (x.sign) {
    sfStatus.flags |= FLAG_NV;
    return F.canonicalNaN;
  }
  if (x.cls === Cls.Inf) return inf(F, 0);
  let m = x.m;
  let e = x.e;
  if (e & 1) {
    m <<= 1n;
    e -= 1;
  }
  const need = 2 * (F.p + 3) - bitLength(m);
  const k = need > 0 ? (need + 1) >> 1 : 0;
  m <<= BigInt(2 * k);
  e -= 2 * k;
  const r = isqrt(m);
  return roundPack(F, 0, r, e / 2, r * r !== m, rm);
}

/** a*b + c with one rounding; callers negate operands (sign bit flips) for FMSUB/FNMSUB/FNMADD. */
export function sfFma(F: FloatFormat, a: bigint, b: bigint, c: bigint, rm: number): bigint {
  const x = unpack(F, a);
  const y = unpack(F, b);
  const z = unpack(F, c);
  const infTimesZero = (x.cls === Cls.Inf && y.cls === Cls.Zero) || (x.cls === Cls.Zero && y.cls === Cls.Inf);
  if (isNaN_(x) || isNaN_(y) || isNaN_(z)) {
    // RISC-V: inf*0 signals invalid even when the addend is a quiet NaN
    if (infTimesZero) sfStatus.flags |= FLAG_NV;
    return nanResult(F, x, y, z);
  }
  if (infTimesZero) {
    sfStatus.flags |= FLAG_NV;
    return F.canonicalNaN;
  }
  const ps = x.sign ^ y.sign;
  if (x.cls === Cls.Inf || y.cls === Cls.Inf) {
    if (z.cls === Cls.Inf && z.sign !== ps) {
      sfStatus.flags |= FLAG_NV;
      return F.canonicalNaN;
    }
    return inf(F, ps);
  }
  if (z.cls === Cls.Inf) return inf(F, z.sign);
  const pm = x.cls === Cls.Zero || y.cls === Cls.Zero ? 0n : x.m * y.m;
  return addExact(F, ps, pm, x.e + y.e, z.sign, z.m, z.e, rm);
}

/** Converts between formats (S<->D) with rounding. */
export function sfConvert(D: FloatFormat, S: FloatFormat, a: bigint, rm: number): bigint {
  const x = unpack(S, a);
  if (isNaN_(x)) return nanResult(D, x);
  if (x.cls === Cls.Inf) return inf(D, x.sign);
  if (x.cls === Cls.Zero) return zero(D, x.sign);
  return roundPack(D, x.sign, x.m, x.e, false, rm);
}

/** Signed integer value (any size) to format F. */
export function sfFromInt(F: FloatFormat, v: bigint, rm: number): bigint {
  if (v === 0n) return 0n;
  return v < 0n ? roundPack(F, 1, -v, 0, false, rm) : roundPack(F, 0, v, 0, false, rm);
}

/**
 * Float to integer in [lo, hi] with rounding per rm: out of range or NaN gives NV and the
 * saturated value (NaN saturates to hi), otherwise NX when inexact.
 */
export function sfToInt(F: FloatFormat, a: bigint, rm: number, lo: bigint, hi: bigint): bigint {
  const x = unpack(F, a);
  if (isNaN_(x)) {
    sfStatus.flags |= FLAG_NV;
    return hi;
  }
  if (x.cls === Cls.Inf) {
    sfStatus.flags |= FLAG_NV;
    return x.sign ? lo : hi;
  }
  if (x.cls === Cls.Zero) return 0n;
  let mag: bigint;
  let inexact = false;
  if (x.e >= 0) {
    // huge values: cap the shift, the result is out of range anyway
    mag = x.m << BigInt(Math.min(x.e, 80));
  } else {
    mag = roundShift(x.m, -x.e, false, x.sign, rm);
    inexact = roundInexact;
  }
  const v = x.sign ? -mag : mag;
  if (v < lo || v > hi) {
    sfStatus.flags |= FLAG_NV;
    return x.sign ? lo : hi;
  }
  if (inexact) sfStatus.flags |= FLAG_NX;
  return v;
}
