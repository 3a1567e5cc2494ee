import { PAGE_SIZE } from '../machine/memory.js';

/**
 * Finds a stored page similar to a new one (Difference Engine style): a page
 * is summarised by SAMPLES fingerprints, each the hash of 32 bytes at a fixed
 * offset; stored full chunks are entered under each fingerprint in a
 * direct-mapped table (a newer entry overwrites an older one), so memory is
 * fixed: 8 bytes per slot. Candidates are only hints: the pipeline encodes the
 * page against the candidate's decoded bytes and keeps the delta only if it
 * is small, so a wrong candidate costs time, never correctness.
 * Samples that are all zero are skipped (every sparse page would match).
 */
export const SAMPLES = 8;
const SAMPLE_WORDS = 8;
const STRIDE_WORDS = PAGE_SIZE / 4 / SAMPLES;
const SAMPLE_AT = 40; // words into each stride: away from page-start headers

export class SimilarityIndex {
  private readonly ids: Uint32Array;
  private readonly tags: Int32Array;
  private readonly mask: number;
  private readonly fp = new Int32Array(SAMPLES);
  private readonly votes = new Uint32Array(SAMPLES);
  private readonly cand = new Uint32Array(SAMPLES);

  constructor(slots = 1 << 16) {
    if (slots < 1 || (slots & (slots - 1)) !== 0) throw new Error(`similarity index slots must be a power of two (got ${slots})`);
    this.ids = new Uint32Array(slots);
    this.tags = new Int32Array(slots);
    this.mask = slots - 1;
  }

  /** Bytes of index memory (fixed at construction). */
  get bytes(): number {
    return this.ids.byteLength + this.tags.byteLength;
  }

  clear(): void {
    this.ids.fill(0);
    this.tags.fill(0);
  }

  /** Fingerprints of the page at words[wOff..]; 0 marks a skipped (all-zero) sample. */
  private fingerprints(words: Int32Array, wOff: number): Int32Array {
    const fp = this.fp;
    for (let k = 0; k < SAMPLES; k++) {
      const s = wOff + k * STRIDE_WORDS + SAMPLE_AT;
      let h = 0x2545f491 + k, any = 0;
      for (let i = 0; i < SAMPLE_WORDS; i++) {
        const w = words[s + i];
        any |= w;
        h = Math.imul(h ^ w, 0x9e3779b1);
        h ^= h >>> 15;
      }
      fp[k] = any === 0 ? 0 : (h | 1);
    }
    return fp;
  }

  /** Enters full chunk `id` holding the page at words[wOff..]. */
  insert(words: Int32Array, wOff: number, id: number): void {
    const fp = this.fingerprints(words, wOff);
    for (let k = 0; k < SAMPLES; k++) {
      const f = fp[k];
      if (f === 0) continue;
      const slot = (f ^ (f >>> 16)) & this.mask;
      this.ids[slot] = id;
      this.tags[slot] = f;
    }
  }

  /** The chunk sharing the most fingerprints with the page (at least `minVotes`), other than `exclude`, or 0. */
  lookup(words: Int32Array, wOff: number, exclude = 0, minVotes = 1): number {
    const fp = this.fingerprints(words, wOff);
    let n = 0;
    for (let k = 0; k < SAMPLES; k++) {
      const f = fp[k];
      if (f === 0) continue;
      const slot = (f ^ (f >>> 16)) & this.mask;
      if (this.tags[slot] !== f) continue;
      const id = this.ids[slot];
      if (id === 0 || id === exclude) continue;
      let j = 0;
      while (j < n && this.cand[j] !== id) j++;
      if (j === n) { this.cand[n] = id; this.votes[n] = 0; n++; }
      this.votes[j]++;
    }
    let best = 0, bestVotes = minVotes - 1;
    for (let j = 0; j < n; j++) if (this.votes[j] > bestVotes) { best = this.cand[j]; bestVotes = this.votes[j]; }
    return best;
  }
}
