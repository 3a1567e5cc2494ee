/**
 * Decoded instructions cached per physical RAM page (see decoded.ts for the
 * slot layout). Slots are decoded lazily, on first execution. A page with a
 * decoded slot is registered in the RAM's code watch, so every write to it
 * (CPU store slow path, AMO, page-table A/D update, DMA) drops the page;
 * the CPU's store TLB never maps watched pages, so such stores cannot take
 * the fast path. Dropped arrays are zeroed and reused (no allocation in
 * steady state).
 *
 * With a `DecodedArea` (the wasm engine), page arrays are views into a code
 * area of the WebAssembly memory and `area.table[page]` holds the byte
 * address of the page's array (0: not decoded, or decoded into a JavaScript
 * array because the area is full), so the wasm interpreter
 * (wasm/interpreter.ts) reads decoded slots in place.
 */
import type { GuestMemory } from '../memory.js';
import { DECODED_PAGE_WORDS, endsBlock, Op, slotIndex } from './decoded.js';
import { decodeInto } from './decoder.js';

/** Shared all-zero page: every slot reads UNDECODED. Never written. */
const EMPTY = new Int32Array(DECODED_PAGE_WORDS);

/** Slots decoded ahead of an executed one along its straight-line run (wasm engines). */
const AHEAD = 32;

/** Decoded pages in wasm memory: `count` page arrays from byte `first` of `buffer`, and the page -> address table. */
export interface DecodedArea {
  readonly buffer: SharedArrayBuffer;
  readonly first: number;
  readonly count: number;
  /** Byte address of each RAM page's decoded array in `buffer` (0: none there). */
  readonly table: Int32Array;
}

export class CodeCache {
  /** Decoded page per RAM page (EMPTY: nothing decoded). Engines index it by RAM offset >>> 12. */
  readonly pages: Int32Array[];
  private readonly live = new Set<number>();
  /** Dropped pages' arrays for reuse (made with an element, so its elements kind never changes under the hart's optimized loop: that deoptimized it). */
  private readonly pool: Int32Array[] = [EMPTY];
  private readonly u16: Uint16Array;

  /** Page arrays of the area handed out so far. */
  private areaUsed = 0;

  constructor(private readonly ram: GuestMemory, private readonly area: DecodedArea | null = null) {
    this.pages = new Array<Int32Array>(ram.pages).fill(EMPTY);
    this.u16 = ram.u16;
    this.pool.pop(); // empty, but with object elements from the start
  }

  /**
   * Decodes the slot at RAM offset `off` (its instruction must lie within the
   * page; the caller handles one crossing the page end) and returns its page.
   */
  decode(off: number): Int32Array {
    const page = off >>> 12;
    let w = this.pages[page];
    if (w === EMPTY) {
      w = this.pool.pop() ?? this.fresh();
      this.pages[page] = w;
      if (this.area !== null && w.buffer === this.area.buffer) this.area.table[page] = w.byteOffset;
      this.live.add(page);
      this.ram.watchCode(page);
    }
    const p = this.u16[off >> 1];
    let len = decodeInto(w, slotIndex(off & 0xfff), p, (p | (this.u16[(off >> 1) + 1] << 16)) | 0);
    if (this.area !== null) {
      // the wasm interpreter leaves to JavaScript at every undecoded slot: decode the rest of the
      // straight-line run too (pure: decoding has no side effects, and writes drop the page as before)
      let o = off, b = slotIndex(off & 0xfff);
      for (let k = 0; k < AHEAD && !endsBlock(w[b] & 0xff); k++) {
        o += len;
        const po = o & 0xfff;
        if (po === 0) break;
        const q = this.u16[o >> 1];
        if (po === 0xffe && (q & 3) === 3) break; // crosses the page end: never cached
        b = slotIndex(po);
        if (w[b] !== 0) break;
        len = decodeInto(w, b, q, (q | (this.u16[(o >> 1) + 1] << 16)) | 0);
      }
    }
    return w;
  }

  /** A new page array: the next one of the area, or a JavaScript array once it is used up. */
  private fresh(): Int32Array {
    const a = this.area;
    if (a === null || this.areaUsed === a.count) return new Int32Array(DECODED_PAGE_WORDS);
    return new Int32Array(a.buffer, a.first + 4 * DECODED_PAGE_WORDS * this.areaUsed++, DECODED_PAGE_WORDS);
  }

  /** True when `page` has decoded slots. */
  has(page: number): boolean {
    return this.pages[page] !== EMPTY;
  }

  /** Drops the decoded slots of `page` (its contents changed). */
  invalidate(page: number): void {
    const w = this.pages[page];
    if (w === EMPTY) return;
    this.pages[page] = EMPTY;
    if (this.area !== null) this.area.table[page] = 0;
    w.fill(0);
    this.pool.push(w);
    this.live.delete(page);
  }

  /** Drops everything (RAM replaced wholesale). */
  invalidateAll(): void {
    for (const page of this.live) {
      const w = this.pages[page];
      this.pages[page] = EMPTY;
      if (this.area !== null) this.area.table[page] = 0;
      w.fill(0);
      this.pool.push(w);
    }
    this.live.clear();
  }

  /** Number of pages with decoded slots (statistics, tests). */
  get pageCount(): number {
    return this.live.size;
  }
}

/** Op of the slot at page offset `pageOff` of decoded page `w` (UNDECODED when not decoded). */
export const slotOp = (w: Int32Array, pageOff: number): Op => (w[slotIndex(pageOff)] & 0xff) as Op;
