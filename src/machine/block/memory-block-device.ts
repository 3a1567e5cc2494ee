/** A block device held entirely in memory (tests, small scratch disks, browser use). */
import type { BlockDevice } from './block-device.js';
import { checkRange } from './block-device.js';

export class MemoryBlockDevice implements BlockDevice {
  readonly data: Uint8Array;
  flushes = 0;

  /** Takes ownership of `data` (not copied). */
  constructor(
    data: Uint8Array | number,
    readonly readOnly = false,
  ) {
    this.data = typeof data === 'number' ? new Uint8Array(data) : data;
  }

  get size(): number {
    return this.data.length;
  }

  read(offset: number, dst: Uint8Array): void {
    checkRange(this.size, offset, dst.length);
    dst.set(this.data.subarray(offset, offset + dst.length));
  }

  write(offset: number, src: Uint8Array): void {
    if (this.readOnly) throw new Error('write to a read-only block device');
    checkRange(this.size, offset, src.length);
    this.data.set(src, offset);
  }

  flush(): void {
    this.flushes++;
  }
}
