/**
 * virtio-mmio transport, version 2 (virtio 1.1 §4.2.2): the register block of
 * one virt-board slot in front of a VirtioDevice.
 *
 * Devices work synchronously: a QueueNotify write processes the queue before
 * it returns, so there is never a request in flight at an instruction boundary
 * and the whole state is in registers, queues and guest RAM.
 */
import type { AccessSize, MmioDevice } from '../bus.js';
import type { IrqSink } from '../irq.js';
import type { GuestMemory } from '../memory.js';
import type { SaveOptions, StateRecord, Stateful, StateValue } from '../state.js';
import { expectVersion } from '../state.js';
import type { VirtioDevice, VirtioDeviceContext } from './virtio-device.js';
import { Virtqueue } from './virtqueue.js';
import {
  F_INDIRECT_DESC,
  F_VERSION_1,
  INT_CONFIG_CHANGE,
  INT_USED_BUFFER,
  Reg,
  STATUS_DEVICE_NEEDS_RESET,
  STATUS_DRIVER_OK,
  STATUS_FEATURES_OK,
  VIRTIO_MMIO_MAGIC,
  VIRTIO_MMIO_VERSION,
  VIRTIO_VENDOR_QEMU,
  featureBit,
} from './virtio-constants.js';

const TRANSPORT_FEATURES = featureBit(F_VERSION_1) | featureBit(F_INDIRECT_DESC);

export class VirtioMmioTransport implements MmioDevice, Stateful, VirtioDeviceContext {
  readonly queues: Virtqueue[];
  /** All device features offered to the driver. */
  readonly offered: bigint;
  /** The most recent reason the device entered DEVICE_NEEDS_RESET (diagnostics). */
  lastFault: string | null = null;

  private status = 0;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private driverFeatures = [0, 0];
  private queueSel = 0;
  private interruptStatus = 0;
  private configGeneration = 0;
  private negotiatedFeatures = 0n;

  constructor(
    readonly device: VirtioDevice,
    readonly mem: GuestMemory,
    private readonly irq: IrqSink,
    /** PLIC source number of this slot. */
    readonly irqSource: number,
  ) {
    this.offered = device.features | TRANSPORT_FEATURES;
    const onFault = (reason: string): void => this.fail(reason);
    const maxIndirect = device.queueMaxSize;
    this.queues = [];
    for (let i = 0; i < device.queueCount; i++) this.queues.push(new Virtqueue(mem, device.queueMaxSize, maxIndirect, onFault));
    device.attach(this);
  }

  /** For the device tree / diagnostics: the virtio device ID behind this slot. */
  get deviceId(): number {
    return this.device.deviceId;
  }

  // --- VirtioDeviceContext ---------------------------------------------------

  queue(index: number): Virtqueue {
    return this.queues[index];
  }

  get negotiated(): bigint {
    return this.negotiatedFeatures;
  }

  get running(): boolean {
    return (this.status & (STATUS_DRIVER_OK | STATUS_FEATURES_OK | STATUS_DEVICE_NEEDS_RESET)) === (STATUS_DRIVER_OK | STATUS_FEATURES_OK);
  }

  get deviceStatus(): number {
    return this.status;
  }

  notifyUsed(queue: number): void {
    const q = this.queues[queue];
    if (q === undefined || !q.wantsInterrupt()) return;
    this.raise(INT_USED_BUFFER);
  }

  configChanged(): void {
    this.configGeneration = (this.configGeneration + 1) >>> 0;
    if ((this.status & STATUS_DRIVER_OK) !== 0) this.raise(INT_CONFIG_CHANGE);
  }

  fail(reason: string): void {
    this.lastFault = reason;
    if ((this.status & STATUS_DEVICE_NEEDS_RESET) !== 0) return;
    this.status |= STATUS_DEVICE_NEEDS_RESET;
    // §2.1.2: with DRIVER_OK set the device must send a configuration change notification.
    if ((this.status & STATUS_DRIVER_OK) !== 0) this.raise(INT_CONFIG_CHANGE);
  }

  // --- MmioDevice ------------------------------------------------------------

  read(offset: number, size: AccessSize): number {
    if (offset >= Reg.Config) return this.device.readConfig(offset - Reg.Config, size);
    if (size !== 4 || (offset & 3) !== 0) return 0;
    switch (offset) {
      case Reg.MagicValue:
        return VIRTIO_MMIO_MAGIC;
      case Reg.Version:
        return VIRTIO_MMIO_VERSION;
      case Reg.DeviceID:
        return this.device.deviceId;
      case Reg.VendorID:
        return VIRTIO_VENDOR_QEMU;
      case Reg.DeviceFeatures:
        return featureWord(this.offered, this.deviceFeaturesSel);
      case Reg.QueueNumMax:
        return this.selectedQueue() === undefined ? 0 : this.device.queueMaxSize;
      case Reg.QueueReady:
        return this.selectedQueue()?.ready === true ? 1 : 0;
      case Reg.InterruptStatus:
        return this.interruptStatus;
      case Reg.Status:
        return this.status;
      case Reg.ConfigGeneration:
        return this.configGeneration;
      default:
        return 0;
    }
  }

  write(offset: number, size: AccessSize, value: number): void {
    try {
      this.writeUnguarded(offset, size, value >>> 0);
    } catch (e) {
      // A device model bug must not take down the host; the guest sees a broken device.
      this.fail(`internal error: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private writeUnguarded(offset: number, size: AccessSize, value: number): void {
    if (offset >= Reg.Config) {
      this.device.writeConfig(offset - Reg.Config, size, value);
      return;
    }
    if (size !== 4 || (offset & 3) !== 0) return;
    const q = this.selectedQueue();
    switch (offset) {
      case Reg.DeviceFeaturesSel:
        this.deviceFeaturesSel = value;
        return;
      case Reg.DriverFeatures:
        if (this.driverFeaturesSel < 2 && (this.status & STATUS_FEATURES_OK) === 0) this.driverFeatures[this.driverFeaturesSel] = value;
        return;
      case Reg.DriverFeaturesSel:
        this.driverFeaturesSel = value;
        return;
      case Reg.QueueSel:
        this.queueSel = value;
        return;
      case Reg.QueueNum:
        if (q !== undefined && !q.ready) q.num = value;
        return;
      case Reg.QueueReady:
        if (q === undefined) return;
        if ((value & 1) === 0) {
          q.ready = false;
        } else if (!q.ready) {
          q.indirect = (this.negotiatedFeatures & featureBit(F_INDIRECT_DESC)) !== 0n;
          q.enable();
        }
        return;
      case Reg.QueueNotify:
        if (this.running && value < this.queues.length && this.queues[value].usable) this.device.queueNotify(value);
        return;
      case Reg.InterruptACK:
        this.interruptStatus &= ~value;
        this.updateIrq();
        return;
      case Reg.Status:
        this.writeStatus(value & 0xff);
        return;
      case Reg.QueueDescLow:
        if (q !== undefined && !q.ready) q.descLo = value;
        return;
      case Reg.QueueDescHigh:
        if (q !== undefined && !q.ready) q.descHi = value;
        return;
      case Reg.QueueDriverLow:
        if (q !== undefined && !q.ready) q.driverLo = value;
        return;
      case Reg.QueueDriverHigh:
        if (q !== undefined && !q.ready) q.driverHi = value;
        return;
      case Reg.QueueDeviceLow:
        if (q !== undefined && !q.ready) q.deviceLo = value;
        return;
      case Reg.QueueDeviceHigh:
        if (q !== undefined && !q.ready) q.deviceHi = value;
        return;
      default:
        return;
    }
  }

  private writeStatus(value: number): void {
    if (value === 0) {
      this.reset();
      return;
    }
    const old = this.status;
    // NEEDS_RESET is the device's to set; only a reset clears it.
    let next = (value & ~STATUS_DEVICE_NEEDS_RESET) | (old & STATUS_DEVICE_NEEDS_RESET);
    if ((next & STATUS_FEATURES_OK) !== 0 && (old & STATUS_FEATURES_OK) === 0) {
      const wanted = BigInt(this.driverFeatures[0]) | (BigInt(this.driverFeatures[1]) << 32n);
      if ((wanted & ~this.offered) !== 0n || (wanted & featureBit(F_VERSION_1)) === 0n) {
        // Refused: the driver reads FEATURES_OK back as clear (§2.2.2).
        next &= ~STATUS_FEATURES_OK;
      } else {
        this.negotiatedFeatures = wanted;
      }
    }
    this.status = next;
    if ((next & STATUS_DRIVER_OK) !== 0 && (old & STATUS_DRIVER_OK) === 0 && this.running) this.device.activate();
  }

  private reset(): void {
    this.status = 0;
    this.deviceFeaturesSel = 0;
    this.driverFeaturesSel = 0;
    this.driverFeatures = [0, 0];
    this.queueSel = 0;
    this.negotiatedFeatures = 0n;
    this.interruptStatus = 0;
    this.lastFault = null;
    for (const q of this.queues) q.reset();
    this.device.reset();
    this.updateIrq();
  }

  private selectedQueue(): Virtqueue | undefined {
    return this.queueSel < this.queues.length ? this.queues[this.queueSel] : undefined;
  }

  private raise(bits: number): void {
    this.interruptStatus |= bits;
    this.updateIrq();
  }

  private updateIrq(): void {
    this.irq.setLevel(this.irqSource, this.interruptStatus !== 0);
  }

  // --- Stateful --------------------------------------------------------------

  saveState(options: SaveOptions = {}): StateRecord {
    return {
      version: 1,
      deviceId: this.device.deviceId,
      status: this.status,
      deviceFeaturesSel: this.deviceFeaturesSel,
      driverFeaturesSel: this.driverFeaturesSel,
      driverFeatures: [this.driverFeatures[0], this.driverFeatures[1]],
      negotiated: [Number(this.negotiatedFeatures & 0xffffffffn), Number(this.negotiatedFeatures >> 32n)],
      queueSel: this.queueSel,
      interruptStatus: this.interruptStatus,
      configGeneration: this.configGeneration,
      lastFault: this.lastFault,
      queues: this.queues.map((q) => q.saveState() as unknown as StateValue),
      device: this.device.saveState(options) as unknown as StateValue,
    };
  }

  loadState(r: StateRecord): void {
    expectVersion(r, 'virtio-mmio', 1);
    if (r.deviceId !== this.device.deviceId) {
      throw new Error(`virtio-mmio: state record is for device ID ${String(r.deviceId)}, this slot holds ${this.device.deviceId}`);
    }
    const queues = r.queues;
    if (!Array.isArray(queues) || queues.length !== this.queues.length) throw new Error('virtio-mmio: state record has the wrong queue count');
    const u32 = (v: StateValue | undefined, what: string): number => {
      if (typeof v !== 'number') throw new Error(`virtio-mmio: bad ${what} in state record`);
      return v >>> 0;
    };
    const pair = (v: StateValue | undefined, what: string): [number, number] => {
      if (!Array.isArray(v) || v.length !== 2) throw new Error(`virtio-mmio: bad ${what} in state record`);
      return [u32(v[0], what), u32(v[1], what)];
    };
    const neg = pair(r.negotiated, 'negotiated');
    this.status = u32(r.status, 'status') & 0xff;
    this.deviceFeaturesSel = u32(r.deviceFeaturesSel, 'deviceFeaturesSel');
    this.driverFeaturesSel = u32(r.driverFeaturesSel, 'driverFeaturesSel');
    this.driverFeatures = pair(r.driverFeatures, 'driverFeatures');
    this.negotiatedFeatures = BigInt(neg[0]) | (BigInt(neg[1]) << 32n);
    this.queueSel = u32(r.queueSel, 'queueSel');
    this.interruptStatus = u32(r.interruptStatus, 'interruptStatus') & 3;
    this.configGeneration = u32(r.configGeneration, 'configGeneration');
    this.lastFault = typeof r.lastFault === 'string' ? r.lastFault : null;
    for (let i = 0; i < this.queues.length; i++) this.queues[i].loadState(queues[i] as unknown as StateRecord);
    this.device.loadState(r.device as unknown as StateRecord);
    this.updateIrq();
  }
}

function featureWord(features: bigint, sel: number): number {
  if (sel > 1) return 0;
  return Number((features >> BigInt(32 * sel)) & 0xffffffffn);
}
