/** CRC-32 (IEEE, as zlib) with slicing-by-4; the integrity check of every stored record. */
const T = new Int32Array(4 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  T[n] = c;
}
for (let n = 0; n < 256; n++) {
  T[256 + n] = (T[n] >>> 8) ^ T[T[n] & 0xff];
  T[512 + n] = (T[256 + n] >>> 8) ^ T[T[256 + n] & 0xff];
  T[768 + n] = (T[512 + n] >>> 8) ^ T[T[512 + n] & 0xff];
}

export function crc32(data: Uint8Array, start = 0, end = data.length, seed = 0): number {
  let c = ~seed;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    c ^= data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    c = T[768 + (c & 0xff)] ^ T[512 + ((c >>> 8) & 0xff)] ^ T[256 + ((c >>> 16) & 0xff)] ^ T[c >>> 24];
  }
  for (; i < end; i++) c = T[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
