/**
 * A split virtqueue (virtio 1.1 §2.6) over guest RAM.
 *
 * Everything read from the guest is validated: ring placement when the queue
 * is enabled, the avail index, descriptor indices, buffer ranges, chain length
 * (which also catches loops), readable-before-writable ordering and total
 * length. A violation calls `onFault` (the transport then sets
 * DEVICE_NEEDS_RESET) and the queue stops until reset. No method throws on
 * guest-controlled values.
 */
import type { GuestMemory } from '../memory.js';
import type { StateRecord } from '../state.js';
import { expectVersion } from '../state.js';
import type { DescriptorChain } from './descriptor-chain.js';
import { VIRTQ_AVAIL_F_NO_INTERRUPT, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from './virtio-constants.js';

const TWO32 = 0x1_0000_0000;
const MAX_CHAIN_BYTES = 0xffff_ffff; // used.len is 32 bits

export class Virtqueue {
  /** Register values as the driver wrote them (halves kept exact). */
  num = 0;
  descLo = 0;
  descHi = 0;
  driverLo = 0;
  driverHi = 0;
  deviceLo = 0;
  deviceHi = 0;

  ready = false;
  /** Set once a fault was reported; cleared by reset. */
  broken = false;
  /** VIRTIO_F_INDIRECT_DESC negotiated. */
  indirect = false;
  lastAvail = 0;
  usedIdx = 0;

  private descAddr = 0;
  private availAddr = 0;
  private usedAddr = 0;

  constructor(
    readonly mem: GuestMemory,
    readonly maxSize: number,
    /** Largest indirect table accepted (entries). */
    readonly maxIndirect: number,
    private readonly onFault: (reason: string) => void,
  ) {
    if (maxSize < 1 || maxSize > 32768 || (maxSize & (maxSize - 1)) !== 0) throw new Error(`bad virtqueue max size ${maxSize}`);
  }

  reset(): void {
    this.num = 0;
    this.descLo = this.descHi = this.driverLo = this.driverHi = this.deviceLo = this.deviceHi = 0;
    this.ready = false;
    this.broken = false;
    this.lastAvail = 0;
    this.usedIdx = 0;
    this.descAddr = this.availAddr = this.usedAddr = 0;
  }

  /** Why the configured queue cannot be used, or null when it can. */
  validate(): string | null {
    const n = this.num;
    if (n === 0 || n > this.maxSize || (n & (n - 1)) !== 0) return `queue size ${n} is not a power of two <= ${this.maxSize}`;
    const desc = this.descHi * TWO32 + this.descLo;
    const avail = this.driverHi * TWO32 + this.driverLo;
    const used = this.deviceHi * TWO32 + this.deviceLo;
    // Sizes include the event-index fields so either driver mode stays inside RAM.
    if (desc % 16 !== 0 || !this.mem.contains(desc, 16 * n)) return `descriptor table 0x${desc.toString(16)} invalid`;
    if (avail % 2 !== 0 || !this.mem.contains(avail, 6 + 2 * n)) return `avail ring 0x${avail.toString(16)} invalid`;
    if (used % 4 !== 0 || !this.mem.contains(used, 6 + 8 * n)) return `used ring 0x${used.toString(16)} invalid`;
    return null;
  }

  /** QueueReady=1: validates and enables; reports a fault and stays disabled on a bad layout. */
  enable(): boolean {
    const why = this.validate();
    if (why !== null) {
      this.fail(why);
      return false;
    }
    this.descAddr = this.descHi * TWO32 + this.descLo;
    this.availAddr = this.driverHi * TWO32 + this.driverLo;
    this.usedAddr = this.deviceHi * TWO32 + this.deviceLo;
    this.ready = true;
    return true;
  }

  /** Recomputes cached addresses after loadState. */
  private relink(): void {
    this.descAddr = this.descHi * TWO32 + this.descLo;
    this.availAddr = this.driverHi * TWO32 + this.driverLo;
    this.usedAddr = this.deviceHi * TWO32 + this.deviceLo;
  }

  get usable(): boolean {
    return this.ready && !this.broken;
  }

  /** True when the driver has made at least one chain available (and the queue is usable). */
  hasAvailable(): boolean {
    if (!this.usable) return false;
    return this.mem.readU16(this.availAddr + 2) !== this.lastAvail;
  }

  /** Chains the driver has made available and the device not yet taken (0 when unusable). */
  availableCount(): number {
    if (!this.usable) return 0;
    const pending = (this.mem.readU16(this.availAddr + 2) - this.lastAvail) & 0xffff;
    return pending > this.num ? 0 : pending;
  }

  /**
   * Pops the next available chain into `chain`. Returns false when the queue
   * is empty, unusable, or the chain was malformed (then the fault is reported).
   */
  pop(chain: DescriptorChain): boolean {
    if (!this.usable) return false;
    const mem = this.mem;
    const n = this.num;
    const availIdx = mem.readU16(this.availAddr + 2);
    const pending = (availIdx - this.lastAvail) & 0xffff;
    if (pending === 0) return false;
    if (pending > n) return this.fail(`avail index ${availIdx} is ${pending} ahead of ${this.lastAvail} (queue size ${n})`);
    const head = mem.readU16(this.availAddr + 4 + 2 * (this.lastAvail & (n - 1)));
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    if (head >= n) return this.fail(`avail ring head ${head} out of range`);
    chain.clear(head);

    let table = this.descAddr;
    let tableSize = n;
    let inIndirect = false;
    let i = head;
    let steps = 0;
    while (true) {
      const d = table + 16 * i;
      const lo = mem.readU32(d);
      const hi = mem.readU32(d + 4);
      const len = mem.readU32(d + 8);
      const flags = mem.readU16(d + 12);
      const next = mem.readU16(d + 14);
      // Above 2^53 the address cannot be exact; it is outside any RAM anyway.
      const addr = hi >= 0x200000 ? Number.MAX_SAFE_INTEGER : hi * TWO32 + lo;

      if ((flags & VIRTQ_DESC_F_INDIRECT) !== 0) {
        if (!this.indirect) return this.fail('indirect descriptor without VIRTIO_F_INDIRECT_DESC');
        if (inIndirect || steps !== 0) return this.fail('indirect descriptor not at the chain head');
        if ((flags & VIRTQ_DESC_F_NEXT) !== 0) return this.fail('indirect descriptor with NEXT');
        if (len === 0 || len % 16 !== 0 || len / 16 > this.maxIndirect) return this.fail(`indirect table length ${len} invalid`);
        if (!mem.contains(addr, len)) return this.fail(`indirect table 0x${addr.toString(16)}+${len} outside RAM`);
        table = addr;
        tableSize = len / 16;
        inIndirect = true;
        i = 0;
        continue;
      }

      if (!mem.contains(addr, len)) return this.fail(`buffer 0x${addr.toString(16)}+${len} outside RAM`);
      const writable = (flags & VIRTQ_DESC_F_WRITE) !== 0;
      if (!writable && chain.count > chain.readableCount) {
        return this.fail('device-readable descriptor after a device-writable one');
      }
      if (chain.readableLength + chain.writableLength + len > MAX_CHAIN_BYTES) return this.fail('chain longer than 4 GiB');
      if (!chain.add(addr, len, writable)) return this.fail('chain has too many descriptors');
      if ((flags & VIRTQ_DESC_F_NEXT) === 0) return true;
      if (next >= tableSize) return this.fail(`descriptor next ${next} out of range`);
      if (++steps >= tableSize) return this.fail('descriptor chain loops');
      i = next;
    }
  }

  /** Gives back the chain last popped (the device could not use it yet). */
  unpop(): void {
    this.lastAvail = (this.lastAvail - 1) & 0xffff;
  }

  /** Returns a chain to the driver with `len` bytes written into it. */
  push(head: number, len: number): void {
    if (!this.usable) return;
    const slot = this.usedAddr + 4 + 8 * (this.usedIdx & (this.num - 1));
    this.mem.writeU32(slot, head);
    this.mem.writeU32(slot + 4, len);
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    this.mem.writeU16(this.usedAddr + 2, this.usedIdx);
  }

  /** The driver's interrupt-suppression hint (no event index is offered). */
  wantsInterrupt(): boolean {
    // Still answers after a fault: chains completed before it deserve their interrupt.
    if (!this.ready) return false;
    return (this.mem.readU16(this.availAddr) & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
  }

  private fail(reason: string): false {
    if (!this.broken) {
      this.broken = true;
      this.onFault(reason);
    }
    return false;
  }

  saveState(): StateRecord {
    return {
      version: 1,
      num: this.num,
      desc: [this.descLo, this.descHi],
      driver: [this.driverLo, this.driverHi],
      device: [this.deviceLo, this.deviceHi],
      ready: this.ready,
      broken: this.broken,
      indirect: this.indirect,
      lastAvail: this.lastAvail,
      usedIdx: this.usedIdx,
    };
  }

  loadState(r: StateRecord): void {
    expectVersion(r, 'virtqueue', 1);
    const pair = (v: unknown, what: string): [number, number] => {
      if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'number' || typeof v[1] !== 'number') {
        throw new Error(`virtqueue: bad ${what} in state record`);
      }
      return [v[0] >>> 0, v[1] >>> 0];
    };
    [this.descLo, this.descHi] = pair(r.desc, 'desc');
    [this.driverLo, this.driverHi] = pair(r.driver, 'driver');
    [this.deviceLo, this.deviceHi] = pair(r.device, 'device');
    this.num = num(r.num, 'num') >>> 0;
    this.ready = r.ready === true;
    this.broken = r.broken === true;
    this.indirect = r.indirect === true;
    this.lastAvail = num(r.lastAvail, 'lastAvail') & 0xffff;
    this.usedIdx = num(r.usedIdx, 'usedIdx') & 0xffff;
    if (this.ready && this.validate() !== null) throw new Error('virtqueue: state record has a ready queue with an invalid layout');
    this.relink();
  }
}

function num(v: unknown, what: string): number {
  if (typeof v !== 'number') throw new Error(`virtqueue: bad ${what} in state record`);
  return v;
}
