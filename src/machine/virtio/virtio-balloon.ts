/**
 * virtio-balloon (device ID 5, virtio 1.1 §5.5) with free page reporting
 * (VIRTIO_BALLOON_F_REPORTING): the guest tells the device which of its pages
 * are free, and the device discards them, i.e. zeroes them in guest RAM.
 *
 * Why zeroing is deterministic without an input record: the device works
 * synchronously inside the guest's QueueNotify store, so the discard happens
 * at an instruction boundary the guest itself chose, with contents that depend
 * only on guest RAM. A replay or a restored machine executes the same store and
 * zeroes the same pages. The host never decides anything here (the balloon
 * target `num_pages` is fixed when the machine is built).
 *
 * Queues (compacted like Linux and QEMU do: absent optional queues take no
 * index): 0 inflate, 1 deflate, 2 reporting. Inflated pages are discarded too
 * (the guest promised not to touch them); deflated ones need no action.
 *
 * `discardLog` marks every page this device zeroed, one byte per page, like
 * the dirty log: whoever wants to know (a checkpointer counting "free
 * (reported)" pages) reads and clears it. It is host bookkeeping, not guest
 * state, so it is not saved.
 */
import type { AccessSize } from '../bus.js';
import { PAGE_SHIFT, PAGE_SIZE } from '../memory.js';
import type { StateRecord } from '../state.js';
import { expectVersion } from '../state.js';
import { DescriptorChain } from './descriptor-chain.js';
import type { VirtioDevice, VirtioDeviceContext } from './virtio-device.js';
import { readConfigBytes } from './virtio-device.js';
import { DEVICE_ID_BALLOON, featureBit } from './virtio-constants.js';

export const F_BALLOON_REPORTING = 5;
export const BALLOON_QUEUE_INFLATE = 0;
export const BALLOON_QUEUE_DEFLATE = 1;
export const BALLOON_QUEUE_REPORTING = 2;
/** Balloon PFNs are always 4 KiB frames (VIRTIO_BALLOON_PFN_SHIFT). */
const PFN_SHIFT = 12;
/** Config space: num_pages, actual, free_page_hint_cmd_id, poison_val. */
const CONFIG_SIZE = 16;

export interface VirtioBalloonOptions {
  queueSize?: number;
  /** Pages the device asks the guest to give up (config num_pages); default 0. */
  targetPages?: number;
}

export class VirtioBalloon implements VirtioDevice {
  readonly deviceId = DEVICE_ID_BALLOON;
  readonly queueCount = 3;
  readonly features = featureBit(F_BALLOON_REPORTING);
  readonly queueMaxSize: number;
  /** One byte per RAM page: 1 = zeroed by this device since the log was last cleared. */
  discardLog: Uint8Array = new Uint8Array(0);
  /** Counters for diagnostics (saved: they are part of what a run did). */
  pagesReported = 0;
  pagesInflated = 0;
  pagesDeflated = 0;
  pagesZeroed = 0;

  private ctx!: VirtioDeviceContext;
  private chain!: DescriptorChain;
  private readonly config = new Uint8Array(CONFIG_SIZE);
  private readonly targetPages: number;
  private readonly pfnBuf = new Uint8Array(4);

  constructor(options: VirtioBalloonOptions = {}) {
    this.queueMaxSize = options.queueSize ?? 64;
    this.targetPages = options.targetPages ?? 0;
    if (!Number.isInteger(this.targetPages) || this.targetPages < 0 || this.targetPages > 0xffff_ffff) throw new Error(`virtio-balloon: bad target ${this.targetPages}`);
    this.resetConfig();
  }

  attach(ctx: VirtioDeviceContext): void {
    this.ctx = ctx;
    this.chain = new DescriptorChain(ctx.mem, this.queueMaxSize);
    this.discardLog = new Uint8Array(ctx.mem.pages);
  }

  /** Guest-written `actual` (pages currently in the balloon). */
  get actualPages(): number {
    return readConfigBytes(this.config, 4, 4);
  }

  readConfig(offset: number, size: AccessSize): number {
    return readConfigBytes(this.config, offset, size);
  }

  writeConfig(offset: number, size: AccessSize, value: number): void {
    // Only `actual` (bytes 4..7) is driver-writable.
    for (let i = 0; i < size; i++) {
      const o = offset + i;
      if (o >= 4 && o < 8) this.config[o] = (value >>> (8 * i)) & 0xff;
    }
  }

  activate(): void {
    for (let q = 0; q < this.queueCount; q++) this.queueNotify(q);
  }

  reset(): void {
    this.resetConfig();
  }

  private resetConfig(): void {
    this.config.fill(0);
    const t = this.targetPages;
    this.config[0] = t & 0xff; this.config[1] = (t >>> 8) & 0xff; this.config[2] = (t >>> 16) & 0xff; this.config[3] = (t >>> 24) & 0xff;
  }

  queueNotify(queue: number): void {
    if (queue >= this.queueCount || !this.ctx.running) return;
    const q = this.ctx.queue(queue);
    const chain = this.chain;
    let completed = 0;
    while (q.pop(chain)) {
      if (queue === BALLOON_QUEUE_REPORTING) this.report(chain);
      else this.pfns(chain, queue === BALLOON_QUEUE_INFLATE);
      q.push(chain.head, 0);
      completed++;
    }
    if (completed > 0) this.ctx.notifyUsed(queue);
  }

  /** Free page report: every segment (QEMU looks at the device-writable ones; we accept both) is a free range. */
  private report(chain: DescriptorChain): void {
    for (let i = 0; i < chain.count; i++) {
      const n = Math.floor(chain.len[i] / PAGE_SIZE);
      this.pagesReported += n;
      this.discard(chain.addr[i], chain.len[i]);
    }
  }

  /** Inflate/deflate: the readable bytes are little-endian u32 PFNs. */
  private pfns(chain: DescriptorChain, inflate: boolean): void {
    const count = Math.floor(chain.readableLength / 4);
    const mem = this.ctx.mem;
    const b = this.pfnBuf;
    for (let k = 0; k < count; k++) {
      chain.readInto(4 * k, b);
      const pfn = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
      if (!inflate) { this.pagesDeflated++; continue; }
      this.pagesInflated++;
      const pa = pfn * 2 ** PFN_SHIFT;
      // A PFN outside RAM is ignored, as QEMU does.
      if (mem.contains(pa, PAGE_SIZE)) this.discard(pa, PAGE_SIZE);
    }
  }

  private discard(pa: number, len: number): void {
    const mem = this.ctx.mem;
    if (!mem.contains(pa, len)) return;
    this.pagesZeroed += mem.discard(pa, len);
    const log = this.discardLog;
    const first = Math.ceil((pa - mem.base) / PAGE_SIZE);
    const end = (pa - mem.base + len) >>> PAGE_SHIFT;
    for (let p = first; p < end; p++) log[p] = 1;
  }

  clearDiscardLog(): void {
    this.discardLog.fill(0);
  }

  saveState(): StateRecord {
    return {
      version: 1,
      config: this.config.slice(),
      pagesReported: this.pagesReported,
      pagesInflated: this.pagesInflated,
      pagesDeflated: this.pagesDeflated,
      pagesZeroed: this.pagesZeroed,
    };
  }

  loadState(r: StateRecord): void {
    expectVersion(r, 'virtio-balloon', 1);
    if (!(r.config instanceof Uint8Array) || r.config.length !== CONFIG_SIZE) throw new Error('virtio-balloon: bad config in state record');
    this.config.set(r.config);
    const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
    this.pagesReported = num(r.pagesReported);
    this.pagesInflated = num(r.pagesInflated);
    this.pagesDeflated = num(r.pagesDeflated);
    this.pagesZeroed = num(r.pagesZeroed);
  }
}
