/**
 * 128-bit content hash of a page: four independent 32-bit lanes (one per
 * word mod 4) with the MurmurHash3 round, then a cross-lane finaliser.
 * It is NOT collision resistant: a guest can build colliding pages on
 * purpose. Deduplication therefore always compares bytes before it trusts a
 * match (see docs/checkpoints.md); the hash only finds candidates.
 * Word order is the host's (little-endian on every supported host).
 */
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** Writes the hash of words[first, first+count) (count a multiple of 4) into out[0..3]. */
export function hashWords(words: Int32Array, first: number, count: number, out: Uint32Array): void {
  let h0 = 0x9747b28c, h1 = 0x85ebca6b, h2 = 0xc2b2ae35, h3 = 0x27d4eb2f;
  const end = first + count;
  for (let i = first; i < end; i += 4) {
    let k = Math.imul(words[i], C1); k = (k << 15) | (k >>> 17); h0 ^= Math.imul(k, C2);
    h0 = (h0 << 13) | (h0 >>> 19); h0 = (Math.imul(h0, 5) + 0xe6546b64) | 0;
    k = Math.imul(words[i + 1], C1); k = (k << 15) | (k >>> 17); h1 ^= Math.imul(k, C2);
    h1 = (h1 << 13) | (h1 >>> 19); h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    k = Math.imul(words[i + 2], C1); k = (k << 15) | (k >>> 17); h2 ^= Math.imul(k, C2);
    h2 = (h2 << 13) | (h2 >>> 19); h2 = (Math.imul(h2, 5) + 0xe6546b64) | 0;
    k = Math.imul(words[i + 3], C1); k = (k << 15) | (k >>> 17); h3 ^= Math.imul(k, C2);
    h3 = (h3 << 13) | (h3 >>> 19); h3 = (Math.imul(h3, 5) + 0xe6546b64) | 0;
  }
  h0 ^= count; h1 ^= count; h2 ^= count; h3 ^= count;
  h0 = (h0 + h1 + h2 + h3) | 0; h1 = (h1 + h0) | 0; h2 = (h2 + h0) | 0; h3 = (h3 + h0) | 0;
  h0 = fmix(h0); h1 = fmix(h1); h2 = fmix(h2); h3 = fmix(h3);
  h0 = (h0 + h1 + h2 + h3) | 0; h1 = (h1 + h0) | 0; h2 = (h2 + h0) | 0; h3 = (h3 + h0) | 0;
  out[0] = h0; out[1] = h1; out[2] = h2; out[3] = h3;
}

function fmix(h: number): number {
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Hash of a byte range; copies into `scratch` when the range is not 4-byte aligned. */
export function hashBytes(bytes: Uint8Array, offset: number, length: number, out: Uint32Array, scratch?: Int32Array): void {
  if (length % 16 !== 0) throw new RangeError('hashBytes: length must be a multiple of 16');
  const abs = bytes.byteOffset + offset;
  if (abs % 4 === 0) {
    hashWords(new Int32Array(bytes.buffer, abs, length >>> 2), 0, length >>> 2, out);
    return;
  }
  const s = scratch && scratch.length >= length >>> 2 ? scratch : new Int32Array(length >>> 2);
  new Uint8Array(s.buffer, s.byteOffset, length).set(bytes.subarray(offset, offset + length));
  hashWords(s, 0, length >>> 2, out);
}
