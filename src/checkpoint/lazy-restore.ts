/**
 * Lazy (post-copy) restore of a checkpoint's RAM. Every RAM page starts
 * absent (GuestMemory.markAbsent); the first access of the guest or a device
 * to a page reads it from the repository through the machine's hook (a
 * "fault-in", recorded in `faulted`), and `prefetch()` between guest slices
 * loads the rest, most recently written first (the highest chunk ids: chunk
 * ids only grow). The machine runs exactly as after an eager restore, since
 * no access ever sees a page before it is loaded.
 */
import { PAGE_SIZE, type GuestMemory } from '../machine/memory.js';
import type { CheckpointMeta } from '../store/checkpoint-meta.js';
import type { Repository } from '../store/repository.js';

/** Pages prefetched per batch (see prefetch). */
const BATCH = 512;

export class LazyRestore {
  /** Pages loaded because the guest or a device touched them, in order (what an interval really uses). */
  readonly faulted: number[] = [];
  /** Pages loaded by prefetch(). */
  prefetched = 0;
  meta!: CheckpointMeta;
  /** performance.now() when the machine could run (state loaded, all pages absent). */
  readyAt = 0;
  /** performance.now() when the last page was loaded (0: not yet). */
  loadedAt = 0;
  private order: Int32Array | null = null;
  private cursor = 0;

  /** @internal use restoreMachineLazily() */
  constructor(readonly ram: GuestMemory, private readonly repo: Repository, readonly id: number, /** The checkpoint's page map (chunk id per page, RAM first; 0: zero page). */ readonly map: Uint32Array) {
    // a lazy restore still loading is superseded: every page becomes absent again
    ram.onAbsentAccess = (p) => { this.load(p); this.faulted.push(p); };
    // every page: a page whose chunk is 0 must still become zero, and the old contents must not leak
    ram.markAllAbsent();
  }

  /** @internal */
  started(meta: CheckpointMeta): this {
    this.meta = meta;
    this.readyAt = performance.now();
    return this;
  }

  /** True once every page is loaded. */
  get done(): boolean { return this.ram.absentCount === 0; }

  private load(p: number): void {
    const ram = this.ram;
    const off = p * PAGE_SIZE;
    const c = this.map[p];
    if (c === 0) {
      // zero page: most of fresh RAM already is
      const w = new Int32Array(ram.buffer, off, PAGE_SIZE >>> 2);
      let zero = true;
      for (let i = 0; i < w.length; i++) if (w[i] !== 0) { zero = false; break; }
      if (!zero) ram.u8.fill(0, off, off + PAGE_SIZE);
    } else {
      this.repo.readChunkInto(c, ram.u8.subarray(off, off + PAGE_SIZE), this.id);
    }
    ram.present(p);
    if (ram.absentCount === 0) this.finished();
  }

  private finished(): void {
    if (this.loadedAt === 0) this.loadedAt = performance.now();
    if (this.ram.absentCount === 0) this.ram.onAbsentAccess = null;
  }

  /** Loads up to `maxPages` more absent pages; returns true when all are loaded. */
  prefetch(maxPages: number): boolean {
    if (this.done) { this.finished(); return true; }
    if (this.order === null) {
      // most recently written first: sort (chunk id, page) keys, zero pages last
      const n = this.ram.pages;
      const keys = new Float64Array(n);
      for (let p = 0; p < n; p++) keys[p] = this.map[p] * n + p;
      keys.sort();
      this.order = new Int32Array(n);
      for (let i = 0; i < n; i++) this.order[i] = keys[n - 1 - i] % n;
    }
    const a = this.ram.absent;
    const order = this.order;
    const n = order.length;
    while (maxPages > 0 && this.cursor < n) {
      // newest first by batches, but each batch in ascending chunk order: packs are read forward
      // through the repository's read-ahead window (strictly descending order would re-read it per page)
      const start = this.cursor - (this.cursor % BATCH);
      const end = Math.min(start + BATCH, n);
      const p = order[end - 1 - (this.cursor - start)];
      this.cursor++;
      if (a[p] === 0) continue;
      this.load(p);
      this.prefetched++;
      maxPages--;
    }
    return this.done;
  }

  /** Prefetches for about `ms` milliseconds; returns true when all are loaded. */
  prefetchFor(ms: number): boolean {
    const end = performance.now() + ms;
    while (!this.prefetch(64)) if (performance.now() >= end) return false;
    return true;
  }

  /** Loads everything now. */
  finish(): void {
    while (!this.prefetch(1 << 20)) { /* all */ }
  }
}
