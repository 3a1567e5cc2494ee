import { describe, expect, it } from 'vitest';
import { VirtioMmioTransport } from '../../src/machine/virtio/mmio-transport.js';
import { VirtioMmioEmptySlot } from '../../src/machine/virtio/mmio-empty-slot.js';
import { VirtioRng } from '../../src/machine/virtio/virtio-rng.js';
import { VirtioBlk } from '../../src/machine/virtio/virtio-blk.js';
import { MemoryBlockDevice } from '../../src/machine/block/memory-block-device.js';
import { InputPort, SeededInputSource } from '../../src/machine/input.js';
import {
  Reg,
  STATUS_DEVICE_NEEDS_RESET,
  STATUS_DRIVER_OK,
  STATUS_FEATURES_OK,
  VIRTIO_MMIO_MAGIC,
  VIRTIO_VENDOR_QEMU,
  featureBit,
  F_INDIRECT_DESC,
} from '../../src/machine/virtio/virtio-constants.js';
import { INDIRECT, RecordingIrq, TestDriver, VERSION_1, newRam } from './virtio-driver.js';

function rig() {
  const mem = newRam();
  const irq = new RecordingIrq();
  const input = new InputPort(new SeededInputSource(1), () => ({ instret: 0, pc: 0 }));
  const t = new VirtioMmioTransport(new VirtioRng(input), mem, irq, 3);
  return { mem, irq, t, drv: new TestDriver(t, mem) };
}

describe('virtio-mmio transport', () => {
  it('identifies itself like QEMU version-2 virtio-mmio', () => {
    const { t } = rig();
    expect(t.read(Reg.MagicValue, 4)).toBe(VIRTIO_MMIO_MAGIC);
    expect(t.read(Reg.Version, 4)).toBe(2);
    expect(t.read(Reg.DeviceID, 4)).toBe(4);
    expect(t.read(Reg.VendorID, 4)).toBe(VIRTIO_VENDOR_QEMU);
    expect(t.deviceId).toBe(4);
    // Registers answer only aligned 32-bit accesses.
    expect(t.read(Reg.MagicValue, 1)).toBe(0);
  });

  it('empty slot reads magic, version 2, device ID 0', () => {
    const e = new VirtioMmioEmptySlot();
    expect(e.read(Reg.MagicValue, 4)).toBe(VIRTIO_MMIO_MAGIC);
    expect(e.read(Reg.Version, 4)).toBe(2);
    expect(e.read(Reg.DeviceID, 4)).toBe(0);
    expect(e.read(Reg.QueueNumMax, 4)).toBe(0);
    e.write(Reg.Status, 4, 0xff);
    expect(e.read(Reg.Status, 4)).toBe(0);
    e.loadState(e.saveState());
  });

  it('offers VERSION_1 and INDIRECT_DESC and negotiates', () => {
    const { drv, t } = rig();
    expect(drv.negotiate(VERSION_1 | INDIRECT)).toBe(VERSION_1 | INDIRECT);
    expect(drv.deviceFeatures & VERSION_1).toBe(VERSION_1);
    expect(t.negotiated).toBe(VERSION_1 | INDIRECT);
    // Feature words beyond 64 bits read 0.
    drv.setReg(Reg.DeviceFeaturesSel, 2);
    expect(drv.reg(Reg.DeviceFeatures)).toBe(0);
  });

  it('refuses FEATURES_OK without VERSION_1 or with unoffered bits', () => {
    const { drv } = rig();
    expect(drv.negotiate(0n)).toBeNull();
    expect(drv.negotiate(VERSION_1 | featureBit(40))).toBeNull();
    expect(drv.negotiate(VERSION_1)).toBe(VERSION_1);
  });

  it('status 0 resets queues, features and interrupts', () => {
    const { drv, t, irq } = rig();
    drv.init(1);
    const buf = drv.alloc(16);
    drv.submit(0, [{ addr: buf, len: 16, write: true }]);
    drv.notify(0);
    expect(irq.level(3)).toBe(true);
    drv.setReg(Reg.Status, 0);
    expect(irq.level(3)).toBe(false);
    expect(drv.reg(Reg.Status)).toBe(0);
    expect(drv.reg(Reg.InterruptStatus)).toBe(0);
    drv.setReg(Reg.QueueSel, 0);
    expect(drv.reg(Reg.QueueReady)).toBe(0);
    expect(t.negotiated).toBe(0n);
  });

  it('interrupt level follows InterruptStatus until acknowledged', () => {
    const { drv, irq } = rig();
    drv.init(1);
    const buf = drv.alloc(8);
    drv.submit(0, [{ addr: buf, len: 8, write: true }]);
    expect(irq.level(3)).toBe(false);
    drv.notify(0);
    expect(irq.level(3)).toBe(true);
    expect(drv.ackInterrupt()).toBe(1);
    expect(irq.level(3)).toBe(false);
  });

  it('honours VIRTQ_AVAIL_F_NO_INTERRUPT', () => {
    const { drv, irq, mem } = rig();
    drv.init(1);
    mem.writeU16(drv.queues[0].avail, 1);
    const buf = drv.alloc(8);
    drv.submit(0, [{ addr: buf, len: 8, write: true }]);
    drv.notify(0);
    expect(drv.collect(0)).toHaveLength(1);
    expect(irq.level(3)).toBe(false);
  });

  it('QueueNumMax is 0 for a queue that does not exist; writes to it are ignored', () => {
    const { drv } = rig();
    drv.negotiate();
    drv.setReg(Reg.QueueSel, 5);
    expect(drv.reg(Reg.QueueNumMax)).toBe(0);
    drv.setReg(Reg.QueueNum, 8);
    drv.setReg(Reg.QueueReady, 1);
    expect(drv.reg(Reg.QueueReady)).toBe(0);
  });

  it('a bad queue layout sets DEVICE_NEEDS_RESET instead of enabling', () => {
    const { drv, t } = rig();
    drv.negotiate();
    drv.setReg(Reg.QueueSel, 0);
    drv.setReg(Reg.QueueNum, 24); // not a power of two
    drv.setReg(Reg.QueueDescLow, 0x8000_0000);
    drv.setReg(Reg.QueueDriverLow, 0x8000_1000);
    drv.setReg(Reg.QueueDeviceLow, 0x8000_2000);
    drv.setReg(Reg.QueueReady, 1);
    expect(drv.reg(Reg.QueueReady)).toBe(0);
    expect(drv.reg(Reg.Status) & STATUS_DEVICE_NEEDS_RESET).toBe(STATUS_DEVICE_NEEDS_RESET);
    expect(t.lastFault).toMatch(/power of two/);
    // The driver cannot clear NEEDS_RESET except by resetting.
    drv.setReg(Reg.Status, STATUS_FEATURES_OK | STATUS_DRIVER_OK);
    expect(drv.reg(Reg.Status) & STATUS_DEVICE_NEEDS_RESET).toBe(STATUS_DEVICE_NEEDS_RESET);
    expect(t.running).toBe(false);
    drv.init(1);
    expect(t.running).toBe(true);
  });

  it('rings outside RAM are refused', () => {
    const { drv } = rig();
    drv.negotiate();
    drv.setReg(Reg.QueueSel, 0);
    drv.setReg(Reg.QueueNum, 16);
    drv.setReg(Reg.QueueDescLow, 0x1000); // below RAM
    drv.setReg(Reg.QueueDriverLow, 0x8000_1000);
    drv.setReg(Reg.QueueDeviceLow, 0x8000_2000);
    drv.setReg(Reg.QueueReady, 1);
    expect(drv.reg(Reg.QueueReady)).toBe(0);
    expect(drv.reg(Reg.Status) & STATUS_DEVICE_NEEDS_RESET).toBeTruthy();
  });

  it('config space allows 1/2/4-byte access and two 4-byte halves of a 64-bit field', () => {
    const mem = newRam();
    const disk = new MemoryBlockDevice(0x1234 * 512); // capacity 0x1234 sectors
    const t = new VirtioMmioTransport(new VirtioBlk(disk), mem, new RecordingIrq(), 1);
    expect(t.read(0x100, 4)).toBe(0x1234);
    expect(t.read(0x104, 4)).toBe(0);
    expect(t.read(0x100, 1)).toBe(0x34);
    expect(t.read(0x100, 2)).toBe(0x1234);
    expect(t.read(0x114, 4)).toBe(512); // blk_size
    expect(t.read(0x10c, 4)).toBe(254); // seg_max
    expect(t.read(0x800, 4)).toBe(0);
  });

  it('state round trip preserves registers and queues', () => {
    const a = rig();
    a.drv.init(1, VERSION_1 | featureBit(F_INDIRECT_DESC));
    const buf = a.drv.alloc(8);
    a.drv.submit(0, [{ addr: buf, len: 8, write: true }]);
    a.drv.notify(0);
    const rec = a.t.saveState();
    const b = rig();
    b.mem.u8.set(a.mem.u8);
    b.t.loadState(structuredClone(rec));
    expect(b.t.saveState()).toEqual(rec);
    expect(b.irq.level(3)).toBe(true);
    expect(() => b.t.loadState({ ...rec, version: 99 })).toThrow(/version/);
  });
});
