/**
 * Narrow accesses to 32-bit device registers: the bus hands devices 1-, 2- or
 * 4-byte accesses at any offset, while the registers are 32-bit words.
 */
import type { AccessSize } from '../bus.js';

/** The `size` bytes at byte `lane` (0..3) of a little-endian 32-bit word. */
export function extractSub(word: number, lane: number, size: AccessSize): number {
  if (size === 4) return word >>> 0;
  const v = word >>> (lane * 8);
  return size === 1 ? v & 0xff : v & 0xffff;
}

/** `word` with the `size` bytes at byte `lane` replaced by `value`. */
export function mergeSub(word: number, lane: number, size: AccessSize, value: number): number {
  if (size === 4) return value >>> 0;
  const shift = lane * 8;
  const mask = (size === 1 ? 0xff : 0xffff) << shift;
  return ((word & ~mask) | ((value << shift) & mask)) >>> 0;
}
