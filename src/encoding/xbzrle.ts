import { CodecError } from './codec-error.js';

/**
 * XBZRLE page delta with QEMU's semantics (migration/xbzrle.c): the XOR of
 * old and new is cut into alternating runs; each element is
 *   ULEB128(zero-run length) ULEB128(non-zero-run length) <new bytes of that run>
 * The first zero run may be 0, later ones are >= 1; a trailing zero run is
 * omitted, so an unchanged page encodes to 0 bytes.
 */

/**
 * Encodes the change from old[oOff..+len) to cur[cOff..+len) into dst.
 * Returns the encoded length, or -1 as soon as it would exceed `limit`
 * (the caller then stores the page another way). Optional Int32Array views
 * over the same buffers (oOff, cOff multiples of 4) let runs advance a word
 * at a time; the output is identical either way.
 */
export function xbzrleEncode(
  old: Uint8Array, oOff: number, cur: Uint8Array, cOff: number, len: number,
  dst: Uint8Array, limit: number, oldWords?: Int32Array, curWords?: Int32Array,
): number {
  if (limit > dst.length) limit = dst.length;
  const words = oldWords !== undefined && curWords !== undefined && (oOff & 3) === 0 && (cOff & 3) === 0;
  const ow = oOff >> 2, cw = cOff >> 2;
  const wordEnd = len & ~3;
  let i = 0;
  let d = 0;
  while (i < len) {
    const zStart = i;
    if (words) {
      for (;;) {
        if ((i & 3) === 0 && i < wordEnd) {
          if ((oldWords as Int32Array)[ow + (i >> 2)] === (curWords as Int32Array)[cw + (i >> 2)]) { i += 4; continue; }
        }
        if (i >= len || old[oOff + i] !== cur[cOff + i]) break;
        i++;
      }
    } else {
      while (i < len && old[oOff + i] === cur[cOff + i]) i++;
    }
    if (i === len) break;
    const zrun = i - zStart;
    const nStart = i;
    if (words) {
      for (;;) {
        if ((i & 3) === 0 && i < wordEnd) {
          const x = (oldWords as Int32Array)[ow + (i >> 2)] ^ (curWords as Int32Array)[cw + (i >> 2)];
          // No byte of x is zero: all four bytes differ.
          if (((x - 0x01010101) & ~x & 0x80808080) === 0) { i += 4; if (i - nStart > limit) return -1; continue; }
        }
        if (i >= len || old[oOff + i] === cur[cOff + i]) break;
        i++;
      }
    } else {
      while (i < len && old[oOff + i] !== cur[cOff + i]) i++;
    }
    const nzrun = i - nStart;
    const need = ulebSize(zrun) + ulebSize(nzrun) + nzrun;
    if (d + need > limit) return -1;
    d = ulebWrite(dst, d, zrun);
    d = ulebWrite(dst, d, nzrun);
    copyBytes(cur, cOff + nStart, dst, d, nzrun);
    d += nzrun;
  }
  return d;
}

/**
 * Applies an encoded delta of `srcLen` bytes to page[pOff..+len) in place.
 * Throws CodecError on anything the encoder cannot produce.
 */
export function xbzrleDecode(src: Uint8Array, srcOff: number, srcLen: number, page: Uint8Array, pOff: number, len: number): void {
  const end = srcOff + srcLen;
  if (end > src.length) throw new CodecError('xbzrle', 'delta extends past its buffer');
  let d = srcOff;
  let i = 0;
  let first = true;
  while (d < end) {
    const zrun = ulebRead(src, d, end);
    d = ulebNext;
    if (zrun === 0 && !first) throw new CodecError('xbzrle', `empty zero run at delta offset ${d - srcOff}`);
    first = false;
    i += zrun;
    if (i > len) throw new CodecError('xbzrle', `zero run past end of page at delta offset ${d - srcOff}`);
    if (d >= end) throw new CodecError('xbzrle', 'delta truncated after a zero run');
    const nzrun = ulebRead(src, d, end);
    d = ulebNext;
    if (nzrun === 0) throw new CodecError('xbzrle', `empty non-zero run at delta offset ${d - srcOff}`);
    if (i + nzrun > len) throw new CodecError('xbzrle', `non-zero run past end of page at delta offset ${d - srcOff}`);
    if (d + nzrun > end) throw new CodecError('xbzrle', 'delta truncated inside a non-zero run');
    copyBytes(src, d, page, pOff + i, nzrun);
    d += nzrun;
    i += nzrun;
  }
}

/** Short runs are the common case: a loop beats creating a subarray view. */
function copyBytes(src: Uint8Array, s: number, dst: Uint8Array, d: number, n: number): void {
  if (n < 64) {
    for (let k = 0; k < n; k++) dst[d + k] = src[s + k];
  } else {
    dst.set(src.subarray(s, s + n), d);
  }
}

function ulebSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : 3;
}

function ulebWrite(dst: Uint8Array, d: number, v: number): number {
  while (v >= 0x80) {
    dst[d++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  dst[d++] = v;
  return d;
}

// Second return value of ulebRead, kept in a module variable to avoid allocating a tuple.
let ulebNext = 0;

/** Reads a ULEB128 of at most 3 bytes (runs never exceed a page). */
function ulebRead(src: Uint8Array, d: number, end: number): number {
  let v = 0;
  for (let shift = 0; shift < 21; shift += 7) {
    if (d >= end) throw new CodecError('xbzrle', 'truncated ULEB128');
    const b = src[d++];
    v |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) {
      ulebNext = d;
      return v;
    }
  }
  throw new CodecError('xbzrle', 'ULEB128 longer than 3 bytes');
}
