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
import { INSTRUCTIONS_PER_TICK, type StopReason, type VirtMachine } from '../machine/board/virt-machine.js';
import type { CowOverlay } from '../machine/block/cow-overlay.js';
import { PAGE_SIZE } from '../machine/memory.js';
import type { StateRecord, StateValue } from '../machine/state.js';
import type { CodecRegistry } from '../snapshot/page-codec.js';
import type { ChunkSink } from '../snapshot/chunk-sink.js';
import { PagePipeline } from '../snapshot/page-pipeline.js';
import { addMetrics, type PipelineMetrics } from '../snapshot/pipeline-metrics.js';
import { pageSourceOf } from '../snapshot/page-source.js';
import { decodeState, encodeState } from '../snapshot/state-codec.js';
import type { CheckpointMeta } from './checkpoint-meta.js';
import type { Repository } from './repository.js';

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
  /** Opaque description of how to rebuild this machine (e.g. the CLI's options as JSON), stored with each checkpoint. */
  config?: string;
}

/** Tag of the device-state wrapper (plain `VirtMachine.saveState()` records are accepted on restore too). */
const WRAPPER = 'retrovisor-checkpoint';

interface DiskLayout { overlay: CowOverlay; firstPage: number; blocks: number }

function diskLayout(vm: VirtMachine): { disks: DiskLayout[]; pageCount: number } {
  let page = vm.ram.pages;
  const disks: DiskLayout[] = [];
  for (const overlay of vm.overlays) {
    if (overlay.blockSize !== PAGE_SIZE) throw new Error(`checkpoint: disk overlay block size ${overlay.blockSize} is not ${PAGE_SIZE}`);
    const blocks = Math.ceil(overlay.size / PAGE_SIZE);
    disks.push({ overlay, firstPage: page, blocks });
    page += blocks;
  }
  return { disks, pageCount: page };
}

/** Ascending indices as [start, length, start, length, ...]. */
function toRuns(indices: number[]): number[] {
  const out: number[] = [];
  for (const i of indices) {
    const n = out.length;
    if (n > 0 && out[n - 2] + out[n - 1] === i) out[n - 1]++;
    else out.push(i, 1);
  }
  return out;
}

function fromRuns(runs: unknown, limit: number): number[] {
  if (!Array.isArray(runs) || runs.length % 2 !== 0) throw new Error('checkpoint: bad disk block list in state');
  const out: number[] = [];
  for (let k = 0; k < runs.length; k += 2) {
    const s = runs[k] as number, n = runs[k + 1] as number;
    if (!Number.isSafeInteger(s) || !Number.isSafeInteger(n) || s < 0 || n <= 0 || s + n > limit) throw new Error('checkpoint: bad disk block run in state');
    for (let i = 0; i < n; i++) out.push(s + i);
  }
  return out;
}

/** Virtio-blk keeps the whole overlay in its state by default; the checkpoint holds it as pages instead. */
function stripDiskContents(state: StateRecord): StateRecord {
  const slots = state.slots;
  if (!Array.isArray(slots)) return state;
  const copy = slots.map((s) => {
    const slot = s as StateRecord;
    const dev = slot.device as StateRecord | null | undefined;
    if (dev && typeof dev === 'object' && !Array.isArray(dev) && !(dev instanceof Uint8Array) && 'disk' in dev && dev.disk !== null) {
      return { ...slot, device: { ...dev, disk: null } } as StateValue;
    }
    return s;
  });
  return { ...state, slots: copy };
}

interface SavableInput { saveState(): StateRecord; loadState(r: StateRecord): void }
function savableInput(vm: VirtMachine): SavableInput | null {
  const s = vm.input.source as unknown as Partial<SavableInput>;
  return typeof s.saveState === 'function' && typeof s.loadState === 'function' ? (s as SavableInput) : null;
}

/** Maps a disk pipeline's local page numbers onto the checkpoint's page space. */
class OffsetSink implements ChunkSink {
  pages: number[] = [];
  constructor(private readonly inner: ChunkSink) {}
  findDuplicate(hash: Uint32Array, page: Uint8Array, off: number): number { return this.inner.findDuplicate(hash, page, off); }
  isFullChunk(id: number): boolean { return this.inner.isFullChunk(id); }
  putFull(hash: Uint32Array, codecId: number, payload: Uint8Array, offset: number, length: number): number { return this.inner.putFull(hash, codecId, payload, offset, length); }
  putDelta(hash: Uint32Array, baseId: number, payload: Uint8Array, offset: number, length: number): number { return this.inner.putDelta(hash, baseId, payload, offset, length); }
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
    this.ramPipeline = new PagePipeline({ codec, delta: options.delta ?? true });
    this.diskPipeline = new PagePipeline({ codec, delta: false });
    this.base = null;
    this.config = options.config ?? '';
  }

  private readonly config: string;

  /** Id of the checkpoint the next capture is incremental to (null: the next one is full). */
  get parent(): number | null {
    return this.base;
  }

  /** Captures a checkpoint now (the machine must be between run() calls). */
  capture(options: { label?: string; full?: boolean } = {}): CaptureResult {
    const t0 = performance.now();
    const vm = this.vm;
    const { disks, pageCount } = diskLayout(vm);
    const full = options.full === true || this.base === null || !this.repo.has(this.base);
    const parent = full ? null : this.base;
    const machineState = stripDiskContents(vm.saveState());
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
      const selection = full ? new Uint8Array(src.pageCount).fill(1) : src.dirty;
      let ramPages = 0;
      if (full) ramPages = src.pageCount;
      else for (let p = 0; p < src.pageCount; p++) if (selection[p] !== 0) ramPages++;
      const metrics = this.ramPipeline.run(src, w, selection);
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
    this.base = id;
    return meta;
  }
}

/** The `config` stored with a checkpoint by MachineCheckpointer ('' if none). */
export function checkpointConfig(deviceState: Uint8Array): string {
  const rec = decodeState(deviceState);
  return rec.kind === WRAPPER && typeof rec.config === 'string' ? rec.config : '';
}

function isZeroPage(words: Int32Array, at: number): boolean {
  for (let i = at, end = at + PAGE_SIZE / 4; i < end; i++) if (words[i] !== 0) return false;
  return true;
}

/** Restores checkpoint `id` into `vm` (built with the same RAM size and disks); clears the dirty logs. */
export function restoreMachine(vm: VirtMachine, repo: Repository, id: number): CheckpointMeta {
  const data = repo.readCheckpoint(id);
  const { disks, pageCount } = diskLayout(vm);
  const ram = vm.ram.u8;
  const ramPages = vm.ram.pages;
  if (data.meta.pageCount < ramPages) throw new Error(`checkpoint ${id} holds ${data.meta.pageCount} pages, the machine has ${ramPages} pages of RAM`);
  const rec = decodeState(data.deviceState);
  const wrapped = rec.kind === WRAPPER;
  const machineState = wrapped ? (rec.machine as unknown as StateRecord) : rec;
  const diskRuns = wrapped ? (rec.disks as unknown as unknown[]) : [];
  if (diskRuns.length !== disks.length || (wrapped && data.meta.pageCount !== pageCount) || (!wrapped && data.meta.pageCount !== ramPages)) {
    throw new Error(`checkpoint ${id} is for a machine with ${diskRuns.length} disk(s) and ${data.meta.pageCount} pages; this one has ${disks.length} disk(s) and ${pageCount} pages`);
  }
  // Validate everything that can fail before touching the machine.
  const held = disks.map((d, i) => fromRuns(diskRuns[i], d.blocks));
  const words = new Int32Array(ram.buffer, ram.byteOffset, ram.length >>> 2);
  for (let p = 0; p < ramPages; p++) {
    const c = data.map[p];
    const off = p * PAGE_SIZE;
    if (c === 0) {
      // skipping pages already zero avoids faulting in untouched RAM
      if (!isZeroPage(words, off >>> 2)) ram.fill(0, off, off + PAGE_SIZE);
    } else repo.readChunkInto(c, ram.subarray(off, off + PAGE_SIZE), id);
  }
  disks.forEach((d, i) => {
    const blocks = held[i].map((index) => {
      const data8 = new Uint8Array(PAGE_SIZE);
      const c = data.map[d.firstPage + index];
      if (c !== 0) repo.readChunkInto(c, data8, id);
      return { index, data: data8 };
    });
    d.overlay.discard();
    d.overlay.importBlocks(blocks);
  });
  vm.loadState(machineState);
  const input = savableInput(vm);
  if (wrapped && rec.input && input) input.loadState(rec.input as unknown as StateRecord);
  vm.ram.clearDirty();
  for (const d of disks) d.overlay.clearDirty();
  return data.meta;
}

/** `100ms`, `1s`, `25ms` (guest time) or `50M`, `10000000` (instructions). */
export interface CheckpointInterval { unit: 'ticks' | 'instructions'; every: number }

export function parseCheckpointInterval(text: string, ticksPerSecond: number): CheckpointInterval {
  const t = text.trim().toLowerCase();
  const time = /^(\d+(?:\.\d+)?)(ms|s|us)$/.exec(t);
  if (time) {
    const scale = time[2] === 's' ? 1 : time[2] === 'ms' ? 1e-3 : 1e-6;
    const every = Math.round(Number(time[1]) * scale * ticksPerSecond);
    if (!(every > 0)) throw new Error(`--checkpoint-every ${text}: interval too short`);
    return { unit: 'ticks', every };
  }
  const count = /^(\d+(?:\.\d+)?)([kmg]?)$/.exec(t);
  if (count) {
    const every = Math.round(Number(count[1]) * ({ '': 1, k: 1e3, m: 1e6, g: 1e9 } as Record<string, number>)[count[2]]);
    if (!(every > 0)) throw new Error(`--checkpoint-every ${text}: interval must be positive`);
    return { unit: 'instructions', every };
  }
  throw new Error(`--checkpoint-every ${text}: expected a guest time (100ms, 1s) or an instruction count (50M)`);
}

/**
 * Periodic captures on a grid of guest time or instructions. A driver bounds
 * each run() slice with `limit()`, bounds idle skips with `skipLimit()` (in
 * the virtual clock an idle hart jumps to its next timer deadline, which may
 * lie seconds past the next checkpoint) and calls `poll()` between slices;
 * `step()` does all three for API users. Instruction-count checkpoints land
 * exactly on their boundary, guest-time ones at the first instruction
 * boundary at or after it.
 */
export class CheckpointSchedule {
  private next: number;
  constructor(readonly checkpointer: MachineCheckpointer, readonly interval: CheckpointInterval) {
    this.next = this.position() + interval.every;
  }

  private position(): number {
    return this.interval.unit === 'ticks' ? this.checkpointer.vm.now() : this.checkpointer.vm.instret;
  }

  /** Largest slice (instructions) that does not run past the next checkpoint. */
  limit(max: number): number {
    const left = this.next - this.position();
    // ticks → instructions is exact in the virtual clock while the hart is busy
    const instr = this.interval.unit === 'ticks' ? left * ticksToInstructions(this.checkpointer.vm) : left;
    return Math.max(1, Math.min(max, instr));
  }

  /** How far an idle hart waiting for `deadline` may skip before the next checkpoint is due. */
  skipLimit(deadline: number): number {
    return this.interval.unit === 'ticks' ? Math.min(deadline, Math.max(this.next, this.checkpointer.vm.now())) : deadline;
  }

  /** Captures if the interval has elapsed. */
  poll(): CaptureResult | null {
    const pos = this.position();
    if (pos < this.next) return null;
    const r = this.checkpointer.capture();
    const every = this.interval.every;
    this.next = this.next + every * (Math.floor((pos - this.next) / every) + 1);
    return r;
  }

  /** Runs one slice of at most `max` instructions (bounded by the schedule), skipping idle time up to the next checkpoint, then polls. */
  step(max: number): { stop: StopReason; capture: CaptureResult | null } {
    const vm = this.checkpointer.vm;
    const stop = vm.run(this.limit(max), this.interval.unit === 'ticks' ? 'return' : 'skip');
    if (stop.kind === 'idle' && stop.deadline !== Infinity) vm.skipTo(this.skipLimit(stop.deadline));
    return { stop, capture: this.poll() };
  }
}

function ticksToInstructions(vm: VirtMachine): number {
  return vm.clockMode === 'virtual' ? INSTRUCTIONS_PER_TICK : 1;
}
