/**
 * virtio-blk (device ID 2, virtio 1.1 §5.2) over a synchronous BlockDevice.
 * Requests complete inside the QueueNotify write.
 */
import type { AccessSize } from '../bus.js';
import type { BlockDevice } from '../block/block-device.js';
import type { SaveOptions, StateRecord, Stateful, StateValue } from '../state.js';
import { expectVersion } from '../state.js';
import { DescriptorChain } from './descriptor-chain.js';
import type { VirtioDevice, VirtioDeviceContext } from './virtio-device.js';
import { readConfigBytes } from './virtio-device.js';
import { DEVICE_ID_BLOCK, featureBit } from './virtio-constants.js';

export const VIRTIO_BLK_F_SEG_MAX = 2;
export const VIRTIO_BLK_F_RO = 5;
export const VIRTIO_BLK_F_BLK_SIZE = 6;
export const VIRTIO_BLK_F_FLUSH = 9;

export const VIRTIO_BLK_T_IN = 0;
export const VIRTIO_BLK_T_OUT = 1;
export const VIRTIO_BLK_T_FLUSH = 4;
export const VIRTIO_BLK_T_GET_ID = 8;

export const VIRTIO_BLK_S_OK = 0;
export const VIRTIO_BLK_S_IOERR = 1;
export const VIRTIO_BLK_S_UNSUPP = 2;

export const SECTOR_SIZE = 512;
const HEADER_SIZE = 16;
const ID_BYTES = 20;
const SCRATCH_SIZE = 64 * 1024;
const CONFIG_SIZE = 0x3c;

export interface VirtioBlkOptions {
  /** Returned by GET_ID (at most 20 bytes are used). */
  serial?: string;
  /** QueueNumMax; seg_max is two less (header and status). Default 256. */
  queueSize?: number;
  /** Include the disk's own state (e.g. a CowOverlay) in saveState when it is Stateful. Default true. */
  saveDisk?: boolean;
}

export class VirtioBlk implements VirtioDevice {
  readonly deviceId = DEVICE_ID_BLOCK;
  readonly queueCount = 1;
  readonly queueMaxSize: number;
  readonly features: bigint;
  /** Requests completed, by outcome (diagnostics). */
  readonly stats = { ok: 0, ioerr: 0, unsupp: 0 };

  private ctx!: VirtioDeviceContext;
  private chain!: DescriptorChain;
  private readonly config = new Uint8Array(CONFIG_SIZE);
  private readonly header = new Uint8Array(HEADER_SIZE);
  private readonly headerView = new DataView(this.header.buffer);
  private readonly scratch = new Uint8Array(SCRATCH_SIZE);
  private readonly statusByte = new Uint8Array(1);
  private readonly id = new Uint8Array(ID_BYTES);
  private readonly capacity: number;
  private readonly saveDisk: boolean;

  constructor(
    readonly disk: BlockDevice,
    options: VirtioBlkOptions = {},
  ) {
    this.queueMaxSize = options.queueSize ?? 256;
    this.saveDisk = options.saveDisk ?? true;
    this.capacity = Math.floor(disk.size / SECTOR_SIZE);
    let f = featureBit(VIRTIO_BLK_F_SEG_MAX) | featureBit(VIRTIO_BLK_F_BLK_SIZE) | featureBit(VIRTIO_BLK_F_FLUSH);
    if (disk.readOnly) f |= featureBit(VIRTIO_BLK_F_RO);
    this.features = f;
    const serial = options.serial ?? '';
    for (let i = 0; i < Math.min(ID_BYTES, serial.length); i++) this.id[i] = serial.charCodeAt(i) & 0xff;

    const v = new DataView(this.config.buffer);
    v.setUint32(0, this.capacity % 0x1_0000_0000, true);
    v.setUint32(4, Math.floor(this.capacity / 0x1_0000_0000), true);
    v.setUint32(12, this.queueMaxSize - 2, true); // seg_max
    v.setUint32(20, SECTOR_SIZE, true); // blk_size
  }

  attach(ctx: VirtioDeviceContext): void {
    this.ctx = ctx;
    this.chain = new DescriptorChain(ctx.mem, this.queueMaxSize);
  }

  readConfig(offset: number, size: AccessSize): number {
    return readConfigBytes(this.config, offset, size);
  }

  writeConfig(_offset: number, _size: AccessSize, _value: number): void {
    // Nothing writable: CONFIG_WCE is not offered.
  }

  activate(): void {
    this.queueNotify(0);
  }

  reset(): void {}

  queueNotify(queue: number): void {
    if (queue !== 0 || !this.ctx.running) return;
    const q = this.ctx.queue(0);
    const chain = this.chain;
    let completed = 0;
    while (q.pop(chain)) {
      const len = this.handle(chain);
      if (len < 0) break;
      q.push(chain.head, len);
      completed++;
    }
    if (completed > 0) this.ctx.notifyUsed(0);
  }

  /** Serves one request; returns the used length, or -1 when the chain is unusable. */
  private handle(chain: DescriptorChain): number {
    if (chain.writableLength < 1) {
      this.ctx.fail('virtio-blk request without a status byte');
      return -1;
    }
    const statusAt = chain.writableLength - 1;
    if (chain.readableLength < HEADER_SIZE) return this.finish(chain, statusAt, VIRTIO_BLK_S_IOERR, 0);
    chain.readInto(0, this.header);
    const type = this.headerView.getUint32(0, true);
    const sectorLo = this.headerView.getUint32(8, true);
    const sectorHi = this.headerView.getUint32(12, true);
    try {
      switch (type) {
        case VIRTIO_BLK_T_IN: {
          const len = statusAt;
          const offset = this.rangeOffset(sectorLo, sectorHi, len);
          if (offset < 0) return this.finish(chain, statusAt, VIRTIO_BLK_S_IOERR, 0);
          for (let done = 0; done < len; ) {
            const n = Math.min(SCRATCH_SIZE, len - done);
            const part = this.scratch.subarray(0, n);
            this.disk.read(offset + done, part);
            chain.writeFrom(done, part);
            done += n;
          }
          return this.finish(chain, statusAt, VIRTIO_BLK_S_OK, len);
        }
        case VIRTIO_BLK_T_OUT: {
          const len = chain.readableLength - HEADER_SIZE;
          const offset = this.rangeOffset(sectorLo, sectorHi, len);
          if (offset < 0 || this.disk.readOnly) return this.finish(chain, statusAt, VIRTIO_BLK_S_IOERR, 0);
          this.writeOut(chain, offset);
          return this.finish(chain, statusAt, VIRTIO_BLK_S_OK, 0);
        }
        case VIRTIO_BLK_T_FLUSH:
          this.disk.flush();
          return this.finish(chain, statusAt, VIRTIO_BLK_S_OK, 0);
        case VIRTIO_BLK_T_GET_ID: {
          const n = Math.min(ID_BYTES, statusAt);
          chain.writeFrom(0, this.id, 0, n);
          return this.finish(chain, statusAt, VIRTIO_BLK_S_OK, n);
        }
        default:
          return this.finish(chain, statusAt, VIRTIO_BLK_S_UNSUPP, 0);
      }
    } catch {
      // A failing backing store is an I/O error for the guest, not a host crash.
      return this.finish(chain, statusAt, VIRTIO_BLK_S_IOERR, 0);
    }
  }

  /** Byte offset of a sector range that must be whole sectors inside the disk, or -1. */
  private rangeOffset(sectorLo: number, sectorHi: number, len: number): number {
    if (len % SECTOR_SIZE !== 0 || sectorHi >= 0x200000) return -1;
    const sector = sectorHi * 0x1_0000_0000 + sectorLo;
    if (sector > this.capacity || len / SECTOR_SIZE > this.capacity - sector) return -1;
    return sector * SECTOR_SIZE;
  }

  /** Writes the readable payload after the header straight from guest RAM. */
  private writeOut(chain: DescriptorChain, offset: number): void {
    const mem = this.ctx.mem;
    let skip = HEADER_SIZE;
    let pos = offset;
    for (let i = 0; i < chain.readableCount; i++) {
      const l = chain.len[i];
      if (skip >= l) {
        skip -= l;
        continue;
      }
      const o = mem.offset(chain.addr[i]) + skip;
      const n = l - skip;
      mem.ensure(chain.addr[i] + skip, n);
      this.disk.write(pos, mem.u8.subarray(o, o + n));
      pos += n;
      skip = 0;
    }
  }

  private finish(chain: DescriptorChain, statusAt: number, status: number, dataLen: number): number {
    this.statusByte[0] = status;
    chain.writeFrom(statusAt, this.statusByte);
    if (status === VIRTIO_BLK_S_OK) this.stats.ok++;
    else if (status === VIRTIO_BLK_S_IOERR) this.stats.ioerr++;
    else this.stats.unsupp++;
    return dataLen + 1;
  }

  saveState(options: SaveOptions = {}): StateRecord {
    const disk = this.saveDisk && options.diskContents !== false && isStateful(this.disk) ? (this.disk.saveState() as unknown as StateValue) : null;
    return { version: 1, capacity: this.capacity, disk };
  }

  loadState(r: StateRecord): void {
    expectVersion(r, 'virtio-blk', 1);
    if (r.capacity !== this.capacity) throw new Error(`virtio-blk: state is for a disk of ${String(r.capacity)} sectors, this one has ${this.capacity}`);
    if (r.disk !== null && r.disk !== undefined) {
      if (!isStateful(this.disk)) throw new Error('virtio-blk: state holds disk contents but this disk cannot load them');
      this.disk.loadState(r.disk as unknown as StateRecord);
    }
  }
}

function isStateful(d: BlockDevice): d is BlockDevice & Stateful {
  const s = d as Partial<Stateful>;
  return typeof s.saveState === 'function' && typeof s.loadState === 'function';
}
