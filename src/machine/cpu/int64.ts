/**
 * 64-bit integer helpers on (hi, lo) pairs of int32. Results land in the
 * exported `r` scratch (r[0] = lo, r[1] = hi, r[2..3] upper product half)
 * so nothing allocates.
 */
export const r = new Int32Array(4);
const limbs = new Float64Array(8);

/** Unsigned 64x64 -> 128 product into r[0..3] (lo to hi). */
export function mulu128(aLo: number, aHi: number, bLo: number, bHi: number): void {
  const a0 = aLo & 0xffff, a1 = aLo >>> 16, a2 = aHi & 0xffff, a3 = aHi >>> 16;
  const b0 = bLo & 0xffff, b1 = bLo >>> 16, b2 = bHi & 0xffff, b3 = bHi >>> 16;
  // column sums of 16-bit partial products (each < 2^34, exact in doubles)
  limbs[0] = a0 * b0;
  limbs[1] = a0 * b1 + a1 * b0;
  limbs[2] = a0 * b2 + a1 * b1 + a2 * b0;
  limbs[3] = a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0;
  limbs[4] = a1 * b3 + a2 * b2 + a3 * b1;
  limbs[5] = a2 * b3 + a3 * b2;
  limbs[6] = a3 * b3;
  limbs[7] = 0;
  let carry = 0;
  for (let i = 0; i < 8; i += 2) {
    const c0 = limbs[i] + carry;
    const l0 = c0 % 65536;
    const c1 = limbs[i + 1] + (c0 - l0) / 65536;
    const l1 = c1 % 65536;
    carry = (c1 - l1) / 65536;
    r[i >> 1] = (l0 + l1 * 65536) | 0;
  }
}

/** Low 64 bits of a 64x64 product into r[0..1]. */
export function mul64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  const a0 = aLo & 0xffff, a1 = aLo >>> 16;
  const b0 = bLo & 0xffff, b1 = bLo >>> 16;
  const p0 = a0 * b0;
  const mid = a0 * b1 + a1 * b0 + Math.floor(p0 / 65536); // < 2^34
  const lo16 = p0 % 65536;
  const midLo = mid % 65536;
  r[0] = (lo16 + midLo * 65536) | 0;
  const carry = Math.floor(mid / 65536) + a1 * b1; // high word of aLo*bLo, < 2^33
  r[1] = (carry + Math.imul(aLo, bHi) + Math.imul(aHi, bLo)) | 0;
}

/** Signed high half of a 64x64 product (MULH) into r[1]:r[0] as the high 64 bits. */
export function mulh(aLo: number, aHi: number, bLo: number, bHi: number, aSigned: boolean, bSigned: boolean): void {
  mulu128(aLo, aHi, bLo, bHi);
  let hLo = r[2], hHi = r[3];
  // signed correction: high -= (a<0 ? b : 0) + (b<0 ? a : 0)
  if (aSigned && aHi < 0) {
    const s = (hLo >>> 0) - (bLo >>> 0);
    hHi = (hHi - bHi - (s < 0 ? 1 : 0)) | 0;
    hLo = s | 0;
  }
  if (bSigned && bHi < 0) {
    const s = (hLo >>> 0) - (aLo >>> 0);
    hHi = (hHi - aHi - (s < 0 ? 1 : 0)) | 0;
    hLo = s | 0;
  }
  r[0] = hLo;
  r[1] = hHi;
}

const TWO32 = 4294967296;

function toBig(lo: number, hi: number, signed: boolean): bigint {
  const v = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  return signed ? BigInt.asIntN(64, v) : v;
}

function fromBig(v: bigint): void {
  const u = BigInt.asUintN(64, v);
  r[0] = Number(u & 0xffffffffn) | 0;
  r[1] = Number(u >> 32n) | 0;
}

/** DIV/DIVU/REM/REMU per RISC-V (no traps: x/0 = -1 or all ones, x%0 = x, MIN/-1 = MIN, MIN%-1 = 0). */
export function div64(aLo: number, aHi: number, bLo: number, bHi: number, signed: boolean, rem: boolean): void {
  if (bLo === 0 && bHi === 0) {
    if (rem) { r[0] = aLo; r[1] = aHi; } else { r[0] = -1; r[1] = -1; }
    return;
  }
  if (signed) {
    if (bLo === -1 && bHi === -1 && aLo === 0 && aHi === (0x80000000 | 0)) {
      if (rem) { r[0] = 0; r[1] = 0; } else { r[0] = aLo; r[1] = aHi; }
      return;
    }
    // fast path: both within +-2^52
    if ((aHi >= -0x100000 && aHi < 0x100000) && (bHi >= -0x100000 && bHi < 0x100000)) {
      const a = aHi * TWO32 + (aLo >>> 0);
      const b = bHi * TWO32 + (bLo >>> 0);
      const q = Math.trunc(a / b);
      let res = rem ? a - q * b : q;
      // correct possible off-by-one from the rounded quotient
      if (!rem) {
        let rr = a - q * b;
        let qq = q;
        if (rr !== 0 && Math.sign(rr) !== Math.sign(a)) { qq += Math.sign(a) === Math.sign(b) ? -1 : 1; rr = a - qq * b; }
        if (Math.abs(rr) >= Math.abs(b)) { qq += Math.sign(a) === Math.sign(b) ? 1 : -1; }
        res = qq;
      } else {
        if (res !== 0 && Math.sign(res) !== Math.sign(a)) res += Math.sign(a) === Math.sign(b) ? b : -b;
        if (Math.abs(res) >= Math.abs(b)) res -= Math.sign(a) === Math.sign(b) ? b : -b;
      }
      setNum(res);
      return;
    }
  } else if (aHi >= 0 && aHi < 0x100000 && bHi >= 0 && bHi < 0x100000) {
    const a = aHi * TWO32 + (aLo >>> 0);
    const b = bHi * TWO32 + (bLo >>> 0);
    let q = Math.floor(a / b);
    let rr = a - q * b;
    if (rr < 0) { q -= 1; rr += b; } else if (rr >= b) { q += 1; rr -= b; }
    setNum(rem ? rr : q);
    return;
  }
  const a = toBig(aLo, aHi, signed);
  const b = toBig(bLo, bHi, signed);
  fromBig(rem ? a % b : a / b);
}

function setNum(v: number): void {
  const lo = v % TWO32;
  r[0] = lo | 0;
  r[1] = Math.floor(v / TWO32) | 0;
  if (lo < 0) { r[0] = (lo + TWO32) | 0; }
}
