/**
 * Guest RAM: one SharedArrayBuffer (shareable with worker threads without a
 * copy, though no worker reads it yet), a
 * dirty-page log and a write-protect map. Pages are 4 KiB. The CPU marks a
 * page dirty when it creates a writable translation for it; device DMA marks
 * pages before it writes them.
 *
 * Write protection is the hook copy-on-write capture needs (the machine knows
 * nothing of checkpoints): the first write to a protected page, from any path
 * (CPU store-TLB fill, slow-path store, AMO, page-table A/D update, DMA),
 * first calls `onProtectedWrite(page)` with the page still unchanged, and the
 * page is unprotected. Protecting drops the CPU's writable translations, so a
 * protected page is never reachable through the store fast path.
 *
 * Absent pages are the hook lazy (post-copy) restore needs: a page marked
 * absent has no contents yet; the first access of any kind (instruction
 * fetch, load or store TLB fill, page-table walk, DMA read or write) first
 * calls `onAbsentAccess(page)`, which must fill it and call `present(page)`.
 * Marking pages absent drops every CPU translation. Readers outside the CPU
 * and devices (hashes, debuggers) call `ensure(pa, len)` first.
 */
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;

export class GuestMemory {
  readonly buffer: SharedArrayBuffer;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly i32: Int32Array;
  readonly pages: number;
  /** One byte per page: 1 = written since the last clear. */
  readonly dirty: Uint8Array;
  /** One byte per page: 1 = the next write calls onProtectedWrite first. */
  readonly writeProtect: Uint8Array;
  /** Called with the page unchanged, before the first write to a protected page (which is then unprotected). */
  onProtectedWrite: ((page: number) => void) | null = null;
  /** One byte per page: 1 = contents not loaded yet (lazy restore). */
  readonly absent: Uint8Array;
  /** Number of absent pages (0: the fast checks below are never taken). */
  absentCount = 0;
  /** Must fill `page` and call present(page). */
  onAbsentAccess: ((page: number) => void) | null = null;
  private readonly dropListeners: Array<() => void> = [];
  /** Listeners that drop cached writable translations (the CPU's store TLB). */
  private readonly clearListeners: Array<() => void> = [];
  /**
   * One byte per page: 1 = some hart decoded or translated code from it. Any
   * write to such a page (markDirty, or a hart's slow path calling
   * codeWritten) tells every code-write listener, whichever hart or device
   * wrote. Harts never map watched pages in their store TLBs.
   */
  readonly codeWatch: Uint8Array;
  private readonly codeListeners: Array<(page: number) => void> = [];
  /** Instrumentation: told of every device access to RAM (DMA) through the methods below; null: none. */
  dmaHook: ((pa: number, length: number, write: boolean) => void) | null = null;

  constructor(readonly base: number, readonly size: number) {
    if (size % PAGE_SIZE !== 0 || size <= 0) throw new Error(`RAM size must be a positive multiple of ${PAGE_SIZE}`);
    this.buffer = new SharedArrayBuffer(size);
    this.u8 = new Uint8Array(this.buffer);
    this.u16 = new Uint16Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.pages = size >>> PAGE_SHIFT;
    this.dirty = new Uint8Array(this.pages);
    this.writeProtect = new Uint8Array(this.pages);
    this.absent = new Uint8Array(this.pages);
    this.codeWatch = new Uint8Array(this.pages);
  }

  /** Registers a listener told of every write to a watched code page (one per hart or code cache). */
  onCodeWrite(listener: (page: number) => void): void {
    this.codeListeners.push(listener);
  }

  /**
   * Starts watching `page` for code writes. Drops every hart's writable
   * translations when the page was not watched yet, so no store TLB still
   * maps it for the fast path.
   */
  watchCode(page: number): void {
    if (this.codeWatch[page] !== 0) return;
    this.codeWatch[page] = 1;
    for (const l of this.clearListeners) l();
  }

  /** A write reached watched `page`: stop watching it and tell every listener (their code from it is stale). */
  codeWritten(page: number): void {
    this.codeWatch[page] = 0;
    const ls = this.codeListeners;
    for (let i = 0; i < ls.length; i++) ls[i](page);
  }

  /** Registers a listener that drops every cached translation (called when pages become absent). */
  onDropTranslations(listener: () => void): void {
    this.dropListeners.push(listener);
  }

  /** Marks the listed pages absent (see the class comment). */
  markAbsent(pages: ArrayLike<number>): void {
    const a = this.absent;
    for (let i = 0; i < pages.length; i++) if (a[pages[i]] === 0) { a[pages[i]] = 1; this.absentCount++; }
    for (const l of this.dropListeners) l();
  }

  /** Marks every page absent. */
  markAllAbsent(): void {
    this.absent.fill(1);
    this.absentCount = this.pages;
    for (const l of this.dropListeners) l();
  }

  /** The owner of absent pages filled `page`. */
  present(page: number): void {
    if (this.absent[page] !== 0) { this.absent[page] = 0; this.absentCount--; }
  }

  /** An access reached absent `page`: have it filled. */
  fault(page: number): void {
    if (this.onAbsentAccess === null) throw new Error(`page ${page} of guest RAM is absent and nothing can load it`);
    this.onAbsentAccess(page);
    if (this.absent[page] !== 0) throw new Error(`page ${page} of guest RAM is still absent after loading`);
  }

  /** Makes [pa, pa+len) present (loads absent pages); callers check `contains`. */
  ensure(pa: number, len: number): void {
    if (this.absentCount === 0 || len <= 0) return;
    const last = (pa - this.base + len - 1) >>> PAGE_SHIFT;
    for (let p = (pa - this.base) >>> PAGE_SHIFT; p <= last; p++) if (this.absent[p] !== 0) this.fault(p);
  }

  /** Declares every page present without loading (RAM was just overwritten wholesale, e.g. by an eager restore). */
  presentAll(): void {
    this.absent.fill(0);
    this.absentCount = 0;
    this.onAbsentAccess = null;
  }

  /** Makes every page present. */
  ensureAll(): void {
    for (let p = 0; p < this.pages && this.absentCount > 0; p++) if (this.absent[p] !== 0) this.fault(p);
  }

  /** True when [pa, pa+len) lies entirely in RAM. */
  contains(pa: number, len: number): boolean {
    return pa >= this.base && len >= 0 && pa + len <= this.base + this.size;
  }

  /** Offset into `u8` of a guest-physical address; caller checks `contains`. */
  offset(pa: number): number {
    return pa - this.base;
  }

  /** Announces a write to [pa, pa+len) BEFORE the bytes change: protection faults, dirty log, code watch. */
  markDirty(pa: number, len: number): void {
    if (len <= 0) return;
    this.ensure(pa, len);
    const first = (pa - this.base) >>> PAGE_SHIFT;
    const last = (pa - this.base + len - 1) >>> PAGE_SHIFT;
    const cw = this.codeWatch;
    const wp = this.writeProtect;
    for (let p = first; p <= last; p++) {
      if (wp[p] !== 0) this.protectedWrite(p);
      this.dirty[p] = 1;
      if (cw[p] !== 0) this.codeWritten(p);
    }
  }

  /**
   * Clears the dirty log. Listeners (the CPU's TLB) drop cached writable
   * translations so the next write to each page marks it again.
   */
  clearDirty(): void {
    this.dirty.fill(0);
    for (const l of this.clearListeners) l();
  }

  /** Registers a listener that drops cached writable translations (called on clearDirty and protect). */
  onClearDirty(listener: () => void): void {
    this.clearListeners.push(listener);
  }

  /**
   * Discards the whole pages inside [pa, pa+len) (a balloon's free-page
   * report): each page that is not already zero is zeroed and marked dirty.
   * Partial pages at either end are left alone. Returns the pages zeroed.
   * Throws RangeError outside RAM.
   */
  discard(pa: number, len: number): number {
    if (!this.contains(pa, len)) throw new RangeError(`discard outside RAM: 0x${pa.toString(16)}+${len}`);
    const first = Math.ceil((pa - this.base) / PAGE_SIZE);
    const end = Math.floor((pa - this.base + len) / PAGE_SIZE);
    const w = this.i32;
    let zeroed = 0;
    for (let p = first; p < end; p++) {
      const o = p << (PAGE_SHIFT - 2);
      // a lazily restored page is loaded first; a write-protected one is copied before it changes
      this.ensure(this.base + p * PAGE_SIZE, PAGE_SIZE);
      let zero = true;
      for (let i = 0; i < PAGE_SIZE >>> 2; i++) if (w[o + i] !== 0) { zero = false; break; }
      if (zero) continue;
      this.markDirty(this.base + p * PAGE_SIZE, PAGE_SIZE);
      w.fill(0, o, o + (PAGE_SIZE >>> 2));
      zeroed++;
    }
    return zeroed;
  }

  /** Write-protects the listed pages (see the class comment). */
  protect(pages: ArrayLike<number>): void {
    const wp = this.writeProtect;
    for (let i = 0; i < pages.length; i++) wp[pages[i]] = 1;
    for (const l of this.clearListeners) l();
  }

  /** Ascending indices of the pages in the dirty log (word-at-a-time scan: the log is mostly clean). */
  dirtyPages(): Int32Array {
    const d = this.dirty;
    const words = new Uint32Array(d.buffer, d.byteOffset, d.length >>> 2);
    let n = 0;
    for (let i = 0; i < words.length; i++) if (words[i] !== 0) for (let p = i << 2, e = p + 4; p < e; p++) n += d[p] !== 0 ? 1 : 0;
    for (let p = words.length << 2; p < d.length; p++) n += d[p] !== 0 ? 1 : 0;
    const out = new Int32Array(n);
    let k = 0;
    for (let i = 0; i < words.length; i++) if (words[i] !== 0) for (let p = i << 2, e = p + 4; p < e; p++) if (d[p] !== 0) out[k++] = p;
    for (let p = words.length << 2; p < d.length; p++) if (d[p] !== 0) out[k++] = p;
    return out;
  }

  /** Lifts protection from one page without calling the hook (the capture has read it). */
  unprotect(page: number): void {
    this.writeProtect[page] = 0;
  }

  /** A write reached protected `page`: unprotect it, then let the owner copy it (still unchanged). */
  protectedWrite(page: number): void {
    this.writeProtect[page] = 0;
    this.onProtectedWrite?.(page);
  }

  /** Copy guest bytes out for a device (DMA read). Throws RangeError outside RAM. */
  read(pa: number, len: number): Uint8Array {
    if (!this.contains(pa, len)) throw new RangeError(`DMA read outside RAM: 0x${pa.toString(16)}+${len}`);
    this.ensure(pa, len);
    this.dmaHook?.(pa, len, false);
    const o = pa - this.base;
    return this.u8.slice(o, o + len);
  }

  /** Device write into guest RAM (DMA). Throws RangeError outside RAM. */
  write(pa: number, data: Uint8Array): void {
    if (!this.contains(pa, data.length)) throw new RangeError(`DMA write outside RAM: 0x${pa.toString(16)}+${data.length}`);
    this.markDirty(pa, data.length);
    this.u8.set(data, pa - this.base);
    this.dmaHook?.(pa, data.length, true);
  }

  readU16(pa: number): number {
    const o = this.checked(pa, 2);
    return this.u8[o] | (this.u8[o + 1] << 8);
  }

  readU32(pa: number): number {
    const o = this.checked(pa, 4);
    return (this.u8[o] | (this.u8[o + 1] << 8) | (this.u8[o + 2] << 16) | (this.u8[o + 3] << 24)) >>> 0;
  }

  /** 64-bit read as a JS number; throws if the value exceeds 2^53 (not a usable address or length). */
  readU64(pa: number): number {
    const lo = this.readU32(pa);
    const hi = this.readU32(pa + 4);
    if (hi >= 0x200000) throw new RangeError(`64-bit value at 0x${pa.toString(16)} too large`);
    return hi * 0x100000000 + lo;
  }

  writeU16(pa: number, v: number): void {
    const o = this.checked(pa, 2, true);
    this.markDirty(pa, 2);
    this.u8[o] = v;
    this.u8[o + 1] = v >>> 8;
  }

  writeU32(pa: number, v: number): void {
    const o = this.checked(pa, 4, true);
    this.markDirty(pa, 4);
    this.u8[o] = v;
    this.u8[o + 1] = v >>> 8;
    this.u8[o + 2] = v >>> 16;
    this.u8[o + 3] = v >>> 24;
  }

  private checked(pa: number, len: number, write = false): number {
    if (!this.contains(pa, len)) throw new RangeError(`guest access outside RAM: 0x${pa.toString(16)}+${len}`);
    this.ensure(pa, len);
    this.dmaHook?.(pa, len, write);
    return pa - this.base;
  }
}
