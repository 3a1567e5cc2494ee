import { PAGE_SIZE } from '../machine/memory.js';
import { sharedBytes } from './shared-bytes.js';

/**
 * Address-indexed LRU cache of reference pages for XBZRLE (QEMU keeps one of
 * 64 MiB by default). Each slot holds the bytes of a page as stored in a
 * full chunk (`chunk`), so a delta can name its base. Fixed arrays: no
 * allocation after construction.
 */
export class XbzrleCache {
  readonly capacity: number;
  readonly data: Uint8Array;
  /** Word view of `data` for the XBZRLE encoder's fast path. */
  readonly words: Int32Array;
  private readonly pageSlot: Int32Array;
  private readonly slotPage: Int32Array;
  private readonly slotChunk: Float64Array;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private head = -1; // most recently used
  private tail = -1; // least recently used
  private used = 0;
  evictions = 0;

  constructor(readonly pageCount: number, cacheBytes: number) {
    this.capacity = Math.max(0, Math.floor(cacheBytes / PAGE_SIZE));
    // shared: page workers read reference pages straight from here (page-job-channel.ts)
    this.data = new Uint8Array(sharedBytes(this.capacity * PAGE_SIZE));
    this.words = new Int32Array(this.data.buffer);
    this.pageSlot = new Int32Array(pageCount).fill(-1);
    this.slotPage = new Int32Array(this.capacity).fill(-1);
    this.slotChunk = new Float64Array(this.capacity);
    this.prev = new Int32Array(this.capacity).fill(-1);
    this.next = new Int32Array(this.capacity).fill(-1);
  }

  get size(): number {
    return this.used;
  }

  /** Slot holding `page`, marked most recently used, or -1. */
  lookup(page: number): number {
    const s = this.pageSlot[page];
    if (s >= 0) this.touch(s);
    return s;
  }

  chunkOf(slot: number): number {
    return this.slotChunk[slot];
  }

  offsetOf(slot: number): number {
    return slot * PAGE_SIZE;
  }

  /** Stores src[off..+PAGE_SIZE) as the reference for `page` (chunk `chunk`), evicting the LRU page if full. */
  insert(page: number, src: Uint8Array, off: number, chunk: number): void {
    if (this.capacity === 0) return;
    let s = this.pageSlot[page];
    if (s < 0) {
      if (this.used < this.capacity) {
        s = this.used++;
      } else {
        s = this.tail;
        this.unlink(s);
        this.pageSlot[this.slotPage[s]] = -1;
        this.evictions++;
      }
      this.slotPage[s] = page;
      this.pageSlot[page] = s;
      this.linkHead(s);
    } else {
      this.touch(s);
    }
    this.slotChunk[s] = chunk;
    this.data.set(src.subarray(off, off + PAGE_SIZE), s * PAGE_SIZE);
  }

  /** Forgets `page` (e.g. its base chunk no longer exists). */
  drop(page: number): void {
    const s = this.pageSlot[page];
    if (s < 0) return;
    this.unlink(s);
    this.pageSlot[page] = -1;
    // Move the last used slot into the hole so slots stay dense.
    const last = --this.used;
    if (s !== last) {
      const p = this.slotPage[last];
      this.data.copyWithin(s * PAGE_SIZE, last * PAGE_SIZE, (last + 1) * PAGE_SIZE);
      this.slotChunk[s] = this.slotChunk[last];
      this.slotPage[s] = p;
      this.pageSlot[p] = s;
      const pv = this.prev[last], nx = this.next[last];
      this.prev[s] = pv; this.next[s] = nx;
      if (pv >= 0) this.next[pv] = s; else this.head = s;
      if (nx >= 0) this.prev[nx] = s; else this.tail = s;
    }
    this.slotPage[last] = -1;
    this.prev[last] = this.next[last] = -1;
  }

  clear(): void {
    this.pageSlot.fill(-1);
    this.slotPage.fill(-1);
    this.prev.fill(-1);
    this.next.fill(-1);
    this.head = this.tail = -1;
    this.used = 0;
  }

  private touch(s: number): void {
    if (this.head === s) return;
    this.unlink(s);
    this.linkHead(s);
  }

  private unlink(s: number): void {
    const p = this.prev[s], n = this.next[s];
    if (p >= 0) this.next[p] = n; else this.head = n;
    if (n >= 0) this.prev[n] = p; else this.tail = p;
    this.prev[s] = this.next[s] = -1;
  }

  private linkHead(s: number): void {
    this.prev[s] = -1;
    this.next[s] = this.head;
    if (this.head >= 0) this.prev[this.head] = s;
    this.head = s;
    if (this.tail < 0) this.tail = s;
  }
}
