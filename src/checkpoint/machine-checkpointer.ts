/**
 * Checkpoints of a running VirtMachine into a Repository, and restores.
 *
 * A capture happens between `run()` calls (an instruction boundary): CPU and
 * device state, RAM pages dirtied since the previous capture (every page for
 * the first one) and disk-overlay blocks written since, then the dirty logs
 * are cleared — only after the commit succeeded.
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
import { PagePipeline } from '../encoding/page-pipeline.js';
import { addMetrics, type PipelineMetrics } from '../encoding/pipeline-metrics.js';
import { pageSourceOf } from '../encoding/page-source.js';
import { decodeState, encodeState } from '../encoding/state-codec.js';
import type { CheckpointMeta } from '../store/checkpoint-meta.js';
import type { Repository } from '../store/repository.js';
import { StoreError } from '../store/store-error.js';
import { WRAPPER, diskLayout, savableInput, toRuns } from './checkpoint-layout.js';
import { restoreMachine } from './restore-machine.js';
import { excludeReportedFree } from './free-page-exclusion.js';
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
}

export interface CaptureResult {
  meta: CheckpointMeta;
  metrics: CheckpointMetrics;
  /** Whole pause including the commit's fsyncs, ms (not stored: the commit writes the metadata). */
  pauseMs: number;
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
  /** Opaque description of how to rebuild this machine (e.g. the CLI's options as JSON), stored with each checkpoint. */
  config?: string;
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
  }

  private readonly config: string;
  private readonly freePages: boolean;
  private readonly pageCache: boolean;
  private diskIndex: DiskBlockIndex | null = null;

  /** Id of the checkpoint the next capture is incremental to (null: the next one is full). */
  get parent(): number | null {
    return this.base;
  }

  /**
   * Captures a checkpoint now (the machine must be between run() calls). In
   * a shared repository a concurrent prune or gc may remove the parent or a
   * chunk this capture deduplicated against; the commit then fails as a
   * conflict (nothing visible) and the capture is retried once in full.
   */
  capture(options: { label?: string; full?: boolean } = {}): CaptureResult {
    try {
      return this.captureOnce(options);
    } catch (e) {
      if (!(e instanceof StoreError && e.kind === 'conflict')) throw e;
      this.ramPipeline.resetDeltaCache();
      this.base = null;
      return this.captureOnce({ ...options, full: true });
    }
  }

  private captureOnce(options: { label?: string; full?: boolean }): CaptureResult {
    const t0 = performance.now();
    const vm = this.vm;
    const { disks, pageCount } = diskLayout(vm);
    const full = options.full === true || this.base === null || !this.repo.has(this.base);
    const parent = full ? null : this.base;
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
    const deviceState = encodeState(state);
    const w = this.repo.begin({ parent, pageCount });
    let committed = false;
    try {
      const src = pageSourceOf(vm.ram);
      let selection = full ? new Uint8Array(src.pageCount).fill(1) : src.dirty;
      let ramPages = 0;
      if (full) ramPages = src.pageCount;
      else for (let p = 0; p < src.pageCount; p++) if (selection[p] !== 0) ramPages++;
      if (this.pageCache && !this.diskIndex && vm.overlays.length > 0) {
        // built once: the base images never change under their overlays
        this.diskIndex = new DiskBlockIndex(vm.overlays.map((o) => o.base));
        this.ramPipeline.options.references = this.diskIndex;
      }
      let freeReported = 0;
      if (this.freePages && vm.balloon) ({ selection, pages: freeReported } = excludeReportedFree(vm.balloon, src, selection, w));
      const metrics = this.ramPipeline.run(src, w, selection);
      metrics.pagesFreeReported = freeReported;
      metrics.pagesDirty += freeReported;
      metrics.bytesIn += freeReported * PAGE_SIZE;
      let diskBlocks = 0;
      for (const d of disks) {
        const blocks = full ? d.overlay.heldBlocks() : d.overlay.dirtyBlocks();
        if (blocks.length === 0) continue;
        diskBlocks += blocks.length;
        const sink = new OffsetSink(w);
        const buf = new Uint8Array(blocks.length * PAGE_SIZE);
        const exported = d.overlay.exportBlocks(blocks);
        exported.forEach((b, i) => { buf.set(b.data, i * PAGE_SIZE); sink.pages.push(d.firstPage + b.index); });
        const n = exported.length;
        const dm = this.diskPipeline.run({ pageCount: n, ram: buf.subarray(0, n * PAGE_SIZE), dirty: new Uint8Array(n).fill(1) }, sink);
        addMetrics(metrics, dm);
      }
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
      return { meta, metrics: all, pauseMs: performance.now() - t0 };
    } finally {
      if (!committed) w.abort();
    }
  }

  /**
   * Puts the machine into the state of checkpoint `id` (RAM, disk overlays,
   * CPU/devices, input position); later captures are incremental to it.
   */
  restore(id: number): CheckpointMeta {
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

