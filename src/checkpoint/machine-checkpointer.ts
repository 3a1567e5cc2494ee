/**
 * Checkpoints of a running VirtMachine into a Repository, and restores.
 *
 * A capture happens between `run()` calls (an instruction boundary): CPU and
 * device state, RAM pages dirtied since the previous capture (every page for
 * the first one) and disk-overlay blocks written since.
 *
 * Two modes (docs/checkpoints.md "Capture modes"):
 * - stop-and-copy (`capture()`, or `checkpoint()` in mode 'stop'): the guest
 *   waits for the whole pipeline and the commit's fsyncs; the dirty logs are
 *   cleared only after the commit succeeded.
 * - copy-on-write (`checkpoint()` in mode 'cow'): the stop saves CPU/device
 *   state, copies the dirty disk blocks and takes over the dirty set (the
 *   pages are write-protected, see CowCapture); the guest resumes at once.
 *   `pump()` between run slices reads the pages, then the commit becomes
 *   durable through asynchronous fsyncs; the checkpoint counts as committed
 *   (Capture.state 'committed') only then. A failed capture commits nothing
 *   and gives its pages back to the dirty log, so the next one includes them.
 *   One capture is in flight at a time: a new one first finishes the previous
 *   one, blocking (back-pressure); CheckpointSchedule can coalesce instead.
 *
 * Page space of a checkpoint: RAM pages first, then, for each disk overlay,
 * one page per 4 KiB overlay block. Which overlay blocks exist is kept in the
 * device state (a written block full of zeros is not the same as "base"), so
 * the repository format is unchanged.
 */
import type { VirtMachine } from '../machine/board/virt-machine.js';
import { PAGE_SIZE } from '../machine/memory.js';
import type { StateRecord, StateValue } from '../machine/state.js';
import type { CodecRegistry } from '../encoding/page-codec.js';
import type { ChunkSink } from '../encoding/chunk-sink.js';
import { FREE_BALLOON, FREE_KERNEL, PagePipeline } from '../encoding/page-pipeline.js';
import { addMetrics, type PipelineMetrics } from '../encoding/pipeline-metrics.js';
import { pageSourceOf } from '../encoding/page-source.js';
import { decodeState, encodeState } from '../encoding/state-codec.js';
import type { CheckpointMeta } from '../store/checkpoint-meta.js';
import type { CheckpointWriter, Repository } from '../store/repository.js';
import { StoreError } from '../store/store-error.js';
import { WRAPPER, diskLayout, savableInput, toRuns, type DiskLayout } from './checkpoint-layout.js';
import { CopyArena, CowCapture, type CowFigures } from './cow-capture.js';
import { PageJobChannel } from '../encoding/page-job-channel.js';
import type { PageWorkerPool } from '../encoding/page-worker-pool.js';
import { DurableCommit } from './durable-commit.js';
import type { LazyRestore } from './lazy-restore.js';
import { restoreMachine, restoreMachineLazily } from './restore-machine.js';
import { emptyMetrics } from '../encoding/pipeline-metrics.js';
import { excludeDiscarded, excludeReportedFree } from './free-page-exclusion.js';
import { discardKernelFreePages } from './kernel-free-pages.js';
import type { LinuxLayout } from '../introspection/linux-layout.js';
import { attachDiskResolver, DiskBlockIndex } from './page-cache-exclusion.js';

/** Metrics stored with each checkpoint (PipelineMetrics plus capture figures). */
export interface CheckpointMetrics extends PipelineMetrics {
  /** Machine paused → commit started (pipeline, device state, disk blocks), ms. The commit's fsyncs follow. */
  downtimeMs: number;
  /** RAM pages selected (dirty, or all for a full checkpoint). */
  ramPages: number;
  /** Disk-overlay blocks written since the previous checkpoint. */
  diskBlocks: number;
  /** Encoded device state bytes. */
  stateBytes: number;
  /** 1 for a full checkpoint (every page), 0 for an incremental one. */
  full: number;
  /** Copy-on-write captures: guest writes that had to copy a page first, bytes copied (faults and eager copies), eager copies, faults encoded on the spot, peak bytes held by copies. */
  cowFaults?: number;
  cowCopiedBytes?: number;
  eagerPages?: number;
  cowFaultEncodes?: number;
  peakHeldBytes?: number;
}

export interface CaptureResult {
  meta: CheckpointMeta;
  metrics: CheckpointMetrics;
  /** Whole time the guest was stopped for this checkpoint, ms (stop-and-copy: including the commit's fsyncs; copy-on-write: the stop, plus any wait for the previous capture). Not stored. */
  pauseMs: number;
  /** Stop → durable (committed), ms. */
  durableMs: number;
}

export type CaptureMode = 'stop' | 'cow';

/**
 * One checkpoint being taken. Stop-and-copy ones are settled when returned;
 * copy-on-write ones settle later, when durable or failed.
 */
export class Capture {
  state: 'reading' | 'syncing' | 'committed' | 'failed' = 'reading';
  result: CaptureResult | null = null;
  error: unknown = null;
  /** The guest's pause, ms (see CaptureResult.pauseMs). */
  pauseMs = 0;
  /** Host time of the stop (performance.now()). */
  readonly stoppedAt = performance.now();
  private readonly listeners: Array<(c: Capture) => void> = [];
  constructor(readonly instructions: number, readonly guestTime: number, readonly ramPages: number, readonly label?: string) {}
  get settled(): boolean { return this.state === 'committed' || this.state === 'failed'; }
  /** Calls `f` once settled (at once if already). */
  onSettled(f: (c: Capture) => void): void { if (this.settled) f(this); else this.listeners.push(f); }
  /** @internal */
  settle(result: CaptureResult | null, error: unknown): void {
    this.result = result;
    this.error = error;
    this.state = result ? 'committed' : 'failed';
    for (const f of this.listeners.splice(0)) f(this);
  }
}

export interface MachineCheckpointerOptions {
  /** Codec for full pages (default zstd if registered). */
  codec?: string;
  /** XBZRLE deltas on RAM pages (default on). */
  delta?: boolean;
  /** Sub-page deltas: changed blocks of this many bytes, vs XBZRLE per page (default 0 = off; 64 is the usual). */
  subpageBlock?: number;
  /** Deltas against similar stored pages (default off). */
  similarity?: boolean;
  /** Store RAM pages equal to a block of a base disk image as references to it (default off). */
  pageCache?: boolean;
  /** Store pages the guest reported free (virtio-balloon) as zero pages without encoding them (default on when the machine has a balloon). */
  freePages?: boolean;
  /**
   * Free-page exclusion without the guest's help: the guest kernel's layout
   * (symbols and offsets of its page allocator). At each checkpoint the pages
   * its allocator holds free are zeroed in the machine (an input: recorded and
   * replayed) and stored as zero pages. Default off: it changes guest memory.
   */
  kernelLayout?: LinuxLayout;
  /** Opaque description of how to rebuild this machine (e.g. the CLI's options as JSON), stored with each checkpoint. */
  config?: string;
  /** What `checkpoint()` does: 'stop' (stop-and-copy, the default) or 'cow' (copy-on-write, asynchronous commit). */
  mode?: CaptureMode;
  /** Copy-on-write: read pages written in each of the last two intervals first (default off). */
  predict?: boolean;
  /** With `predict`: copy up to this many predicted pages during the stop (default 256 = 1 MiB). */
  eagerPages?: number;
  /** Bound on bytes held by the copies of a copy-on-write capture (default 64 MiB). */
  maxHeldBytes?: number;
  /** Copy-on-write: block on fsync instead of using the store's asynchronous syncs. */
  blockingCommit?: boolean;
  /** Share of host time `pump()` gives the capture while one is in flight (default 0.5). */
  backgroundShare?: number;
  /**
   * Copy-on-write: page workers for zero test, hashing, deltas and
   * compression (src/node/page-worker-pool.ts under Node; SAME_THREAD_PAGES
   * serves the same jobs on this thread). Default none: the pipeline runs on
   * this thread. The caller closes the pool after `close()`.
   */
  pool?: PageWorkerPool | null;
  /** Page jobs in flight at most (default 1024; each holds a result slot of 8 KiB, so 8 MiB). */
  ring?: number;
}

interface InFlight {
  capture: Capture;
  cow: CowCapture;
  writer: CheckpointWriter | null;
  commit: DurableCommit<CheckpointMeta> | null;
  /** RAM pages of the capture. */
  pages: Int32Array;
  disks: Array<{ layout: DiskLayout; blocks: Array<{ index: number; data: Uint8Array }> }>;
  diskBlocks: number;
  parent: number | null;
  pageCount: number;
  deviceState: Uint8Array;
  full: boolean;
  stopMs: number;
  /** Kernel free-page exclusion was on but skipped at this stop (see discardKernelFree). */
  freeScanSkipped: number;
}

/** Maps a disk pipeline's local page numbers onto the checkpoint's page space. */
class OffsetSink implements ChunkSink {
  pages: number[] = [];
  constructor(private readonly inner: ChunkSink) {}
  findDuplicate(hash: Uint32Array, page: Uint8Array, off: number): number { return this.inner.findDuplicate(hash, page, off); }
  isFullChunk(id: number): boolean { return this.inner.isFullChunk(id); }
  putFull(hash: Uint32Array, codecId: number, payload: Uint8Array, offset: number, length: number): number { return this.inner.putFull(hash, codecId, payload, offset, length); }
  putDelta(hash: Uint32Array, baseId: number, payload: Uint8Array, offset: number, length: number, format?: number): number { return this.inner.putDelta(hash, baseId, payload, offset, length, format); }
  setPage(page: number, chunkId: number): void { this.inner.setPage(this.pages[page], chunkId); }
}

export class MachineCheckpointer {
  private readonly ramPipeline: PagePipeline;
  // Disk blocks go through their own pipeline without deltas: its page numbers are per capture, not stable.
  private readonly diskPipeline: PagePipeline;
  /** Checkpoint whose contents equal the machine's as of the last clearing of the dirty logs (null: none). */
  private base: number | null;

  constructor(
    readonly vm: VirtMachine,
    readonly repo: Repository,
    codecs: CodecRegistry,
    options: MachineCheckpointerOptions = {},
  ) {
    const name = options.codec ?? 'zstd';
    const codec = codecs.byName(name);
    this.ramPipeline = new PagePipeline({ codec, delta: options.delta ?? true, subpageBlock: options.subpageBlock ?? 0, similarity: options.similarity ?? false });
    this.freePages = options.freePages ?? true;
    this.pageCache = options.pageCache ?? false;
    attachDiskResolver(repo, vm);
    this.diskPipeline = new PagePipeline({ codec, delta: false });
    this.base = null;
    this.config = options.config ?? '';
    this.mode = options.mode ?? 'stop';
    this.options = options;
    this.lastDirty = new Uint32Array(vm.ram.pages);
    this.arena = new CopyArena(this.mode === 'cow' ? options.maxHeldBytes ?? 64 << 20 : 0);
    // allocate the XBZRLE cache (64 MiB by default) now rather than inside the first stop
    this.ramPipeline.prepare(vm.ram.pages);
  }

  private readonly config: string;
  private readonly freePages: boolean;
  private readonly pageCache: boolean;
  /** Why the last checkpoint with kernel free-page exclusion excluded nothing (null: it did, or the option is off). */
  lastFreeScanSkip: string | null = null;
  private diskIndex: DiskBlockIndex | null = null;
  readonly mode: CaptureMode;
  private readonly options: MachineCheckpointerOptions;
  private inflight: InFlight | null = null;
  /** Where copy-on-write copies go; its size bounds them. */
  private readonly arena: CopyArena;
  /** Page workers' channel, opened at the first copy-on-write capture that can use them. */
  private channel: PageJobChannel | null = null;
  /** Per RAM page: the last interval (epoch) in which it was dirty (dirty-page prediction). */
  private readonly lastDirty: Uint32Array;
  private epoch = 1;
  private lastPump = performance.now();
  /** A failed capture took disk blocks with it: the next checkpoint is full. */
  private forceFull = false;
  /** Told of every capture that settles (committed or failed). */
  onSettled: ((c: Capture) => void) | null = null;

  /** A copy-on-write capture is reading pages or waiting for its fsyncs. */
  get busy(): boolean {
    return this.inflight !== null;
  }

  /** Bytes held for the capture in flight (page copies and disk blocks), 0 if none. */
  get heldBytes(): number {
    const f = this.inflight;
    return f ? f.cow.heldBytes + f.diskBlocks * PAGE_SIZE : 0;
  }

  /** Upper bound of what pending captures can hold besides their disk blocks: the copy arena and the page workers' result ring. */
  get heldBound(): number {
    return this.arena.slots * PAGE_SIZE + (this.channel?.bytes ?? 0);
  }

  /** Page worker threads in use (0: this thread does the page work). */
  get workerThreads(): number {
    return this.channel ? this.options.pool?.threads ?? 0 : 0;
  }

  /** The page workers' channel, opened once when a pool was given and the pipeline's options allow it. */
  private channelFor(): PageJobChannel | null {
    const pool = this.options.pool;
    if (!pool || !this.ramPipeline.workerCapable) return null;
    if (!this.channel) {
      const o = this.ramPipeline.options;
      const ch = new PageJobChannel(this.vm.ram.buffer, this.arena.buffer, this.ramPipeline.cacheBuffer, {
        ring: this.options.ring, codec: o.codec, deltaMaxBytes: o.deltaMaxBytes, subpageBlock: o.subpageBlock,
        compressMaxBytes: o.compressMaxBytes, zeroPages: o.zeroPages, timing: o.timing,
      }, pool.threads);
      pool.start(ch.setup);
      this.channel = ch;
    }
    return this.channel;
  }

  /** Finishes what is in flight (blocking) and stops the page workers' channel; the pool itself is the caller's. */
  close(): void {
    this.drain();
    this.channel?.stop();
    this.channel = null;
  }

  /** Id of the checkpoint the next capture is incremental to (null: the next one is full). */
  get parent(): number | null {
    return this.base;
  }

  /** What every capture takes at the stop: page layout, full or incremental, and the encoded CPU/device/input state. */
  private stopState(forceFull: boolean): { disks: DiskLayout[]; pageCount: number; full: boolean; parent: number | null; deviceState: Uint8Array } {
    const vm = this.vm;
    const { disks, pageCount } = diskLayout(vm);
    const full = forceFull || this.forceFull || this.base === null || !this.repo.has(this.base);
    // a lazy restore may still be loading: a full capture reads every page (incremental ones only dirty, hence loaded, pages)
    if (full) vm.ram.ensureAll();
    // overlay blocks are stored as pages of their own, not inside the device state
    const machineState = vm.saveState({ diskContents: false });
    const input = savableInput(vm);
    const state: StateRecord = {
      version: 1,
      kind: WRAPPER,
      machine: machineState as unknown as StateValue,
      input: input ? (input.saveState() as unknown as StateValue) : null,
      disks: disks.map((d) => toRuns(d.overlay.heldBlocks())),
      config: this.config,
    };
    return { disks, pageCount, full, parent: full ? null : this.base, deviceState: encodeState(state) };
  }

  /** Encodes copied disk-overlay blocks into `w` (as pages after RAM), adding to `metrics`; returns the block count. */
  private encodeDisks(w: CheckpointWriter, disks: Array<{ layout: DiskLayout; blocks: Array<{ index: number; data: Uint8Array }> }>, metrics: PipelineMetrics): number {
    let count = 0;
    for (const d of disks) {
      const n = d.blocks.length;
      if (n === 0) continue;
      count += n;
      const sink = new OffsetSink(w);
      const buf = new Uint8Array(n * PAGE_SIZE);
      d.blocks.forEach((b, i) => { buf.set(b.data, i * PAGE_SIZE); sink.pages.push(d.layout.firstPage + b.index); });
      addMetrics(metrics, this.diskPipeline.run({ pageCount: n, ram: buf, dirty: new Uint8Array(n).fill(1) }, sink));
    }
    return count;
  }

  /**
   * Captures a checkpoint now, stop-and-copy (the machine must be between
   * run() calls). In a shared repository a concurrent prune or gc may remove
   * the parent or a chunk this capture deduplicated against; the commit then
   * fails as a conflict (nothing visible) and the capture is retried once in full.
   */
  capture(options: { label?: string; full?: boolean } = {}): CaptureResult {
    this.drain();
    try {
      return this.captureOnce(options);
    } catch (e) {
      if (!(e instanceof StoreError && e.kind === 'conflict')) throw e;
      this.ramPipeline.resetDeltaCache();
      this.base = null;
      return this.captureOnce({ ...options, full: true });
    }
  }

  /** Kernel free-page exclusion (when configured): discards the free pages now, before anything reads RAM. */
  private discardKernelFree(): { log: Uint8Array | null; skipped: number } {
    const layout = this.options.kernelLayout;
    if (!layout) return { log: null, skipped: 0 };
    const r = discardKernelFreePages(this.vm, layout);
    this.lastFreeScanSkip = r.ok ? null : r.reason;
    return r.ok ? { log: r.log, skipped: 0 } : { log: null, skipped: 1 };
  }

  private captureOnce(options: { label?: string; full?: boolean }): CaptureResult {
    const t0 = performance.now();
    const vm = this.vm;
    const kernelFree = this.discardKernelFree();
    const { disks, pageCount, full, parent, deviceState } = this.stopState(options.full === true);
    const w = this.repo.begin({ parent, pageCount });
    let committed = false;
    try {
      const src = pageSourceOf(vm.ram);
      let selection = full ? new Uint8Array(src.pageCount).fill(1) : src.dirty;
      let ramPages = 0;
      if (full) ramPages = src.pageCount;
      else for (let p = 0; p < src.pageCount; p++) if (selection[p] !== 0) ramPages++;
      this.preparePageCache();
      let freeReported = 0;
      if (this.freePages && vm.balloon) ({ selection, pages: freeReported } = excludeReportedFree(vm.balloon, src, selection, w));
      let freeKernel = 0;
      if (kernelFree.log) ({ selection, pages: freeKernel } = excludeDiscarded(kernelFree.log, src, selection, w));
      const metrics = this.ramPipeline.run(src, w, selection);
      metrics.pagesFreeReported = freeReported;
      metrics.pagesFreeKernel = freeKernel;
      metrics.freeScanSkipped = kernelFree.skipped;
      metrics.pagesDirty += freeReported + freeKernel;
      metrics.bytesIn += (freeReported + freeKernel) * PAGE_SIZE;
      const copies = disks.map((layout) => ({ layout, blocks: layout.overlay.exportBlocks(full ? layout.overlay.heldBlocks() : layout.overlay.dirtyBlocks()) }));
      const diskBlocks = this.encodeDisks(w, copies, metrics);
      const all: CheckpointMetrics = {
        ...metrics,
        downtimeMs: performance.now() - t0,
        ramPages,
        diskBlocks,
        stateBytes: deviceState.length,
        full: full ? 1 : 0,
      };
      const meta = w.commit({ guestTime: vm.now(), instructions: vm.instret, deviceState, label: options.label, metrics: all });
      committed = true;
      vm.ram.clearDirty();
      vm.balloon?.clearDiscardLog();
      for (const d of disks) d.overlay.clearDirty();
      this.base = meta.id;
      this.forceFull = false;
      const pauseMs = performance.now() - t0;
      return { meta, metrics: all, pauseMs, durableMs: pauseMs };
    } finally {
      if (!committed) w.abort();
    }
  }

  /**
   * Takes a checkpoint in this checkpointer's mode. Stop-and-copy: returns it
   * committed (or throws). Copy-on-write: returns after the stop; the capture
   * settles later (drive it with pump(), or drain()). If a capture is still in
   * flight it is finished first, blocking (its time counts into this pause).
   */
  checkpoint(options: { label?: string; full?: boolean } = {}): Capture {
    const vm = this.vm;
    if (this.mode === 'stop') {
      const c = new Capture(vm.instret, vm.now(), 0, options.label);
      try {
        const r = this.capture(options);
        c.pauseMs = r.pauseMs;
        c.settle(r, null);
      } catch (e) {
        c.pauseMs = performance.now() - c.stoppedAt;
        c.settle(null, e);
      }
      this.onSettled?.(c);
      return c;
    }
    const t0 = performance.now();
    this.drain();
    const tStop = performance.now();
    // discarded free pages are zero and dirty: the zero test stores them, counted apart (below)
    const { log: kernelFreeLog, skipped: freeScanSkipped } = this.discardKernelFree();
    const { disks, pageCount, full, parent, deviceState } = this.stopState(options.full === true);
    // disk blocks are few: copied now, encoded in the background
    let diskBlocks = 0;
    const diskCopies = disks.map((layout) => {
      const blocks = layout.overlay.exportBlocks(full ? layout.overlay.heldBlocks() : layout.overlay.dirtyBlocks());
      diskBlocks += blocks.length;
      layout.overlay.clearDirty();
      return { layout, blocks };
    });
    const ram = vm.ram;
    const dirty = ram.dirtyPages();
    let pages = dirty;
    if (full) { pages = new Int32Array(ram.pages); for (let i = 0; i < pages.length; i++) pages[i] = i; }
    // Wang et al.: a page written in the previous interval and again in this one is likely written right after the stop
    const h = this.lastDirty;
    const epoch = ++this.epoch;
    let first: Int32Array | null = null;
    if (this.options.predict) {
      let n = 0;
      for (let i = 0; i < dirty.length; i++) if (h[dirty[i]] === epoch - 1) n++;
      first = new Int32Array(n);
      n = 0;
      for (let i = 0; i < dirty.length; i++) if (h[dirty[i]] === epoch - 1) first[n++] = dirty[i];
    }
    for (let i = 0; i < dirty.length; i++) h[dirty[i]] = epoch;
    ram.clearDirty();
    // pages the balloon discarded (reported free) and still zero are counted apart, as stop-and-copy does; tested when read
    const freeReported = knownFree(this.freePages && vm.balloon ? vm.balloon.discardLog : null, kernelFreeLog, ram.pages);
    vm.balloon?.clearDiscardLog();
    this.preparePageCache();
    const f: InFlight = {
      capture: null as unknown as Capture, cow: null as unknown as CowCapture, writer: null, commit: null, pages,
      disks: diskCopies, diskBlocks, parent, pageCount, deviceState, full, stopMs: 0, freeScanSkipped,
    };
    this.ramPipeline.prepare(ram.pages);
    f.cow = new CowCapture(ram, pages, this.ramPipeline, () => this.writerOf(f), {
      first, eagerPages: this.options.predict ? this.options.eagerPages ?? 256 : 0, maxHeldBytes: this.options.maxHeldBytes, arena: this.arena,
      channel: this.channelFor(), freeReported,
    });
    f.capture = new Capture(vm.instret, vm.now(), f.cow.pageCount, options.label);
    const tEnd = performance.now();
    f.stopMs = tEnd - tStop;
    f.capture.pauseMs = tEnd - t0;
    this.inflight = f;
    this.lastPump = tEnd;
    return f.capture;
  }

  /** Page-cache exclusion: the index of base disk blocks, built once (the base images never change under their overlays). */
  private preparePageCache(): void {
    if (this.pageCache && !this.diskIndex && this.vm.overlays.length > 0) {
      this.diskIndex = new DiskBlockIndex(this.vm.overlays.map((o) => o.base));
      this.ramPipeline.options.references = this.diskIndex;
    }
  }

  private writerOf(f: InFlight): CheckpointWriter {
    if (!f.writer) f.writer = this.repo.begin({ parent: f.parent, pageCount: f.pageCount });
    return f.writer;
  }

  /**
   * Background work between guest slices: reads pages of the capture in
   * flight for a share of the host time the guest had since the last pump
   * (at least `minMs`), then starts its commit. Returns true while a capture is in flight.
   */
  pump(minMs = 0.5): boolean {
    const f = this.inflight;
    const now = performance.now();
    if (!f) { this.lastPump = now; return false; }
    if (f.commit === null) {
      const share = this.options.backgroundShare ?? 0.5;
      const budget = Math.max(minMs, ((now - this.lastPump) * share) / (1 - share));
      const end = now + budget;
      try {
        if (this.workerThreads > 0) {
          // consume what the workers finished and hand out more, never waiting, within the same budget: storing a
          // result (dedup lookup, chunk id, pack record, index entry) is the committing thread's own work
          for (;;) {
            const before = f.cow.metrics.pagesDirty;
            if (f.cow.step(64) || f.cow.metrics.pagesDirty === before || performance.now() >= end) break;
          }
        } else while (!f.cow.step(16) && performance.now() < end) { /* more pages */ }
        if (f.cow.finished) this.startCommit(f, false);
      } catch (e) {
        this.fail(f, e);
      }
    }
    this.lastPump = performance.now();
    return this.inflight !== null;
  }

  /** Reads exactly `pages` more pages of the capture in flight (deterministic, for tests), starting its commit when done. */
  pumpPages(pages: number): boolean {
    const f = this.inflight;
    if (!f) return false;
    if (f.commit === null) {
      try {
        if (f.cow.step(pages)) this.startCommit(f, false);
      } catch (e) {
        this.fail(f, e);
      }
    }
    return this.inflight !== null;
  }

  /** Finishes the capture in flight now, blocking (reading and fsyncs). No-op if none. */
  drain(): void {
    const f = this.inflight;
    if (!f) return;
    try {
      if (f.commit === null) {
        while (!f.cow.step(1 << 20, true)) { /* all pages */ }
        this.startCommit(f, true);
      }
      f.commit?.finishNow();
    } catch (e) {
      if (this.inflight === f) this.fail(f, e);
    }
  }

  private startCommit(f: InFlight, blocking: boolean): void {
    if (f.cow.error !== null) throw f.cow.error;
    const w = this.writerOf(f);
    const m = f.cow.metrics;
    this.encodeDisks(w, f.disks, m);
    const t0 = performance.now() - f.cow.busyMs;
    this.ramPipeline.finish(m, t0);
    const fig: CowFigures = f.cow.figures;
    const all: CheckpointMetrics = {
      ...emptyMetrics(), ...m,
      downtimeMs: f.stopMs, ramPages: f.cow.pageCount, diskBlocks: f.diskBlocks, stateBytes: f.deviceState.length, full: f.full ? 1 : 0,
      freeScanSkipped: f.freeScanSkipped,
      cowFaults: fig.cowFaults, cowCopiedBytes: fig.cowCopiedBytes, eagerPages: fig.eagerPages, cowFaultEncodes: fig.cowFaultEncodes, peakHeldBytes: fig.peakHeldBytes,
    };
    f.capture.state = 'syncing';
    const c = f.capture;
    // another repository object of this process that needs the lock while we hold it across fsyncs finishes us (repo-lock.ts)
    const hurry = () => { try { f.commit?.finishNow(); } catch { /* reported through the failure callback */ } };
    f.commit = new DurableCommit(this.repo.fs, w.commitSteps({ guestTime: c.guestTime, instructions: c.instructions, deviceState: f.deviceState, label: c.label, metrics: all }, hurry),
      blocking || this.options.blockingCommit === true,
      (meta) => {
        if (this.inflight === f) this.inflight = null;
        this.base = meta.id;
        this.forceFull = false;
        c.settle({ meta, metrics: all, pauseMs: c.pauseMs, durableMs: performance.now() - c.stoppedAt }, null);
        this.onSettled?.(c);
      },
      (e) => this.fail(f, e));
  }

  /** The capture failed: nothing was committed; its pages go back to the dirty log so the next checkpoint holds them. */
  private fail(f: InFlight, e: unknown): void {
    if (this.inflight !== f) return;
    this.inflight = null;
    f.cow.cancel();
    if (f.commit === null) f.writer?.abort();
    const ram = this.vm.ram;
    for (let i = 0; i < f.pages.length; i++) ram.dirty[f.pages[i]] = 1;
    if (f.diskBlocks > 0 || f.full) this.forceFull = true;
    f.capture.settle(null, e);
    this.onSettled?.(f.capture);
  }

  /**
   * Lazy restore of checkpoint `id` (see LazyRestore): the machine can run at
   * once; drive `prefetch()` between slices. Later captures are incremental to it.
   */
  restoreLazily(id: number): LazyRestore {
    this.drain();
    const lazy = restoreMachineLazily(this.vm, this.repo, id);
    this.ramPipeline.resetDeltaCache();
    this.vm.balloon?.clearDiscardLog();
    this.base = id;
    this.forceFull = false;
    return lazy;
  }

  /**
   * Puts the machine into the state of checkpoint `id` (RAM, disk overlays,
   * CPU/devices, input position); later captures are incremental to it.
   */
  restore(id: number): CheckpointMeta {
    this.drain();
    const meta = restoreMachine(this.vm, this.repo, id);
    this.ramPipeline.resetDeltaCache();
    this.vm.balloon?.clearDiscardLog();
    this.base = id;
    return meta;
  }
}

/** The `config` stored with a checkpoint by MachineCheckpointer ('' if none). */
export function checkpointConfig(deviceState: Uint8Array): string {
  const rec = decodeState(deviceState);
  return rec.kind === WRAPPER && typeof rec.config === 'string' ? rec.config : '';
}

/** Per page, why it is known free at a copy-on-write stop (FREE_BALLOON, FREE_KERNEL; 0: not known); null when nothing is. */
function knownFree(balloon: Uint8Array | null, kernel: Uint8Array | null, pages: number): Uint8Array | null {
  if (balloon === null && kernel === null) return null;
  const out = new Uint8Array(pages);
  if (balloon !== null) for (let i = 0; i < pages && i < balloon.length; i++) if (balloon[i] !== 0) out[i] = FREE_BALLOON;
  if (kernel !== null) for (let i = 0; i < pages && i < kernel.length; i++) if (kernel[i] !== 0) out[i] = FREE_KERNEL;
  return out;
}
