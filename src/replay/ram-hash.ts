/**
 * Guest RAM fingerprint: one 32-bit hash per region (1 MiB by default), so a
 * RAM mismatch can be narrowed to a region, and a combined hash of those.
 */
import type { GuestMemory } from '../machine/memory.js';
import { hashWords } from '../encoding/page-hash.js';
import { isZeroWords } from '../encoding/zero-page.js';

export const DEFAULT_REGION_SHIFT = 20;

export interface RamHash {
  readonly regionShift: number;
  readonly regions: Uint32Array;
  readonly hash: number;
}

const lanes = new Uint32Array(4);

export function combineRegions(regions: Uint32Array): number {
  const words = new Int32Array((regions.length + 3) & ~3);
  words.set(new Int32Array(regions.buffer, regions.byteOffset, regions.length));
  hashWords(words, 0, words.length, lanes);
  return lanes[0];
}

const zeroHashes = new Map<number, number>();
/** Hash of an all-zero region of `count` words (most of a guest's RAM is zero: testing is cheaper than hashing). */
function zeroHash(count: number): number {
  let h = zeroHashes.get(count);
  if (h === undefined) {
    hashWords(new Int32Array(count), 0, count, lanes);
    h = lanes[0];
    zeroHashes.set(count, h);
  }
  return h;
}

export function hashRam(ram: GuestMemory, regionShift = DEFAULT_REGION_SHIFT): RamHash {
  ram.ensureAll(); // a lazy restore may still be loading
  const regionWords = (1 << regionShift) >>> 2;
  const count = Math.ceil(ram.size / (1 << regionShift));
  const regions = new Uint32Array(count);
  const words = new Int32Array(ram.buffer, 0, ram.size >>> 2);
  for (let r = 0; r < count; r++) {
    const first = r * regionWords;
    const n = Math.min(regionWords, words.length - first);
    if (isZeroWords(words, first, n)) { regions[r] = zeroHash(n); continue; }
    hashWords(words, first, n, lanes);
    regions[r] = lanes[0];
  }
  return { regionShift, regions, hash: combineRegions(regions) };
}

/** Guest-physical start of the first region that differs, or -1. */
export function firstDifferingRegion(a: RamHash, b: RamHash, base: number): number {
  if (a.regionShift !== b.regionShift || a.regions.length !== b.regions.length) return base;
  for (let i = 0; i < a.regions.length; i++) if (a.regions[i] !== b.regions[i]) return base + i * (1 << a.regionShift);
  return -1;
}
