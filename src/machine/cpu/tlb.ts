/**
 * Software TLB geometry, shared by the hart and every code generator.
 *
 * Three direct-mapped TLBs (fetch, load, store), TLB_SIZE entries each, as
 * parallel Int32Arrays. Entry i = (va >>> 12) & TLB_MASK holds:
 *   lo   (va >>> 12) | key      key: the access key (privilege, SUM, MXR) << TLB_KEY_SHIFT
 *   hi   va bits 63..32
 *   off  RAM offset of the page (a multiple of 4096), or -1: not RAM (MMIO),
 *        or, in the store TLB, a page that must take the slow path (its
 *        code is watched); such entries only serve the slow path's lookup.
 * An empty entry has lo = -1 (never a valid tag: keys stay below bit 31).
 *
 * An access at (vaLo, vaHi) of at most 8 bytes hits the fast path when
 *   lo[i] === ((vaLo >>> 12) | key) && hi[i] === vaHi && off[i] >= 0 && (vaLo & 0xfff) <= TLB_FAST_MAX_OFFSET
 * and then touches RAM bytes off[i] + (vaLo & 0xfff) onward (little-endian).
 * The data key passed to generated code may have TLB_SLOW_DATA set, which
 * makes every data access miss (memory instrumentation hooks).
 */
export const PAGE_BITS = 12;
export const TLB_BITS = 10;
export const TLB_SIZE = 1 << TLB_BITS;
export const TLB_MASK = TLB_SIZE - 1;
/** The access key sits above the 20 bits of (va >>> 12). */
export const TLB_KEY_SHIFT = 20;
/** ORed into the data key to force every load and store onto the slow path. */
export const TLB_SLOW_DATA = 1 << 30;
/** Largest page offset at which an access of up to 8 bytes stays inside the page. */
export const TLB_FAST_MAX_OFFSET = 0xff8;

/** The TLB arrays of one hart (read by generated code; filled only by the hart's slow paths). */
export interface TlbArrays {
  readonly itLo: Int32Array; readonly itHi: Int32Array; readonly itOff: Int32Array;
  readonly rtLo: Int32Array; readonly rtHi: Int32Array; readonly rtOff: Int32Array;
  readonly wtLo: Int32Array; readonly wtHi: Int32Array; readonly wtOff: Int32Array;
}
