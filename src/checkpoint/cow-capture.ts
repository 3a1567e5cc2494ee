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
 * Memory held by copies is bounded (`maxHeldBytes`, and the copy arena's
 * size): past it, a fault encodes the page on the spot instead (the guest
 * waits for one page of pipeline work, nothing more is held).
 *
 * With a PageJobChannel the per-page work (zero test, hash, delta,
 * compression) runs on page workers reading guest RAM and the copy arena
 * (both shared): `step()` hands out jobs and consumes their results in job
 * order (dedup lookup, chunk ids and the pack stay on this thread). A page
 * stays write-protected until its result is consumed; a guest write to a
 * page whose job is still reading RAM copies it and sends it again from the
 * copy (the first result is discarded), so no worker ever reads a page while
 * the guest changes it.
 */
import { PAGE_SIZE, type GuestMemory } from '../machine/memory.js';
import type { ChunkSink } from '../encoding/chunk-sink.js';
import { countZero, type PagePipeline } from '../encoding/page-pipeline.js';
import { emptyMetrics, type PipelineMetrics } from '../encoding/pipeline-metrics.js';
import { SRC_COPY, SRC_RAM, type PageJobChannel, type PageResult } from '../encoding/page-job-channel.js';
import { sharedBytes } from '../encoding/shared-bytes.js';
import { isZeroBytes } from '../encoding/zero-page.js';

/** Page states while a capture runs: done, unread in RAM, copied aside, a job reading it from RAM, a job reading its copy. */
const DONE = 0, IN_RAM = 1, COPIED = 2, SENT = 3, SENT_COPY = 4;

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
  /** Worker results discarded because the guest wrote the page while its job read it (sent again from the copy). */
  resent: number;
}

/**
 * Page copies, in one shared buffer (page workers read them), handed out as
 * slots from a free stack: nothing is allocated per fault. Its size bounds
 * what copies can hold. The buffer is touched only where copies land, so an
 * unused arena costs address space, not memory.
 */
export class CopyArena {
  readonly buffer: SharedArrayBuffer;
  readonly u8: Uint8Array;
  readonly slots: number;
  private readonly free: Int32Array;
  private top: number;
  constructor(bytes: number) {
    this.slots = Math.max(0, Math.floor(bytes / PAGE_SIZE));
    this.buffer = sharedBytes(this.slots * PAGE_SIZE);
    this.u8 = new Uint8Array(this.buffer);
    this.free = new Int32Array(this.slots);
    for (let i = 0; i < this.slots; i++) this.free[i] = this.slots - 1 - i;
    this.top = this.slots;
  }
  get used(): number { return this.slots - this.top; }
  private scratchFor: { state: Uint8Array; slotOf: Int32Array; jobOf: Int32Array } | null = null;
  /** Per-page arrays for a capture of `pages` RAM pages, reused from one capture to the next (nothing of RAM size is allocated in a stop). */
  scratch(pages: number): { state: Uint8Array; slotOf: Int32Array; jobOf: Int32Array } {
    const s = this.scratchFor;
    if (s && s.state.length === pages) { s.state.fill(0); return s; }
    return (this.scratchFor = { state: new Uint8Array(pages), slotOf: new Int32Array(pages), jobOf: new Int32Array(pages) });
  }
  /** A free slot, or -1. */
  take(): number { return this.top > 0 ? this.free[--this.top] : -1; }
  give(slot: number): void { this.free[this.top++] = slot; }
}

export interface CowCaptureOptions {
  /** Pages to read first (predicted to be written soon), a subset of the capture's pages. */
  first?: ArrayLike<number> | null;
  /** At most this many of the `first` pages are copied during the stop (0: none). */
  eagerPages?: number;
  /** Bound on bytes held by copies. */
  maxHeldBytes?: number;
  /** Where copies go (default: a fresh arena of maxHeldBytes). */
  arena?: CopyArena;
  /** Page workers (null: every page is encoded on this thread by the pipeline). */
  channel?: PageJobChannel | null;
  /** Per RAM page, why it is known free at the stop (FREE_BALLOON, FREE_KERNEL; 0: not known): if still zero it is counted as such, not as a zero page. */
  freeReported?: Uint8Array | null;
}

export class CowCapture {
  readonly figures: CowFigures = { cowFaults: 0, cowCopiedBytes: 0, cowFaultEncodes: 0, eagerPages: 0, peakHeldBytes: 0, resent: 0 };
  readonly metrics: PipelineMetrics = emptyMetrics();
  /** Host ms spent encoding on this thread (steps and fault encodes). */
  busyMs = 0;
  /** Selected pages. */
  readonly pageCount: number;
  /** A failure inside the write hook (where nothing may throw into the guest); the capture is then cancelled. */
  error: unknown = null;
  private readonly state: Uint8Array;
  private readonly order: Int32Array;
  private cursor = 0;
  /** Copy slot per page (valid while COPIED or SENT_COPY). */
  private readonly slotOf: Int32Array;
  private held = 0;
  private readonly maxHeld: number;
  private readonly arena: CopyArena;
  private active = true;
  private readonly channel: PageJobChannel | null;
  private readonly freeReported: Uint8Array | null;
  /** Worker mode: per ring position, the delta base of the job, and whether its result is stale. */
  private jobBase: Float64Array = new Float64Array(0);
  private jobStale: Uint8Array = new Uint8Array(0);
  /** Worker mode: per page, the ring position of its job in flight. */
  private readonly jobOf: Int32Array;
  /** Pages copied after their job was sent: they go out again (from the copy) before the order goes on. */
  private readonly again: number[] = [];
  /** Pages handed to workers and not consumed yet. */
  private outstanding = 0;

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
    this.arena = options.arena ?? new CopyArena(options.maxHeldBytes ?? 64 << 20);
    this.maxHeld = Math.min(options.maxHeldBytes ?? 64 << 20, this.arena.slots * PAGE_SIZE);
    this.channel = options.channel ?? null;
    this.freeReported = options.freeReported ?? null;
    const scratch = this.arena.scratch(ram.pages);
    const state = this.state = scratch.state;
    this.slotOf = scratch.slotOf;
    this.jobOf = scratch.jobOf;
    if (this.channel) {
      const ring = this.channel.ring;
      this.jobBase = new Float64Array(ring);
      this.jobStale = new Uint8Array(ring);
    }
    const count = pages.length;
    for (let i = 0; i < count; i++) state[pages[i]] = IN_RAM;
    this.pageCount = count;
    const order = this.order = new Int32Array(count);
    let k = 0;
    const first = options.first ?? null;
    const FIRST = 9;
    if (first) for (let i = 0; i < first.length; i++) if (state[first[i]] === IN_RAM) { order[k++] = first[i]; state[first[i]] = FIRST; }
    const firstCount = k;
    for (let i = 0; i < count; i++) if (state[pages[i]] === IN_RAM) order[k++] = pages[i];
    for (let i = 0; i < firstCount; i++) state[order[i]] = IN_RAM;
    ram.onProtectedWrite = this.onWrite;
    ram.protect(pages);
    const eager = Math.min(options.eagerPages ?? 0, firstCount, Math.floor(this.maxHeld / PAGE_SIZE));
    for (let i = 0; i < eager; i++) {
      const p = order[i];
      if (!this.copy(p)) break;
      ram.unprotect(p);
      this.figures.eagerPages++;
    }
  }

  /** Bytes held now by copies. */
  get heldBytes(): number { return this.held; }

  /** True once every page is encoded (or the capture was cancelled). */
  get finished(): boolean { return (this.cursor >= this.order.length && this.outstanding === 0 && this.again.length === 0) || !this.active; }

  /** Copies page `p` aside (its state becomes COPIED); false if the bound leaves no room. */
  private copy(p: number): boolean {
    if (this.held + PAGE_SIZE > this.maxHeld) return false;
    const slot = this.arena.take();
    if (slot < 0) return false;
    const off = p * PAGE_SIZE;
    this.arena.u8.set(this.ram.u8.subarray(off, off + PAGE_SIZE), slot * PAGE_SIZE);
    this.slotOf[p] = slot;
    this.state[p] = COPIED;
    this.held += PAGE_SIZE;
    this.figures.cowCopiedBytes += PAGE_SIZE;
    if (this.held > this.figures.peakHeldBytes) this.figures.peakHeldBytes = this.held;
    return true;
  }

  private release(p: number): void {
    this.arena.give(this.slotOf[p]);
    this.held -= PAGE_SIZE;
  }

  /** GuestMemory's protection hook: `page` is about to be written and is still as it was at the stop. */
  private readonly onWrite = (page: number): void => {
    if (!this.active) return;
    const s = this.state[page];
    if (s !== IN_RAM && s !== SENT) return;
    this.figures.cowFaults++;
    if (s === SENT) {
      // a worker may be reading the page right now: its result is discarded, the page goes again from a copy (or is encoded here)
      this.jobStale[this.jobOf[page]] = 1;
      this.outstanding--;
      this.figures.resent++;
      if (this.copy(page)) { this.again.push(page); return; }
      this.state[page] = IN_RAM;
    } else if (this.copy(page)) {
      return;
    }
    this.figures.cowFaultEncodes++;
    try {
      this.encodeHere(page);
    } catch (e) {
      // never throw into the guest's store: fail the capture, let the guest go on
      this.error = e;
      this.cancel();
    }
  };

  /** Encodes page `p` (unread in RAM or copied) on this thread. */
  private encodeHere(p: number): void {
    const t = performance.now();
    const s = this.state[p];
    // with workers in flight the delta cache's slots must not move: encode without it
    const useCache = this.channel === null;
    if (s === COPIED) {
      this.pagePipeline(p, this.arena.u8, this.slotOf[p] * PAGE_SIZE, useCache);
      this.release(p);
    } else if (s === IN_RAM) {
      this.pagePipeline(p, this.ram.u8, p * PAGE_SIZE, useCache);
      this.ram.unprotect(p);
    }
    this.state[p] = DONE;
    this.busyMs += performance.now() - t;
  }

  private pagePipeline(p: number, bytes: Uint8Array, off: number, useCache: boolean): void {
    if (this.freeReported !== null && this.freeReported[p] !== 0 && isZeroBytes(bytes, off, PAGE_SIZE)) {
      this.sink().setPage(p, 0);
      this.metrics.pagesDirty++;
      countZero(this.metrics, this.freeReported[p]);
      return;
    }
    this.pipeline.page(p, bytes, off, this.sink(), this.metrics, useCache);
  }

  /**
   * Encodes up to `maxPages` more pages; returns true when all are done.
   * With workers: consumes the results that are ready (blocking for them if
   * `block`), then hands out jobs up to the ring's size; `maxPages` bounds
   * the results consumed. Throws what the pipeline throws.
   */
  step(maxPages: number, block = false): boolean {
    if (this.error !== null) throw this.error;
    if (this.channel) return this.stepWorkers(maxPages, block);
    const order = this.order;
    while (maxPages > 0 && this.cursor < order.length && this.active) {
      const p = order[this.cursor++];
      if (this.state[p] === DONE) continue;
      this.encodeHere(p);
      maxPages--;
    }
    if (this.cursor >= order.length) this.cancel(); // releases the hook; nothing is protected any more
    return this.finished;
  }

  private stepWorkers(maxPages: number, block: boolean): boolean {
    const ch = this.channel as PageJobChannel;
    const t = performance.now();
    this.send(ch);
    ch.wake();
    let n = 0;
    while (maxPages > 0 && this.active && ch.inFlight > 0) {
      const r = ch.next(block);
      if (r === null) break;
      this.consume(r, ch.ring);
      maxPages--;
      // refill the ring in batches (one wake-up each), so threads never run dry while results are consumed
      if ((++n & 63) === 0) { this.send(ch); ch.wake(); }
      if (this.error !== null) throw this.error;
    }
    this.send(ch);
    ch.wake();
    this.busyMs += performance.now() - t;
    if (this.cursor >= this.order.length && this.outstanding === 0 && this.again.length === 0) this.cancel();
    return this.finished;
  }

  /** Hands out jobs while the ring has room: pages sent again first, then the order. */
  private send(ch: PageJobChannel): void {
    while (!ch.full && this.active) {
      let p: number;
      if (this.again.length > 0) p = this.again.pop() as number;
      else if (this.cursor < this.order.length) p = this.order[this.cursor++];
      else return;
      const s = this.state[p];
      if (s !== IN_RAM && s !== COPIED) continue;
      const fromCopy = s === COPIED;
      const cacheSlot = this.pipeline.deltaSlot(p, ch.ring);
      const seq = ch.nextSeq;
      const pos = seq % ch.ring;
      this.jobBase[pos] = cacheSlot >= 0 ? this.pipeline.deltaBase(cacheSlot) : 0;
      this.jobStale[pos] = 0;
      this.jobOf[p] = pos;
      this.state[p] = fromCopy ? SENT_COPY : SENT;
      this.outstanding++;
      ch.submit(p, fromCopy ? SRC_COPY : SRC_RAM, fromCopy ? this.slotOf[p] * PAGE_SIZE : this.ram.u8.byteOffset + p * PAGE_SIZE, cacheSlot);
    }
  }

  /** Stores one worker result (in job order), then lets the page go (unprotect it or free its copy). */
  private consume(r: PageResult, ring: number): void {
    const pos = (this.channel as PageJobChannel).lastSeq % ring;
    if (this.jobStale[pos] !== 0) { this.jobStale[pos] = 0; return; }
    const p = r.page;
    const s = this.state[p];
    const fromCopy = s === SENT_COPY;
    const bytes = fromCopy ? this.arena.u8 : this.ram.u8;
    const off = fromCopy ? this.slotOf[p] * PAGE_SIZE : p * PAGE_SIZE;
    const free = this.freeReported !== null ? this.freeReported[p] : 0;
    this.pipeline.accept(p, r, this.jobBase[pos], bytes, off, this.sink(), this.metrics, free);
    if (fromCopy) this.release(p);
    else this.ram.unprotect(p);
    this.state[p] = DONE;
    this.outstanding--;
  }

  /** Stops the capture: lifts every protection, drops the copies and the hook (after completion or failure). */
  cancel(): void {
    if (!this.active) return;
    this.active = false;
    const wp = this.ram.writeProtect;
    const st = this.state;
    for (let p = 0; p < st.length; p++) {
      const s = st[p];
      if (s === DONE) continue;
      if (s === IN_RAM || s === SENT) wp[p] = 0;
      else this.release(p);
      st[p] = DONE;
    }
    this.held = 0;
    // results still in the ring belong to nobody now
    if (this.channel) this.channel.discardPending();
    if (this.ram.onProtectedWrite === this.onWrite) this.ram.onProtectedWrite = null;
  }
}
