/**
 * Physical address space: RAM plus memory-mapped devices.
 * Devices see at most 4-byte accesses: the hart (loadSlow/storeSlow) splits
 * an 8-byte access into two little-endian 4-byte halves (low first) before it
 * reaches the bus, which every device on the virt board tolerates.
 */
import type { GuestMemory } from './memory.js';

export type AccessSize = 1 | 2 | 4;

export interface MmioDevice {
  /** Returns the unsigned value at `offset` (relative to the device base). */
  read(offset: number, size: AccessSize): number;
  write(offset: number, size: AccessSize, value: number): void;
  /**
   * True when accesses never move a timer deadline or need the machine's
   * attention between instructions: the hart then keeps running its slice
   * after them (a changed interrupt line still ends it, through the hart's
   * setPending). Absent: every access ends the slice, the safe default.
   */
  readonly keepsSlice?: boolean;
}

export interface MmioRegion {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  readonly device: MmioDevice;
}

export class Bus {
  readonly regions: MmioRegion[] = [];
  private lastHit: MmioRegion | null = null;

  constructor(readonly ram: GuestMemory) {}

  map(name: string, base: number, size: number, device: MmioDevice): void {
    for (const r of this.regions) {
      if (base < r.base + r.size && r.base < base + size) {
        throw new Error(`MMIO region ${name} overlaps ${r.name}`);
      }
    }
    this.regions.push({ name, base, size, device });
  }

  /** The region containing [pa, pa+len), or null (an access fault). */
  find(pa: number, len: number): MmioRegion | null {
    const h = this.lastHit;
    if (h !== null && pa >= h.base && pa + len <= h.base + h.size) return h;
    for (const r of this.regions) {
      if (pa >= r.base && pa + len <= r.base + r.size) {
        this.lastHit = r;
        return r;
      }
    }
    return null;
  }
}
