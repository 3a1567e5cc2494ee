/**
 * Guest RAM: one SharedArrayBuffer (shareable with worker threads without a
 * copy, though no worker reads it yet) and a
 * dirty-page log. Pages are 4 KiB. The CPU marks a page dirty when it
 * creates a writable translation for it; device DMA marks pages as it writes.
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
  private readonly clearListeners: Array<() => void> = [];
  /** Pages the CPU translated code from (set by the CPU); device writes to them call onCodeWrite. */
  codeWatch: Uint8Array | null = null;
  onCodeWrite: ((page: number) => void) | null = null;
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
  }

  /** True when [pa, pa+len) lies entirely in RAM. */
  contains(pa: number, len: number): boolean {
    return pa >= this.base && len >= 0 && pa + len <= this.base + this.size;
  }

  /** Offset into `u8` of a guest-physical address; caller checks `contains`. */
  offset(pa: number): number {
    return pa - this.base;
  }

  markDirty(pa: number, len: number): void {
    if (len <= 0) return;
    const first = (pa - this.base) >>> PAGE_SHIFT;
    const last = (pa - this.base + len - 1) >>> PAGE_SHIFT;
    const cw = this.codeWatch;
    for (let p = first; p <= last; p++) {
      this.dirty[p] = 1;
      if (cw !== null && cw[p] !== 0) this.onCodeWrite?.(p);
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
      let zero = true;
      for (let i = 0; i < PAGE_SIZE >>> 2; i++) if (w[o + i] !== 0) { zero = false; break; }
      if (zero) continue;
      w.fill(0, o, o + (PAGE_SIZE >>> 2));
      this.markDirty(this.base + p * PAGE_SIZE, PAGE_SIZE);
      zeroed++;
    }
    return zeroed;
  }

  /** Copy guest bytes out for a device (DMA read). Throws RangeError outside RAM. */
  read(pa: number, len: number): Uint8Array {
    if (!this.contains(pa, len)) throw new RangeError(`DMA read outside RAM: 0x${pa.toString(16)}+${len}`);
    this.dmaHook?.(pa, len, false);
    const o = pa - this.base;
    return this.u8.slice(o, o + len);
  }

  /** Device write into guest RAM (DMA). Throws RangeError outside RAM. */
  write(pa: number, data: Uint8Array): void {
    if (!this.contains(pa, data.length)) throw new RangeError(`DMA write outside RAM: 0x${pa.toString(16)}+${data.length}`);
    this.u8.set(data, pa - this.base);
    this.markDirty(pa, data.length);
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
    this.u8[o] = v;
    this.u8[o + 1] = v >>> 8;
    this.markDirty(pa, 2);
  }

  writeU32(pa: number, v: number): void {
    const o = this.checked(pa, 4, true);
    this.u8[o] = v;
    this.u8[o + 1] = v >>> 8;
    this.u8[o + 2] = v >>> 16;
    this.u8[o + 3] = v >>> 24;
    this.markDirty(pa, 4);
  }

  private checked(pa: number, len: number, write = false): number {
    if (!this.contains(pa, len)) throw new RangeError(`guest access outside RAM: 0x${pa.toString(16)}+${len}`);
    this.dmaHook?.(pa, len, write);
    return pa - this.base;
  }
}
