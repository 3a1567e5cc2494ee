/**
 * One descriptor chain popped from a virtqueue, flattened into guest buffer
 * segments: the device-readable ones first, then the device-writable ones.
 * A chain object is reused for every request (no per-request allocation);
 * every segment was checked to lie inside guest RAM when it was added.
 */
import type { GuestMemory } from '../memory.js';

export class DescriptorChain {
  /** Descriptor index of the chain head (what goes into the used ring). */
  head = 0;
  count = 0;
  readableCount = 0;
  readableLength = 0;
  writableLength = 0;
  readonly addr: Float64Array;
  readonly len: Uint32Array;

  constructor(
    readonly mem: GuestMemory,
    readonly capacity: number,
  ) {
    this.addr = new Float64Array(capacity);
    this.len = new Uint32Array(capacity);
  }

  clear(head: number): void {
    this.head = head;
    this.count = 0;
    this.readableCount = 0;
    this.readableLength = 0;
    this.writableLength = 0;
  }

  /** Appends a segment; the caller has validated it and the ordering. Returns false when full. */
  add(addr: number, len: number, writable: boolean): boolean {
    if (this.count >= this.capacity) return false;
    this.addr[this.count] = addr;
    this.len[this.count] = len;
    this.count++;
    if (writable) {
      this.writableLength += len;
    } else {
      this.readableCount++;
      this.readableLength += len;
    }
    return true;
  }

  /** Copies device-readable bytes starting at `offset` into `dst`; returns the number copied. */
  readInto(offset: number, dst: Uint8Array, dstOffset = 0, length = dst.length - dstOffset): number {
    const u8 = this.mem.u8;
    let done = 0;
    let skip = offset;
    for (let i = 0; i < this.readableCount && done < length; i++) {
      const l = this.len[i];
      if (skip >= l) {
        skip -= l;
        continue;
      }
      const n = Math.min(l - skip, length - done);
      this.mem.ensure(this.addr[i] + skip, n);
      const o = this.mem.offset(this.addr[i]) + skip;
      this.mem.dmaHook?.(this.addr[i] + skip, n, false);
      dst.set(u8.subarray(o, o + n), dstOffset + done);
      done += n;
      skip = 0;
    }
    return done;
  }

  /**
   * Writes `src` into the device-writable bytes starting at `offset`
   * through GuestMemory.write (so the dirty log sees it); returns the number written.
   */
  writeFrom(offset: number, src: Uint8Array, srcOffset = 0, length = src.length - srcOffset): number {
    let done = 0;
    let skip = offset;
    for (let i = this.readableCount; i < this.count && done < length; i++) {
      const l = this.len[i];
      if (skip >= l) {
        skip -= l;
        continue;
      }
      const n = Math.min(l - skip, length - done);
      this.mem.write(this.addr[i] + skip, src.subarray(srcOffset + done, srcOffset + done + n));
      done += n;
      skip = 0;
    }
    return done;
  }
}
