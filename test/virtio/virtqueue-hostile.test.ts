/**
 * Hostile-guest properties: whatever the guest puts in registers, descriptor
 * tables and rings, the devices never throw from MMIO read/write, never write
 * guest RAM except through GuestMemory's checked DMA helpers, and finish
 * quickly. RAM is 64 KiB, far smaller than most generated addresses.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GuestMemory } from '../../src/machine/memory.js';
import { VirtioMmioTransport } from '../../src/machine/virtio/mmio-transport.js';
import { VirtioBlk } from '../../src/machine/virtio/virtio-blk.js';
import { VirtioNet } from '../../src/machine/virtio/virtio-net.js';
import { VirtioRng } from '../../src/machine/virtio/virtio-rng.js';
import { VirtioBalloon } from '../../src/machine/virtio/virtio-balloon.js';
import { LoopbackNetBackend } from '../../src/machine/virtio/net-backend.js';
import { MemoryBlockDevice } from '../../src/machine/block/memory-block-device.js';
import { CowOverlay } from '../../src/machine/block/cow-overlay.js';
import { InputPort, SeededInputSource } from '../../src/machine/input.js';
import { Reg, STATUS_DEVICE_NEEDS_RESET } from '../../src/machine/virtio/virtio-constants.js';
import type { VirtioDevice } from '../../src/machine/virtio/virtio-device.js';
import { INDIRECT, RAM_BASE, RecordingIrq, TestDriver, VERSION_1 } from './virtio-driver.js';

const RAM_SIZE = 64 * 1024;

/** Records every DMA write range so the test can prove nothing else changed RAM. */
class AuditedMemory extends GuestMemory {
  readonly writes: Array<[number, number]> = [];
  override write(pa: number, data: Uint8Array): void {
    super.write(pa, data);
    this.writes.push([pa, data.length]);
  }
  override writeU16(pa: number, v: number): void {
    super.writeU16(pa, v);
    this.writes.push([pa, 2]);
  }
  override writeU32(pa: number, v: number): void {
    super.writeU32(pa, v);
    this.writes.push([pa, 4]);
  }
  override discard(pa: number, len: number): number {
    const n = super.discard(pa, len);
    this.writes.push([pa, len]);
    return n;
  }
}

type Kind = 'blk' | 'net' | 'rng' | 'balloon';

function makeDevice(kind: Kind): { dev: VirtioDevice; net?: VirtioNet } {
  const input = new InputPort(new SeededInputSource(3), () => ({ instret: 0, pc: 0 }));
  switch (kind) {
    case 'blk':
      return { dev: new VirtioBlk(new CowOverlay(new MemoryBlockDevice(32 * 1024, true)), { queueSize: 32 }) };
    case 'rng':
      return { dev: new VirtioRng(input, 32) };
    case 'balloon':
      return { dev: new VirtioBalloon({ queueSize: 32 }) };
    case 'net': {
      const loop = new LoopbackNetBackend();
      const net = new VirtioNet(loop, { queueSize: 32 });
      loop.receiver = (f) => net.receive(f);
      return { dev: net, net };
    }
  }
}

/** Addresses that hit RAM edges, straddle them, or are far outside (RAM is smaller than most). */
const addr32 = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0x2000, max: RAM_SIZE - 1 }).map((o) => RAM_BASE + o) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: RAM_SIZE - 1 }).map((o) => RAM_BASE + o) },
  { weight: 1, arbitrary: fc.constantFrom(RAM_BASE - 16, RAM_BASE + RAM_SIZE - 16, RAM_BASE + RAM_SIZE - 1, RAM_BASE + RAM_SIZE, 0, 0xffff_fff0, 0xffff_ffff) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff_ffff }) },
);
const hi32 = fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, fc.integer({ min: 0, max: 0xffff_ffff }), fc.constantFrom(0x1fffff, 0x200000));
const len32 = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 600 }) },
  { weight: 2, arbitrary: fc.constantFrom(0, 1, 12, 15, 16, 17, 512, 1024, 4096, RAM_SIZE, 0x7fff_ffff, 0xffff_ffff) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff_ffff }) },
);
const small = fc.integer({ min: 0, max: 40 });
const u16 = fc.oneof({ weight: 6, arbitrary: small }, fc.integer({ min: 0, max: 0xffff }));

const descriptor = fc.record({
  lo: addr32,
  hi: hi32,
  len: len32,
  flags: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 7 }) }, fc.integer({ min: 0, max: 0xffff })),
  next: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 33 }) }, u16),
});

const op = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('notify' as const), q: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 2 }) }, fc.integer({ min: 0, max: 0xffff_ffff })) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('poke16' as const), at: fc.integer({ min: 0, max: RAM_SIZE - 2 }), v: u16 }) },
  { weight: 8, arbitrary: fc.record({ t: fc.constant('desc' as const), q: fc.integer({ min: 0, max: 2 }), i: fc.integer({ min: 0, max: 33 }), d: descriptor }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('avail' as const), q: fc.integer({ min: 0, max: 2 }), bump: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 3 }) }, u16), head: u16 }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('reg' as const), off: fc.integer({ min: 0, max: 0x1ff }), size: fc.constantFrom(1 as const, 2 as const, 4 as const), v: fc.integer({ min: 0, max: 0xffff_ffff }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('rx' as const), len: fc.integer({ min: 0, max: 2000 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('save' as const) }) },
  {
    // A plausible chain (mostly well formed) published and notified, to reach the device logic.
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('chain' as const),
      q: fc.integer({ min: 0, max: 2 }),
      head: fc.integer({ min: 0, max: 31 }),
      indirect: fc.boolean(),
      ordered: fc.oneof({ weight: 8, arbitrary: fc.constant(true) }, fc.constant(false)),
      segs: fc.array(fc.record({ addr: addr32, len: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(1, 16, 512, 1024, 1526) }, len32), write: fc.boolean() }), { minLength: 1, maxLength: 6 }),
    }),
  },
);

const scenario = fc.record({
  kind: fc.constantFrom<Kind>('blk', 'net', 'rng', 'balloon'),
  indirect: fc.boolean(),
  queueSize: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(1, 2, 8, 16, 32) }, fc.integer({ min: 0, max: 0xffff_ffff })),
  ringBase: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 64 }).map((k) => RAM_BASE + 16 * k) }, addr32),
  blobs: fc.array(fc.record({ at: fc.integer({ min: 0, max: RAM_SIZE - 1 }), bytes: fc.uint8Array({ maxLength: 256 }) }), { maxLength: 4 }),
  ops: fc.array(op, { maxLength: 60, size: 'medium' }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function run(s: Scenario): { fault: string | null; completed: number } {
  const mem = new AuditedMemory(RAM_BASE, RAM_SIZE);
  const irq = new RecordingIrq();
  const { dev, net } = makeDevice(s.kind);
  const t = new VirtioMmioTransport(dev, mem, irq, 1);
  for (const b of s.blobs) mem.u8.set(b.bytes.subarray(0, RAM_SIZE - b.at), b.at);

  // Linux-like bring-up, but with guest-chosen queue size and ring placement.
  const drv = new TestDriver(t, mem);
  drv.negotiate(VERSION_1 | (s.indirect ? INDIRECT : 0n));
  const n = s.queueSize;
  const desc = s.ringBase;
  const avail = desc + 16 * 32;
  const used = avail + 0x100;
  for (let q = 0; q < dev.queueCount; q++) {
    drv.setReg(Reg.QueueSel, q);
    drv.setReg(Reg.QueueNum, n);
    const shift = q * 0x800;
    drv.setReg(Reg.QueueDescLow, (desc + shift) >>> 0);
    drv.setReg(Reg.QueueDriverLow, (avail + shift) >>> 0);
    drv.setReg(Reg.QueueDeviceLow, (used + shift) >>> 0);
    drv.setReg(Reg.QueueReady, 1);
  }
  drv.driverOk();

  const guestPoke = (fn: () => void) => {
    // Guest stores are not device DMA: apply them without auditing.
    const mark = mem.writes.length;
    try {
      fn();
    } catch {
      // Out-of-RAM guest store: the guest would fault; ignore.
    }
    mem.writes.length = mark;
  };

  for (const o of s.ops) {
    const before = mem.u8.slice();
    mem.writes.length = 0;
    switch (o.t) {
      case 'notify':
        t.write(Reg.QueueNotify, 4, o.q);
        break;
      case 'reg':
        t.read(o.off, o.size);
        t.write(o.off, o.size, o.v);
        break;
      case 'rx':
        net?.receive(new Uint8Array(o.len).fill(0xab));
        break;
      case 'save': {
        const rec = structuredClone(t.saveState());
        t.loadState(rec);
        expect(t.saveState()).toEqual(rec);
        break;
      }
      case 'poke16':
        guestPoke(() => mem.writeU16(RAM_BASE + o.at, o.v));
        break;
      case 'desc':
        guestPoke(() => {
          const d = (desc >>> 0) + o.q * 0x800 + 16 * o.i;
          mem.writeU32(d, o.d.lo);
          mem.writeU32(d + 4, o.d.hi);
          mem.writeU32(d + 8, o.d.len);
          mem.writeU16(d + 12, o.d.flags);
          mem.writeU16(d + 14, o.d.next);
        });
        break;
      case 'chain':
        guestPoke(() => {
          const segs = o.ordered ? [...o.segs].sort((x, y) => Number(x.write) - Number(y.write)) : o.segs;
          const qsize = Math.max(1, Math.min(n, 32));
          const table = (desc >>> 0) + o.q * 0x800;
          const put = (base: number, i: number, a: number, len: number, flags: number, next: number) => {
            mem.writeU32(base + 16 * i, a >>> 0);
            mem.writeU32(base + 16 * i + 4, 0);
            mem.writeU32(base + 16 * i + 8, len >>> 0);
            mem.writeU16(base + 16 * i + 12, flags);
            mem.writeU16(base + 16 * i + 14, next);
          };
          const head = o.head % qsize;
          if (o.indirect) {
            const itab = RAM_BASE + 0x1000 + 0x100 * o.q;
            segs.forEach((g, i) => put(itab, i, g.addr, g.len, (g.write ? 2 : 0) | (i < segs.length - 1 ? 1 : 0), i + 1));
            put(table, head, itab, 16 * segs.length, 4, 0);
          } else {
            segs.forEach((g, i) => put(table, (head + i) % qsize, g.addr, g.len, (g.write ? 2 : 0) | (i < segs.length - 1 ? 1 : 0), (head + i + 1) % qsize));
          }
          const a = (avail >>> 0) + o.q * 0x800;
          const idx = mem.readU16(a + 2);
          mem.writeU16(a + 4 + 2 * (idx % qsize), head);
          mem.writeU16(a + 2, (idx + 1) & 0xffff);
        });
        // Audit only what the device does from here on.
        before.set(mem.u8);
        mem.writes.length = 0;
        t.write(Reg.QueueNotify, 4, o.q);
        break;
      case 'avail':
        guestPoke(() => {
          // Publish like a driver: ring slot at the current index, then bump the index.
          const a = (avail >>> 0) + o.q * 0x800;
          const idx = mem.readU16(a + 2);
          mem.writeU16(a + 4 + 2 * (idx % Math.max(1, Math.min(n, 32))), o.head);
          mem.writeU16(a + 2, (idx + o.bump) & 0xffff);
        });
        break;
    }
    if (o.t === 'poke16' || o.t === 'desc' || o.t === 'avail') continue;
    // Every changed byte must lie in a range the device wrote through GuestMemory.
    if (Buffer.compare(mem.u8, before) !== 0) {
      for (let i = 0; i < RAM_SIZE; i++) {
        if (mem.u8[i] === before[i]) continue;
        const pa = RAM_BASE + i;
        if (!mem.writes.some(([a, l]) => pa >= a && pa < a + l)) throw new Error(`byte 0x${pa.toString(16)} changed outside any DMA write`);
      }
    }
    // Interrupt line agrees with InterruptStatus.
    expect(irq.level(1)).toBe(t.read(Reg.InterruptStatus, 4) !== 0);
  }
  // Whatever happened, the status register is readable and NEEDS_RESET clears on reset.
  const fault = t.lastFault;
  const completed = t.queues.reduce((sum, q) => sum + q.usedIdx, 0);
  t.write(Reg.Status, 4, 0);
  expect(t.read(Reg.Status, 4) & STATUS_DEVICE_NEEDS_RESET).toBe(0);
  return { fault, completed };
}

describe('virtio devices under a hostile guest', () => {
  it('never throw, never write RAM except via checked DMA, and terminate quickly', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const start = performance.now();
        run(s);
        expect(performance.now() - start).toBeLessThan(2000);
      }),
      { numRuns: 300 },
    );
  });

  it('a descriptor loop is detected and sets DEVICE_NEEDS_RESET', () => {
    const mem = new GuestMemory(RAM_BASE, RAM_SIZE);
    const irq = new RecordingIrq();
    const t = new VirtioMmioTransport(new VirtioRng(new InputPort(new SeededInputSource(), () => ({ instret: 0, pc: 0 })), 8), mem, irq, 1);
    const drv = new TestDriver(t, mem);
    drv.init(1);
    const q = drv.queues[0];
    const buf = drv.alloc(8);
    // 0 -> 1 -> 0 ...
    for (const [i, next] of [[0, 1], [1, 0]]) {
      mem.writeU32(q.desc + 16 * i, buf);
      mem.writeU32(q.desc + 16 * i + 8, 8);
      mem.writeU16(q.desc + 16 * i + 12, 1 | 2);
      mem.writeU16(q.desc + 16 * i + 14, next);
    }
    mem.writeU16(q.avail + 4, 0);
    mem.writeU16(q.avail + 2, 1);
    drv.notify(0);
    expect(t.read(Reg.Status, 4) & STATUS_DEVICE_NEEDS_RESET).toBe(STATUS_DEVICE_NEEDS_RESET);
    expect(t.lastFault).toMatch(/loop/);
    expect(drv.ackInterrupt()).toBe(2);
    expect(irq.level(1)).toBe(false);
  });

  it.each([
    ['buffer outside RAM', (m: GuestMemory, d: number) => m.writeU32(d, 0x1000), /outside RAM/],
    ['buffer straddling the end of RAM', (m: GuestMemory, d: number) => m.writeU32(d, RAM_BASE + RAM_SIZE - 4), /outside RAM/],
    ['readable after writable', (m: GuestMemory, d: number) => m.writeU16(d + 12, 0), /readable descriptor after/],
    ['indirect without the feature', (m: GuestMemory, d: number) => m.writeU16(d + 12, 4), /INDIRECT_DESC/],
    ['next out of range', (m: GuestMemory, d: number) => { m.writeU16(d + 12, 1); m.writeU16(d + 14, 99); }, /next/],
  ])('%s sets DEVICE_NEEDS_RESET', (_name, corrupt, why) => {
    const mem = new GuestMemory(RAM_BASE, RAM_SIZE);
    const irq = new RecordingIrq();
    const t = new VirtioMmioTransport(new VirtioRng(new InputPort(new SeededInputSource(), () => ({ instret: 0, pc: 0 })), 8), mem, irq, 1);
    const drv = new TestDriver(t, mem);
    drv.init(1, VERSION_1);
    const q = drv.queues[0];
    const a = drv.alloc(8);
    const b = drv.alloc(8);
    drv.submit(0, [
      { addr: a, len: 8, write: true },
      { addr: b, len: 8, write: false },
    ]);
    // The chain is now head 0 (writable) -> 1 (readable); make it otherwise valid first.
    mem.writeU16(q.desc + 16 + 12, 2);
    corrupt(mem, q.desc + (_name === 'readable after writable' ? 16 : 0));
    drv.notify(0);
    expect(t.read(Reg.Status, 4) & STATUS_DEVICE_NEEDS_RESET).toBe(STATUS_DEVICE_NEEDS_RESET);
    expect(t.lastFault).toMatch(why);
  });

  it('an avail index too far ahead sets DEVICE_NEEDS_RESET', () => {
    const mem = new GuestMemory(RAM_BASE, RAM_SIZE);
    const t = new VirtioMmioTransport(new VirtioRng(new InputPort(new SeededInputSource(), () => ({ instret: 0, pc: 0 })), 8), mem, new RecordingIrq(), 1);
    const drv = new TestDriver(t, mem);
    drv.init(1);
    mem.writeU16(drv.queues[0].avail + 2, 9);
    drv.notify(0);
    expect(t.lastFault).toMatch(/avail index/);
  });
});
