import { describe, expect, it } from 'vitest';
import { VirtioMmioTransport } from '../../src/machine/virtio/mmio-transport.js';
import { BALLOON_QUEUE_DEFLATE, BALLOON_QUEUE_INFLATE, BALLOON_QUEUE_REPORTING, F_BALLOON_REPORTING, VirtioBalloon } from '../../src/machine/virtio/virtio-balloon.js';
import { featureBit, Reg, STATUS_DEVICE_NEEDS_RESET } from '../../src/machine/virtio/virtio-constants.js';
import { PAGE_SIZE } from '../../src/machine/memory.js';
import { RAM_BASE, RecordingIrq, TestDriver, newRam } from './virtio-driver.js';

function rig(targetPages = 0) {
  const mem = newRam(1 << 20);
  const irq = new RecordingIrq();
  const dev = new VirtioBalloon({ targetPages });
  const t = new VirtioMmioTransport(dev, mem, irq, 5);
  const drv = new TestDriver(t, mem);
  const features = drv.init(3);
  return { mem, irq, dev, t, drv, features };
}

/** Fills pages [first, first+n) (page numbers relative to RAM) with a non-zero pattern. */
function fill(mem: ReturnType<typeof newRam>, first: number, n: number): void {
  for (let p = first; p < first + n; p++) mem.u8.fill((p % 250) + 1, p * PAGE_SIZE, (p + 1) * PAGE_SIZE);
}
const page = (p: number) => RAM_BASE + p * PAGE_SIZE;
const isZero = (mem: ReturnType<typeof newRam>, p: number) => mem.u8.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE).every((b) => b === 0);

describe('virtio-balloon', () => {
  it('is device ID 5 offering free page reporting, with inflate, deflate and reporting queues', () => {
    const r = rig(7);
    expect(r.t.read(Reg.DeviceID, 4)).toBe(5);
    expect(r.features & featureBit(F_BALLOON_REPORTING)).not.toBe(0n);
    r.drv.setReg(Reg.QueueSel, 3);
    expect(r.drv.reg(Reg.QueueNumMax)).toBe(0);
    expect(r.drv.readConfig(0, 4)).toBe(7); // num_pages
    r.t.write(Reg.Config + 4, 4, 5); // actual
    expect(r.dev.actualPages).toBe(5);
    r.t.write(Reg.Config + 0, 4, 99); // num_pages is read-only
    expect(r.drv.readConfig(0, 4)).toBe(7);
  });

  it('a free page report zeroes exactly the whole pages it covers, marks them dirty and logs them', () => {
    const r = rig();
    fill(r.mem, 100, 20);
    r.mem.clearDirty();
    // pages 101..104 whole, plus half of page 110 (left alone), plus an already-zero page range
    r.drv.submit(BALLOON_QUEUE_REPORTING, [
      { addr: page(101), len: 4 * PAGE_SIZE, write: true },
      { addr: page(110) + PAGE_SIZE / 2, len: PAGE_SIZE, write: true },
      { addr: page(200), len: 2 * PAGE_SIZE, write: true },
    ]);
    r.drv.notify(BALLOON_QUEUE_REPORTING);
    expect(r.drv.collect(BALLOON_QUEUE_REPORTING)).toEqual([{ id: 0, len: 0 }]);
    expect(r.irq.level(5)).toBe(true);
    for (let p = 100; p < 120; p++) expect(isZero(r.mem, p), `page ${p}`).toBe(p >= 101 && p <= 104);
    expect([...r.mem.dirty.subarray(100, 120)].map((d, i) => (d ? 100 + i : -1)).filter((p) => p >= 0)).toEqual([101, 102, 103, 104]);
    // already-zero pages are logged as free but not dirtied
    expect(r.mem.dirty[200]).toBe(0);
    expect([...r.dev.discardLog.keys()].filter((p) => r.dev.discardLog[p])).toEqual([101, 102, 103, 104, 200, 201]);
    expect(r.dev.pagesReported).toBe(7);
    expect(r.dev.pagesZeroed).toBe(4);
    r.dev.clearDiscardLog();
    expect(r.dev.discardLog.every((b) => b === 0)).toBe(true);
  });

  it('inflate discards the listed frames (ignoring frames outside RAM); deflate changes nothing', () => {
    const r = rig(3);
    fill(r.mem, 50, 10);
    const pfns = r.drv.alloc(16, 4);
    const frames = [page(51) / PAGE_SIZE, page(53) / PAGE_SIZE, 0x10, 0xffff_ffff];
    frames.forEach((f, i) => r.mem.writeU32(pfns + 4 * i, f));
    const region = () => r.mem.u8.subarray(50 * PAGE_SIZE, 60 * PAGE_SIZE);
    const before = region().slice();
    r.drv.submit(BALLOON_QUEUE_DEFLATE, [{ addr: pfns, len: 16, write: false }]);
    r.drv.notify(BALLOON_QUEUE_DEFLATE);
    expect(r.drv.collect(BALLOON_QUEUE_DEFLATE)).toHaveLength(1);
    expect(Buffer.compare(region(), before)).toBe(0);
    r.drv.submit(BALLOON_QUEUE_INFLATE, [{ addr: pfns, len: 16, write: false }]);
    r.drv.notify(BALLOON_QUEUE_INFLATE);
    expect(r.drv.collect(BALLOON_QUEUE_INFLATE)).toHaveLength(1);
    for (let p = 50; p < 60; p++) expect(isZero(r.mem, p), `page ${p}`).toBe(p === 51 || p === 53);
    expect(r.dev.pagesInflated).toBe(4);
    expect(r.dev.pagesZeroed).toBe(2);
  });

  it('a report outside RAM faults the queue (descriptor validation) and zeroes nothing', () => {
    const r = rig();
    fill(r.mem, 100, 156);
    r.drv.submit(BALLOON_QUEUE_REPORTING, [{ addr: RAM_BASE + (1 << 20) - PAGE_SIZE, len: 2 * PAGE_SIZE, write: true }]);
    const before = r.mem.u8.slice();
    r.drv.notify(BALLOON_QUEUE_REPORTING);
    expect(r.t.read(Reg.Status, 4) & STATUS_DEVICE_NEEDS_RESET).not.toBe(0);
    expect(Buffer.compare(r.mem.u8, before)).toBe(0);
  });

  it('state round-trips', () => {
    const r = rig(9);
    r.t.write(Reg.Config + 4, 4, 2);
    const rec = structuredClone(r.t.saveState());
    const other = rig(9);
    other.t.loadState(rec);
    expect(other.t.saveState()).toEqual(rec);
    expect(other.dev.actualPages).toBe(2);
  });
});
