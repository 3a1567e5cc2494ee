/**
 * The RAM pages of one checkpoint, read after the guest has resumed
 * (copy-on-write capture). At the stop the selected pages are write-protected
 * (GuestMemory.protect); `step()` then encodes them straight from guest RAM,
 * predicted-hot pages first, and unprotects each one it has read. The first
 * guest write (or DMA write) to a page not read yet reaches GuestMemory's
 * protection hook with the page unchanged: the page is copied aside (a CoW
 * fault) and later encoded from the copy. So the checkpoint holds RAM exactly
 * as it was at the stop, whatever the guest writes afterwards.
 *
 * Memory held by copies is bounded (`maxHeldBytes`): past it, a fault encodes
 * the page on the spot instead (the guest waits for one page of pipeline
 * work, nothing more is held).
 */
import { PAGE_SIZE, type GuestMemory } from '../machine/memory.js';
import type { ChunkSink } from '../encoding/chunk-sink.js';
import type { PagePipeline } from '../encoding/page-pipeline.js';
import { emptyMetrics, type PipelineMetrics } from '../encoding/pipeline-metrics.js';

/** Page states while a capture runs. */
const DONE = 0, IN_RAM = 1, COPIED = 2;

export interface CowFigures {
  /** Guest writes that hit a page before the capture read it. */
  cowFaults: number;
  /** Bytes copied aside by faults and by eager copies at the stop. */
  cowCopiedBytes: number;
  /** Faults past the memory bound that encoded the page at once instead of copying it. */
  cowFaultEncodes: number;
  /** Predicted pages copied during the stop. */
  eagerPages: number;
  /** Most bytes of copies held at once. */
  peakHeldBytes: number;
}

/** Reusable page buffers for copies (they are allocated once, not per fault). */
export class PagePool {
  private readonly free: Uint8Array[] = [];
  /** Pool size bound: buffers beyond it are left to the garbage collector. */
  constructor(private readonly keep = 4096) {}
  get(): Uint8Array { return this.free.pop() ?? new Uint8Array(PAGE_SIZE); }
  put(b: Uint8Array): void { if (this.free.length < this.keep) this.free.push(b); }
}

export interface CowCaptureOptions {
  /** Pages to read first (predicted to be written soon), a subset of the capture's pages. */
  first?: ArrayLike<number> | null;
  /** At most this many of the `first` pages are copied during the stop (0: none). */
  eagerPages?: number;
  /** Bound on bytes held by copies. */
  maxHeldBytes?: number;
  pool?: PagePool;
}

export class CowCapture {
  readonly figures: CowFigures = { cowFaults: 0, cowCopiedBytes: 0, cowFaultEncodes: 0, eagerPages: 0, peakHeldBytes: 0 };
  readonly metrics: PipelineMetrics = emptyMetrics();
  /** Host ms spent encoding (steps and fault encodes). */
  busyMs = 0;
  /** Selected pages. */
  readonly pageCount: number;
  /** A failure inside the write hook (where nothing may throw into the guest); the capture is then cancelled. */
  error: unknown = null;
  private readonly state: Uint8Array;
  private readonly order: Int32Array;
  private cursor = 0;
  private readonly copies = new Map<number, Uint8Array>();
  private held = 0;
  private readonly maxHeld: number;
  private readonly pool: PagePool;
  private active = true;

  /**
   * Takes over `pages` (RAM page indices, each once) at the stop: protects
   * them, makes the eager copies and installs the write hook. `sink` is
   * asked for lazily (first encoded page), so opening the writer is not part
   * of the stop. The stop's cost is linear in the number of pages, not in RAM size.
   */
  constructor(
    readonly ram: GuestMemory,
    pages: ArrayLike<number>,
    private readonly pipeline: PagePipeline,
    private readonly sink: () => ChunkSink,
    options: CowCaptureOptions = {},
  ) {
    if (ram.onProtectedWrite !== null) throw new Error('another copy-on-write capture is running on this RAM');
    this.maxHeld = options.maxHeldBytes ?? 64 << 20;
    this.pool = options.pool ?? new PagePool();
    const state = this.state = new Uint8Array(ram.pages);
    const count = pages.length;
    for (let i = 0; i < count; i++) state[pages[i]] = IN_RAM;
    this.pageCount = count;
    const order = this.order = new Int32Array(count);
    let k = 0;
    const first = options.first ?? null;
    const FIRST = 3;
    if (first) for (let i = 0; i < first.length; i++) if (state[first[i]] === IN_RAM) { order[k++] = first[i]; state[first[i]] = FIRST; }
    const firstCount = k;
    for (let i = 0; i < count; i++) if (state[pages[i]] === IN_RAM) order[k++] = pages[i];
    for (let i = 0; i < firstCount; i++) state[order[i]] = IN_RAM;
    ram.onProtectedWrite = this.onWrite;
    ram.protect(pages);
    const eager = Math.min(options.eagerPages ?? 0, firstCount, Math.floor(this.maxHeld / PAGE_SIZE));
    for (let i = 0; i < eager; i++) {
      const p = order[i];
      this.copy(p);
      ram.unprotect(p);
      this.figures.eagerPages++;
    }
  }

  /** Bytes held now by copies. */
  get heldBytes(): number { return this.held; }

  /** True once every page is encoded (or the capture was cancelled). */
  get finished(): boolean { return this.cursor >= this.order.length || !this.active; }

  private copy(p: number): void {
    const b = this.pool.get();
    const off = p * PAGE_SIZE;
    b.set(this.ram.u8.subarray(off, off + PAGE_SIZE));
    this.copies.set(p, b);
    this.state[p] = COPIED;
    this.held += PAGE_SIZE;
    this.figures.cowCopiedBytes += PAGE_SIZE;
    if (this.held > this.figures.peakHeldBytes) this.figures.peakHeldBytes = this.held;
  }

  /** GuestMemory's protection hook: `page` is about to be written and is still as it was at the stop. */
  private readonly onWrite = (page: number): void => {
    if (!this.active || this.state[page] !== IN_RAM) return;
    this.figures.cowFaults++;
    if (this.held + PAGE_SIZE <= this.maxHeld) { this.copy(page); return; }
    this.figures.cowFaultEncodes++;
    try {
      this.encode(page);
    } catch (e) {
      // never throw into the guest's store: fail the capture, let the guest go on
      this.error = e;
      this.cancel();
    }
  };

  private encode(p: number): void {
    const t = performance.now();
    const s = this.state[p];
    if (s === COPIED) {
      const b = this.copies.get(p) as Uint8Array;
      this.pipeline.page(p, b, 0, this.sink(), this.metrics);
      this.copies.delete(p);
      this.pool.put(b);
      this.held -= PAGE_SIZE;
    } else if (s === IN_RAM) {
      this.pipeline.page(p, this.ram.u8, p * PAGE_SIZE, this.sink(), this.metrics);
      this.ram.unprotect(p);
    }
    this.state[p] = DONE;
    this.busyMs += performance.now() - t;
  }

  /** Encodes up to `maxPages` more pages; returns true when all are done. Throws what the pipeline throws. */
  step(maxPages: number): boolean {
    if (this.error !== null) throw this.error;
    const order = this.order;
    while (maxPages > 0 && this.cursor < order.length && this.active) {
      const p = order[this.cursor++];
      if (this.state[p] === DONE) continue;
      this.encode(p);
      maxPages--;
    }
    if (this.cursor >= order.length) this.cancel(); // releases the hook; nothing is protected any more
    return this.finished;
  }

  /** Stops the capture: lifts every protection, drops the copies and the hook (after completion or failure). */
  cancel(): void {
    if (!this.active) return;
    this.active = false;
    const wp = this.ram.writeProtect;
    for (let i = this.cursor; i < this.order.length; i++) wp[this.order[i]] = 0;
    for (const b of this.copies.values()) this.pool.put(b);
    this.copies.clear();
    this.held = 0;
    if (this.ram.onProtectedWrite === this.onWrite) this.ram.onProtectedWrite = null;
  }
}
