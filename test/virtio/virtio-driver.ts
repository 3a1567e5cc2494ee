/**
 * A minimal virtio-mmio driver for tests: lays out descriptor tables and
 * rings in GuestMemory and drives a transport through its registers in the
 * order Linux's virtio_mmio / virtio_ring do.
 */
import { GuestMemory } from '../../src/machine/memory.js';
import type { IrqSink } from '../../src/machine/irq.js';
import type { MmioDevice } from '../../src/machine/bus.js';
import {
  F_INDIRECT_DESC,
  F_VERSION_1,
  Reg,
  STATUS_ACKNOWLEDGE,
  STATUS_DRIVER,
  STATUS_DRIVER_OK,
  STATUS_FEATURES_OK,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  featureBit,
} from '../../src/machine/virtio/virtio-constants.js';

export const RAM_BASE = 0x8000_0000;

export class RecordingIrq implements IrqSink {
  readonly levels = new Map<number, boolean>();
  changes = 0;
  setLevel(source: number, level: boolean): void {
    if (this.levels.get(source) !== level) this.changes++;
    this.levels.set(source, level);
  }
  level(source: number): boolean {
    return this.levels.get(source) === true;
  }
}

export interface Buf {
  addr: number;
  len: number;
  write: boolean;
}

export interface UsedElem {
  id: number;
  len: number;
}

export class DriverQueue {
  readonly free: number[] = [];
  availIdx = 0;
  lastUsed = 0;
  /** Descriptor indices of each outstanding head, to free on completion. */
  readonly chains = new Map<number, number[]>();
  constructor(
    readonly index: number,
    readonly size: number,
    readonly desc: number,
    readonly avail: number,
    readonly used: number,
  ) {
    for (let i = 0; i < size; i++) this.free.push(i);
  }
}

export class TestDriver {
  private next: number;
  readonly queues: DriverQueue[] = [];
  deviceFeatures = 0n;

  constructor(
    readonly dev: MmioDevice,
    readonly mem: GuestMemory,
    /** Allocations start here (guest-physical). */
    allocFrom = mem.base,
  ) {
    this.next = allocFrom;
  }

  reg(offset: number): number {
    return this.dev.read(offset, 4);
  }

  setReg(offset: number, value: number): void {
    this.dev.write(offset, 4, value >>> 0);
  }

  alloc(len: number, align = 16): number {
    const a = Math.ceil(this.next / align) * align;
    if (!this.mem.contains(a, len)) throw new Error('test driver out of RAM');
    this.next = a + len;
    return a;
  }

  /** Status handshake and feature negotiation; returns the negotiated features (or null if refused). */
  negotiate(wanted: bigint | null = null): bigint | null {
    this.setReg(Reg.Status, 0);
    this.setReg(Reg.Status, STATUS_ACKNOWLEDGE);
    this.setReg(Reg.Status, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
    this.setReg(Reg.DeviceFeaturesSel, 1);
    const hi = BigInt(this.reg(Reg.DeviceFeatures));
    this.setReg(Reg.DeviceFeaturesSel, 0);
    const lo = BigInt(this.reg(Reg.DeviceFeatures));
    this.deviceFeatures = (hi << 32n) | lo;
    const accept = wanted ?? this.deviceFeatures;
    this.setReg(Reg.DriverFeaturesSel, 1);
    this.setReg(Reg.DriverFeatures, Number(accept >> 32n));
    this.setReg(Reg.DriverFeaturesSel, 0);
    this.setReg(Reg.DriverFeatures, Number(accept & 0xffffffffn));
    this.setReg(Reg.Status, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
    if ((this.reg(Reg.Status) & STATUS_FEATURES_OK) === 0) return null;
    return accept;
  }

  setupQueue(index: number, size?: number): DriverQueue {
    this.setReg(Reg.QueueSel, index);
    if (this.reg(Reg.QueueReady) !== 0) throw new Error('queue already set up');
    const max = this.reg(Reg.QueueNumMax);
    if (max === 0) throw new Error(`queue ${index} does not exist`);
    const n = Math.min(size ?? max, max);
    const desc = this.alloc(16 * n, 16);
    const avail = this.alloc(6 + 2 * n, 2);
    const used = this.alloc(6 + 8 * n, 4);
    this.setReg(Reg.QueueNum, n);
    this.setReg(Reg.QueueDescLow, desc % 2 ** 32);
    this.setReg(Reg.QueueDescHigh, Math.floor(desc / 2 ** 32));
    this.setReg(Reg.QueueDriverLow, avail % 2 ** 32);
    this.setReg(Reg.QueueDriverHigh, Math.floor(avail / 2 ** 32));
    this.setReg(Reg.QueueDeviceLow, used % 2 ** 32);
    this.setReg(Reg.QueueDeviceHigh, Math.floor(used / 2 ** 32));
    this.setReg(Reg.QueueReady, 1);
    const q = new DriverQueue(index, n, desc, avail, used);
    this.queues[index] = q;
    return q;
  }

  driverOk(): void {
    this.setReg(Reg.Status, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
  }

  /** Full Linux-style bring-up of a device with `queueCount` queues. */
  init(queueCount: number, wanted: bigint | null = null, queueSize?: number): bigint {
    const f = this.negotiate(wanted);
    if (f === null) throw new Error('features refused');
    for (let i = 0; i < queueCount; i++) this.setupQueue(i, queueSize);
    this.driverOk();
    return f;
  }

  private writeDesc(table: number, i: number, addr: number, len: number, flags: number, next: number): void {
    this.mem.writeU32(table + 16 * i, addr % 2 ** 32);
    this.mem.writeU32(table + 16 * i + 4, Math.floor(addr / 2 ** 32));
    this.mem.writeU32(table + 16 * i + 8, len);
    this.mem.writeU16(table + 16 * i + 12, flags);
    this.mem.writeU16(table + 16 * i + 14, next);
  }

  /** Adds a chain to the avail ring (does not notify); returns its head. */
  submit(qi: number, bufs: Buf[], indirect = false): number {
    const q = this.queues[qi];
    if (indirect) {
      const table = this.alloc(16 * bufs.length, 16);
      bufs.forEach((b, i) => {
        const last = i === bufs.length - 1;
        this.writeDesc(table, i, b.addr, b.len, (b.write ? VIRTQ_DESC_F_WRITE : 0) | (last ? 0 : VIRTQ_DESC_F_NEXT), last ? 0 : i + 1);
      });
      const d = q.free.shift();
      if (d === undefined) throw new Error('queue full');
      this.writeDesc(q.desc, d, table, 16 * bufs.length, VIRTQ_DESC_F_INDIRECT, 0);
      q.chains.set(d, [d]);
      this.publish(q, d);
      return d;
    }
    if (q.free.length < bufs.length) throw new Error('queue full');
    const ids = q.free.splice(0, bufs.length);
    bufs.forEach((b, i) => {
      const last = i === bufs.length - 1;
      this.writeDesc(q.desc, ids[i], b.addr, b.len, (b.write ? VIRTQ_DESC_F_WRITE : 0) | (last ? 0 : VIRTQ_DESC_F_NEXT), last ? 0 : ids[i + 1]);
    });
    q.chains.set(ids[0], ids);
    this.publish(q, ids[0]);
    return ids[0];
  }

  private publish(q: DriverQueue, head: number): void {
    this.mem.writeU16(q.avail + 4 + 2 * (q.availIdx % q.size), head);
    q.availIdx = (q.availIdx + 1) & 0xffff;
    this.mem.writeU16(q.avail + 2, q.availIdx);
  }

  notify(qi: number): void {
    this.setReg(Reg.QueueNotify, qi);
  }

  /** Used elements since the last call, freeing their descriptors. */
  collect(qi: number): UsedElem[] {
    const q = this.queues[qi];
    const out: UsedElem[] = [];
    const usedIdx = this.mem.readU16(q.used + 2);
    while (q.lastUsed !== usedIdx) {
      const e = q.used + 4 + 8 * (q.lastUsed % q.size);
      const id = this.mem.readU32(e);
      out.push({ id, len: this.mem.readU32(e + 4) });
      const ids = q.chains.get(id);
      if (ids !== undefined) {
        q.free.push(...ids);
        q.chains.delete(id);
      }
      q.lastUsed = (q.lastUsed + 1) & 0xffff;
    }
    return out;
  }

  /** Reads and acknowledges InterruptStatus (what the Linux ISR does). */
  ackInterrupt(): number {
    const s = this.reg(Reg.InterruptStatus);
    this.setReg(Reg.InterruptACK, s);
    return s;
  }

  readConfig(offset: number, size: 1 | 2 | 4): number {
    return this.dev.read(Reg.Config + offset, size);
  }
}

export function newRam(size = 1 << 20): GuestMemory {
  return new GuestMemory(RAM_BASE, size);
}

export const VERSION_1 = featureBit(F_VERSION_1);
export const INDIRECT = featureBit(F_INDIRECT_DESC);
