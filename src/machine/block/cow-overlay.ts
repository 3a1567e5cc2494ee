/**
 * Copy-on-write overlay: reads fall through to a base device, writes land in
 * memory-held blocks and the base is never written. Blocks written since the
 * last `clearDirty()` are tracked so a checkpoint can store only the disk
 * delta; `saveState()` captures the whole overlay.
 */
import type { StateRecord, Stateful } from '../state.js';
import { expectVersion } from '../state.js';
import type { BlockDevice } from './block-device.js';
import { checkRange } from './block-device.js';

export interface OverlayBlock {
  readonly index: number;
  readonly data: Uint8Array;
}

export class CowOverlay implements BlockDevice, Stateful {
  readonly readOnly = false;
  readonly size: number;
  private readonly blocks = new Map<number, Uint8Array>();
  private readonly dirty = new Set<number>();

  constructor(
    readonly base: BlockDevice,
    readonly blockSize = 4096,
  ) {
    if (blockSize < 512 || (blockSize & (blockSize - 1)) !== 0) throw new Error(`overlay block size ${blockSize} must be a power of two >= 512`);
    this.size = base.size;
  }

  /** Number of blocks held in the overlay. */
  get blockCount(): number {
    return this.blocks.size;
  }

  read(offset: number, dst: Uint8Array): void {
    checkRange(this.size, offset, dst.length);
    const bs = this.blockSize;
    let done = 0;
    while (done < dst.length) {
      const pos = offset + done;
      const index = Math.floor(pos / bs);
      const within = pos - index * bs;
      const n = Math.min(bs - within, dst.length - done);
      const block = this.blocks.get(index);
      if (block !== undefined) {
        dst.set(block.subarray(within, within + n), done);
      } else {
        // Coalesce a run of blocks the overlay does not hold into one base read.
        let end = pos + n;
        while (end < offset + dst.length && !this.blocks.has(end / bs)) end = Math.min(end + bs, offset + dst.length);
        this.base.read(pos, dst.subarray(done, done + (end - pos)));
        done += end - pos;
        continue;
      }
      done += n;
    }
  }

  write(offset: number, src: Uint8Array): void {
    checkRange(this.size, offset, src.length);
    const bs = this.blockSize;
    let done = 0;
    while (done < src.length) {
      const pos = offset + done;
      const index = Math.floor(pos / bs);
      const within = pos - index * bs;
      const n = Math.min(bs - within, src.length - done);
      let block = this.blocks.get(index);
      if (block === undefined) {
        block = new Uint8Array(bs);
        // A partial write keeps the rest of the block's base contents; the last
        // block of a device whose size is not a multiple of bs is short.
        const start = index * bs;
        const valid = Math.min(bs, this.size - start);
        if (within !== 0 || n < valid) this.base.read(start, block.subarray(0, valid));
        this.blocks.set(index, block);
      }
      block.set(src.subarray(done, done + n), within);
      this.dirty.add(index);
      done += n;
    }
  }

  flush(): void {
    // Overlay contents live in memory; persistence is the checkpoint's job.
  }

  /** Indices of blocks written since the last clearDirty(), ascending. */
  dirtyBlocks(): number[] {
    return [...this.dirty].sort((a, b) => a - b);
  }

  /** Indices of every block the overlay holds, ascending. */
  heldBlocks(): number[] {
    return [...this.blocks.keys()].sort((a, b) => a - b);
  }

  clearDirty(): void {
    this.dirty.clear();
  }

  /** Copies of the given overlay blocks (indices not in the overlay are skipped). */
  exportBlocks(indices: readonly number[]): OverlayBlock[] {
    const out: OverlayBlock[] = [];
    for (const index of indices) {
      const b = this.blocks.get(index);
      if (b !== undefined) out.push({ index, data: b.slice() });
    }
    return out;
  }

  /** Installs blocks (e.g. a checkpoint delta) without marking them dirty. */
  importBlocks(blocks: readonly OverlayBlock[]): void {
    const bs = this.blockSize;
    const limit = Math.ceil(this.size / bs);
    // Validate everything first so a bad record leaves the overlay untouched.
    for (const b of blocks) {
      const { index, data } = b ?? {};
      if (!Number.isInteger(index) || index < 0 || index >= limit || !(data instanceof Uint8Array) || data.length !== bs) {
        throw new Error(`cow-overlay: bad block ${String(index)} in state`);
      }
    }
    for (const { index, data } of blocks) this.blocks.set(index, data.slice());
  }

  /** Drops every overlay block: the disk reads as the base again. */
  discard(): void {
    this.blocks.clear();
    this.dirty.clear();
  }

  /** The whole overlay. Loading it replaces the overlay and leaves the dirty set empty. */
  saveState(): StateRecord {
    const indices = [...this.blocks.keys()].sort((a, b) => a - b);
    return {
      version: 1,
      blockSize: this.blockSize,
      size: this.size,
      blocks: this.exportBlocks(indices).map((b) => ({ index: b.index, data: b.data })),
    };
  }

  loadState(r: StateRecord): void {
    expectVersion(r, 'cow-overlay', 1);
    if (r.blockSize !== this.blockSize || r.size !== this.size) {
      throw new Error(`cow-overlay: state is for block size ${String(r.blockSize)} / size ${String(r.size)}, this overlay has ${this.blockSize} / ${this.size}`);
    }
    if (!Array.isArray(r.blocks)) throw new Error('cow-overlay: bad blocks in state');
    const blocks = r.blocks as unknown as OverlayBlock[];
    const saved = new Map(this.blocks);
    this.discard();
    try {
      this.importBlocks(blocks);
    } catch (e) {
      for (const [i, d] of saved) this.blocks.set(i, d);
      throw e;
    }
  }
}
