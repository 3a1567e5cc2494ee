/**
 * Zero-page test on 32-bit words with early exit. The caller passes an
 * Int32Array view over the whole RAM so no view is created per page.
 */
export function isZeroWords(words: Int32Array, firstWord: number, wordCount: number): boolean {
  const end = firstWord + wordCount;
  // Four words per step: fewer branches, still exits within 16 bytes of the first non-zero.
  for (let i = firstWord; i < end; i += 4) {
    if ((words[i] | words[i + 1] | words[i + 2] | words[i + 3]) !== 0) return false;
  }
  return true;
}

/** Byte fallback for unaligned views (tests, odd buffers). */
export function isZeroBytes(bytes: Uint8Array, offset: number, length: number): boolean {
  for (let i = offset, end = offset + length; i < end; i++) if (bytes[i] !== 0) return false;
  return true;
}
