/**
 * An unpopulated virtio-mmio slot. Like QEMU it answers the magic value,
 * version 2 and device ID 0, which tells Linux to skip it, so the device tree
 * can always list all eight slots.
 */
import type { AccessSize, MmioDevice } from '../bus.js';
import type { StateRecord, Stateful } from '../state.js';
import { expectVersion } from '../state.js';
import { Reg, VIRTIO_MMIO_MAGIC, VIRTIO_MMIO_VERSION, VIRTIO_VENDOR_QEMU } from './virtio-constants.js';

export class VirtioMmioEmptySlot implements MmioDevice, Stateful {
  readonly deviceId = 0;

  read(offset: number, size: AccessSize): number {
    if (size !== 4) return 0;
    switch (offset) {
      case Reg.MagicValue:
        return VIRTIO_MMIO_MAGIC;
      case Reg.Version:
        return VIRTIO_MMIO_VERSION;
      case Reg.VendorID:
        return VIRTIO_VENDOR_QEMU;
      default:
        return 0;
    }
  }

  write(_offset: number, _size: AccessSize, _value: number): void {}

  saveState(): StateRecord {
    return { version: 1 };
  }

  loadState(r: StateRecord): void {
    expectVersion(r, 'virtio-mmio empty slot', 1);
  }
}
