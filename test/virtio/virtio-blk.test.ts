import { describe, expect, it } from 'vitest';
import { VirtioMmioTransport } from '../../src/machine/virtio/mmio-transport.js';
import {
  VIRTIO_BLK_F_FLUSH,
  VIRTIO_BLK_F_RO,
  VIRTIO_BLK_S_IOERR,
  VIRTIO_BLK_S_OK,
  VIRTIO_BLK_S_UNSUPP,
  VIRTIO_BLK_T_FLUSH,
  VIRTIO_BLK_T_GET_ID,
  VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT,
  VirtioBlk,
} from '../../src/machine/virtio/virtio-blk.js';
import { MemoryBlockDevice } from '../../src/machine/block/memory-block-device.js';
import { CowOverlay } from '../../src/machine/block/cow-overlay.js';
import type { BlockDevice } from '../../src/machine/block/block-device.js';
import { featureBit } from '../../src/machine/virtio/virtio-constants.js';
import { INDIRECT, RecordingIrq, TestDriver, VERSION_1, newRam } from './virtio-driver.js';
import type { GuestMemory } from '../../src/machine/memory.js';

const DISK_SECTORS = 256;

function pattern(len: number, seed: number): Uint8Array {
  const a = new Uint8Array(len);
  for (let i = 0; i < len; i++) a[i] = (i * 7 + seed * 13 + (i >> 9)) & 0xff;
  return a;
}

function rig(disk: BlockDevice = new MemoryBlockDevice(pattern(DISK_SECTORS * 512, 1)), serial = 'retrovisor-disk-0', wanted: bigint | null = null) {
  const mem = newRam(1 << 20);
  const irq = new RecordingIrq();
  const blk = new VirtioBlk(disk, { serial });
  const t = new VirtioMmioTransport(blk, mem, irq, 1);
  const drv = new TestDriver(t, mem);
  drv.init(1, wanted);
  return { mem, irq, blk, t, drv, disk };
}

/** Issues one request the way Linux does: header, data segments, status byte. */
function request(
  r: { drv: TestDriver; mem: GuestMemory },
  type: number,
  sector: number,
  data: { addr: number; len: number }[],
  indirect = false,
): { status: number; len: number; statusAddr: number } {
  const { drv, mem } = r;
  const hdr = drv.alloc(16);
  mem.writeU32(hdr, type);
  mem.writeU32(hdr + 4, 0);
  mem.writeU32(hdr + 8, sector % 2 ** 32);
  mem.writeU32(hdr + 12, Math.floor(sector / 2 ** 32));
  const status = drv.alloc(1, 1);
  mem.u8[mem.offset(status)] = 0xff;
  const write = type !== VIRTIO_BLK_T_OUT;
  drv.submit(0, [{ addr: hdr, len: 16, write: false }, ...data.map((d) => ({ ...d, write })), { addr: status, len: 1, write: true }], indirect);
  drv.notify(0);
  const used = drv.collect(0);
  expect(used).toHaveLength(1);
  return { status: mem.u8[mem.offset(status)], len: used[0].len, statusAddr: status };
}

describe('virtio-blk', () => {
  it('reports capacity, blk_size, seg_max and FLUSH', () => {
    const r = rig();
    expect(r.t.read(0x100, 4)).toBe(DISK_SECTORS);
    expect(r.drv.deviceFeatures & featureBit(VIRTIO_BLK_F_FLUSH)).not.toBe(0n);
    expect(r.drv.deviceFeatures & featureBit(VIRTIO_BLK_F_RO)).toBe(0n);
    expect(r.t.read(0x100 + 20, 4)).toBe(512);
  });

  it('reads sectors into scattered buffers', () => {
    const r = rig();
    const a = r.drv.alloc(512);
    const b = r.drv.alloc(1024);
    const res = request(r, VIRTIO_BLK_T_IN, 3, [
      { addr: a, len: 512 },
      { addr: b, len: 1024 },
    ]);
    expect(res.status).toBe(VIRTIO_BLK_S_OK);
    expect(res.len).toBe(1536 + 1);
    const expected = pattern(DISK_SECTORS * 512, 1).subarray(3 * 512, 6 * 512);
    expect(r.mem.read(a, 512)).toEqual(expected.subarray(0, 512));
    expect(r.mem.read(b, 1024)).toEqual(expected.subarray(512));
    expect(r.irq.level(1)).toBe(true);
    expect(r.drv.ackInterrupt()).toBe(1);
  });

  it('marks DMA-written pages dirty', () => {
    const r = rig();
    r.mem.clearDirty();
    const a = r.drv.alloc(4096, 4096);
    request(r, VIRTIO_BLK_T_IN, 0, [{ addr: a, len: 4096 }]);
    expect(r.mem.dirty[(a - r.mem.base) >>> 12]).toBe(1);
  });

  it('writes sectors, then reads them back; flush reaches the disk', () => {
    const disk = new MemoryBlockDevice(DISK_SECTORS * 512);
    const r = rig(disk);
    const src = r.drv.alloc(2048);
    r.mem.write(src, pattern(2048, 9));
    expect(request(r, VIRTIO_BLK_T_OUT, 10, [{ addr: src, len: 2048 }]).status).toBe(VIRTIO_BLK_S_OK);
    expect(disk.data.subarray(10 * 512, 14 * 512)).toEqual(pattern(2048, 9));
    const dst = r.drv.alloc(2048);
    expect(request(r, VIRTIO_BLK_T_IN, 10, [{ addr: dst, len: 2048 }]).status).toBe(VIRTIO_BLK_S_OK);
    expect(r.mem.read(dst, 2048)).toEqual(pattern(2048, 9));
    expect(request(r, VIRTIO_BLK_T_FLUSH, 0, []).status).toBe(VIRTIO_BLK_S_OK);
    expect(disk.flushes).toBe(1);
  });

  it('serves requests through indirect descriptors', () => {
    const r = rig(undefined, 'x', VERSION_1 | INDIRECT | featureBit(VIRTIO_BLK_F_FLUSH));
    const bufs = [0, 1, 2, 3].map(() => ({ addr: r.drv.alloc(512), len: 512 }));
    const res = request(r, VIRTIO_BLK_T_IN, 7, bufs, true);
    expect(res.status).toBe(VIRTIO_BLK_S_OK);
    expect(r.mem.read(bufs[2].addr, 512)).toEqual(pattern(DISK_SECTORS * 512, 1).subarray(9 * 512, 10 * 512));
  });

  it('GET_ID returns the serial, zero padded', () => {
    const r = rig();
    const id = r.drv.alloc(20);
    r.mem.write(id, new Uint8Array(20).fill(0xee));
    const res = request(r, VIRTIO_BLK_T_GET_ID, 0, [{ addr: id, len: 20 }]);
    expect(res.status).toBe(VIRTIO_BLK_S_OK);
    const bytes = r.mem.read(id, 20);
    expect(new TextDecoder().decode(bytes.subarray(0, 17))).toBe('retrovisor-disk-0');
    expect([...bytes.subarray(17)]).toEqual([0, 0, 0]);
  });

  it('answers UNSUPP to unknown request types', () => {
    const r = rig();
    expect(request(r, 11 /* DISCARD */, 0, []).status).toBe(VIRTIO_BLK_S_UNSUPP);
    expect(request(r, 0xdeadbeef, 0, []).status).toBe(VIRTIO_BLK_S_UNSUPP);
  });

  it('answers IOERR to out-of-range and partial-sector requests, keeping the device usable', () => {
    const r = rig();
    const a = r.drv.alloc(1024);
    expect(request(r, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, [{ addr: a, len: 1024 }]).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(request(r, VIRTIO_BLK_T_IN, DISK_SECTORS, [{ addr: a, len: 512 }]).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(request(r, VIRTIO_BLK_T_IN, 2 ** 52, [{ addr: a, len: 512 }]).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(request(r, VIRTIO_BLK_T_IN, 2 ** 63, [{ addr: a, len: 512 }]).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(request(r, VIRTIO_BLK_T_OUT, 0, [{ addr: a, len: 100 }]).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(request(r, VIRTIO_BLK_T_IN, DISK_SECTORS - 2, [{ addr: a, len: 1024 }]).status).toBe(VIRTIO_BLK_S_OK);
    expect(r.blk.stats.ioerr).toBe(5);
  });

  it('a too-short header gets IOERR; a chain with no writable byte needs reset', () => {
    const r = rig();
    const hdr = r.drv.alloc(16);
    const st = r.drv.alloc(1);
    r.drv.submit(0, [
      { addr: hdr, len: 8, write: false },
      { addr: st, len: 1, write: true },
    ]);
    r.drv.notify(0);
    expect(r.drv.collect(0)).toHaveLength(1);
    expect(r.mem.u8[r.mem.offset(st)]).toBe(VIRTIO_BLK_S_IOERR);
    r.drv.submit(0, [{ addr: hdr, len: 16, write: false }]);
    r.drv.notify(0);
    expect(r.drv.reg(0x70) & 0x40).toBe(0x40);
    expect(r.drv.ackInterrupt() & 2).toBe(2);
  });

  it('a read-only disk offers VIRTIO_BLK_F_RO and fails writes', () => {
    const disk = new MemoryBlockDevice(pattern(DISK_SECTORS * 512, 2), true);
    const r = rig(disk);
    expect(r.drv.deviceFeatures & featureBit(VIRTIO_BLK_F_RO)).not.toBe(0n);
    const a = r.drv.alloc(512);
    expect(request(r, VIRTIO_BLK_T_OUT, 0, [{ addr: a, len: 512 }]).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(disk.data.subarray(0, 512)).toEqual(pattern(DISK_SECTORS * 512, 2).subarray(0, 512));
  });

  it('a failing backing store yields IOERR, not an exception', () => {
    const broken: BlockDevice = {
      size: DISK_SECTORS * 512,
      readOnly: false,
      read() {
        throw new Error('EIO');
      },
      write() {
        throw new Error('EIO');
      },
      flush() {
        throw new Error('EIO');
      },
    };
    const r = rig(broken);
    const a = r.drv.alloc(512);
    expect(request(r, VIRTIO_BLK_T_IN, 0, [{ addr: a, len: 512 }]).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(request(r, VIRTIO_BLK_T_OUT, 0, [{ addr: a, len: 512 }]).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(request(r, VIRTIO_BLK_T_FLUSH, 0, []).status).toBe(VIRTIO_BLK_S_IOERR);
  });

  it('over a COW overlay: guest writes are visible, the base stays untouched', () => {
    const baseBytes = pattern(DISK_SECTORS * 512, 3);
    const base = new MemoryBlockDevice(baseBytes.slice(), true);
    const overlay = new CowOverlay(base);
    const r = rig(overlay);
    expect(r.drv.deviceFeatures & featureBit(VIRTIO_BLK_F_RO)).toBe(0n);
    const src = r.drv.alloc(512);
    r.mem.write(src, new Uint8Array(512).fill(0x5a));
    expect(request(r, VIRTIO_BLK_T_OUT, 9, [{ addr: src, len: 512 }]).status).toBe(VIRTIO_BLK_S_OK);
    expect(Buffer.compare(base.data, baseBytes)).toBe(0);
    expect(overlay.dirtyBlocks()).toEqual([1]);
    const dst = r.drv.alloc(4096);
    expect(request(r, VIRTIO_BLK_T_IN, 8, [{ addr: dst, len: 4096 }]).status).toBe(VIRTIO_BLK_S_OK);
    const got = r.mem.read(dst, 4096);
    const want = baseBytes.slice(8 * 512, 16 * 512);
    want.fill(0x5a, 512, 1024);
    expect(got).toEqual(want);
  });

  it('state save/load mid-operation (requests queued, not yet notified) continues identically', () => {
    const run = (withRestore: boolean) => {
      const base = new MemoryBlockDevice(pattern(DISK_SECTORS * 512, 4), true);
      let r = rig(new CowOverlay(base));
      const src = r.drv.alloc(1024);
      r.mem.write(src, pattern(1024, 5));
      expect(request(r, VIRTIO_BLK_T_OUT, 20, [{ addr: src, len: 1024 }]).status).toBe(VIRTIO_BLK_S_OK);
      // Queue a read without notifying, then checkpoint.
      const hdr = r.drv.alloc(16);
      r.mem.writeU32(hdr, VIRTIO_BLK_T_IN);
      r.mem.writeU32(hdr + 8, 19);
      const dst = r.drv.alloc(2048);
      const st = r.drv.alloc(1);
      r.drv.submit(0, [
        { addr: hdr, len: 16, write: false },
        { addr: dst, len: 2048, write: true },
        { addr: st, len: 1, write: true },
      ]);
      if (withRestore) {
        const rec = structuredClone(r.t.saveState());
        const ram = r.mem.u8.slice();
        const drv = r.drv;
        const fresh = rig(new CowOverlay(new MemoryBlockDevice(pattern(DISK_SECTORS * 512, 4), true)));
        fresh.mem.u8.set(ram);
        fresh.t.loadState(rec);
        // Keep the driver's bookkeeping but point it at the restored device.
        const drv2 = new TestDriver(fresh.t, fresh.mem);
        Object.assign(drv2, { queues: drv.queues });
        r = { ...fresh, drv: drv2 };
      }
      r.drv.notify(0);
      expect(r.drv.collect(0)).toHaveLength(1);
      return { data: r.mem.read(dst, 2048), status: r.mem.u8[r.mem.offset(st)], state: r.t.saveState() };
    };
    const a = run(false);
    const b = run(true);
    expect(b.status).toBe(VIRTIO_BLK_S_OK);
    expect(b.data).toEqual(a.data);
    expect(b.data.subarray(512, 1536)).toEqual(pattern(1024, 5));
    expect(b.state).toEqual(a.state);
  });

  it('loadState rejects a record for a different disk size', () => {
    const r = rig();
    const other = rig(new MemoryBlockDevice(512 * 8));
    expect(() => other.t.loadState(r.t.saveState())).toThrow(/sectors/);
  });
});
