/**
 * virtio-net (device ID 1, virtio 1.1 §5.1): receive queue 0, transmit queue 1,
 * a fixed MAC and link status, no offloads. Frames carry the 12-byte
 * virtio_net_hdr (VERSION_1 is always negotiated on this transport).
 *
 * Transmit happens inside the QueueNotify write. The board calls `receive`
 * when a net-rx input is applied; frames that find no receive buffer wait in
 * a bounded queue until the driver posts buffers, then are dropped.
 */
import type { AccessSize } from '../bus.js';
import type { StateRecord, StateValue } from '../state.js';
import { expectVersion } from '../state.js';
import { DescriptorChain } from './descriptor-chain.js';
import type { NetBackend } from './net-backend.js';
import type { VirtioDevice, VirtioDeviceContext } from './virtio-device.js';
import { readConfigBytes } from './virtio-device.js';
import { DEVICE_ID_NET, featureBit } from './virtio-constants.js';

export const VIRTIO_NET_F_MAC = 5;
export const VIRTIO_NET_F_STATUS = 16;
export const VIRTIO_NET_S_LINK_UP = 1;
export const VIRTIO_NET_HDR_SIZE = 12;
/** Largest frame accepted either way (an Ethernet frame of a 64 KiB IP packet). */
export const MAX_FRAME = 65550;

const RX = 0;
const TX = 1;

export interface VirtioNetOptions {
  /** Six bytes; default 52:54:00:12:34:56 as QEMU. */
  mac?: Uint8Array;
  /** Frames kept while the guest has no receive buffer. Default 64. */
  rxBacklog?: number;
  /** QueueNumMax. Default 256. */
  queueSize?: number;
}

export class VirtioNet implements VirtioDevice {
  readonly deviceId = DEVICE_ID_NET;
  readonly queueCount = 2;
  readonly features = featureBit(VIRTIO_NET_F_MAC) | featureBit(VIRTIO_NET_F_STATUS);
  readonly queueMaxSize: number;
  readonly mac: Uint8Array;
  readonly stats = { txFrames: 0, txDropped: 0, rxFrames: 0, rxDropped: 0, linkChanges: 0 };

  private ctx!: VirtioDeviceContext;
  // One chain per queue: a loopback backend receives while a transmit chain is still in hand.
  private rxChain!: DescriptorChain;
  private txChain!: DescriptorChain;
  private readonly config = new Uint8Array(12);
  private readonly header = new Uint8Array(VIRTIO_NET_HDR_SIZE);
  private readonly backlogLimit: number;
  private backlog: Uint8Array[] = [];

  constructor(
    public backend: NetBackend,
    options: VirtioNetOptions = {},
  ) {
    this.mac = (options.mac ?? Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56)).slice();
    if (this.mac.length !== 6) throw new Error('virtio-net: a MAC address has 6 bytes');
    this.backlogLimit = options.rxBacklog ?? 64;
    this.queueMaxSize = options.queueSize ?? 256;
    this.config.set(this.mac, 0);
    this.config[6] = VIRTIO_NET_S_LINK_UP;
    // Without MRG_RXBUF every frame fits one buffer: num_buffers is always 1.
    this.header[10] = 1;
  }

  private attached = false;

  attach(ctx: VirtioDeviceContext): void {
    this.ctx = ctx;
    this.attached = true;
    this.rxChain = new DescriptorChain(ctx.mem, this.queueMaxSize);
    this.txChain = new DescriptorChain(ctx.mem, this.queueMaxSize);
  }

  get linkUp(): boolean {
    return (this.config[6] & VIRTIO_NET_S_LINK_UP) !== 0;
  }

  set linkUp(up: boolean) {
    this.setLink(up);
  }

  /**
   * Plugs or pulls the cable: the status bit changes and the driver gets a
   * configuration-change interrupt (VIRTIO_NET_F_STATUS), as on QEMU's
   * `set_link`. Frames waiting for a buffer are lost with the link.
   */
  setLink(up: boolean): void {
    if (up === this.linkUp) return;
    this.config[6] = up ? VIRTIO_NET_S_LINK_UP : 0;
    this.stats.linkChanges++;
    if (!up) {
      this.stats.rxDropped += this.backlog.length;
      this.backlog = [];
    }
    if (this.attached) this.ctx.configChanged();
  }

  /**
   * Frames the device can take now without dropping any: receive buffers the
   * driver posted, less the frames already waiting. Host adapters use it to
   * hold frames back (and push back on their peer) instead of overflowing the
   * backlog; it only reads state.
   */
  get rxRoom(): number {
    if (!this.attached || !this.ctx.running || !this.linkUp) return 0;
    return Math.max(0, this.ctx.queue(RX).availableCount() - this.backlog.length);
  }

  /** Frames waiting for a receive buffer. */
  get backlogLength(): number {
    return this.backlog.length;
  }

  readConfig(offset: number, size: AccessSize): number {
    return readConfigBytes(this.config, offset, size);
  }

  writeConfig(_offset: number, _size: AccessSize, _value: number): void {
    // The MAC is read-only without VIRTIO_NET_F_CTRL_MAC_ADDR.
  }

  activate(): void {
    this.queueNotify(RX);
    this.queueNotify(TX);
  }

  reset(): void {
    this.backlog = [];
  }

  queueNotify(queue: number): void {
    if (!this.ctx.running) return;
    if (queue === TX) this.transmit();
    else if (queue === RX) this.drainBacklog();
  }

  /** A frame from the outside world (no virtio header). Never throws. */
  receive(frame: Uint8Array): void {
    if (!this.attached) {
      this.stats.rxDropped++;
      return;
    }
    try {
      if (frame.length > MAX_FRAME || !this.ctx.running || !this.linkUp) {
        this.stats.rxDropped++;
        return;
      }
      const before = this.stats.rxFrames;
      if (this.backlog.length === 0 && this.deliver(frame)) {
        if (this.stats.rxFrames !== before) this.ctx.notifyUsed(RX);
        return;
      }
      if (this.backlog.length < this.backlogLimit) this.backlog.push(frame.slice());
      else this.stats.rxDropped++;
    } catch (e) {
      this.ctx.fail(`virtio-net receive: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private drainBacklog(): void {
    const before = this.stats.rxFrames;
    while (this.backlog.length > 0 && this.deliver(this.backlog[0])) this.backlog.shift();
    if (this.stats.rxFrames !== before) this.ctx.notifyUsed(RX);
  }

  /** Puts one frame into the next receive buffer; false when there is none. */
  private deliver(frame: Uint8Array): boolean {
    const q = this.ctx.queue(RX);
    const chain = this.rxChain;
    if (!q.pop(chain)) return false;
    if (chain.writableLength < VIRTIO_NET_HDR_SIZE + frame.length) {
      // Too small for this frame: keep the buffer for the next one.
      q.unpop();
      this.stats.rxDropped++;
      return true;
    }
    chain.writeFrom(0, this.header);
    chain.writeFrom(VIRTIO_NET_HDR_SIZE, frame);
    q.push(chain.head, VIRTIO_NET_HDR_SIZE + frame.length);
    this.stats.rxFrames++;
    return true;
  }

  private transmit(): void {
    const q = this.ctx.queue(TX);
    const chain = this.txChain;
    let completed = 0;
    while (q.pop(chain)) {
      const len = chain.readableLength - VIRTIO_NET_HDR_SIZE;
      if (len < 0 || len > MAX_FRAME || !this.linkUp) {
        // malformed, or no cable: the frame goes nowhere
        this.stats.txDropped++;
      } else {
        const frame = new Uint8Array(len);
        chain.readInto(VIRTIO_NET_HDR_SIZE, frame);
        this.stats.txFrames++;
        this.backend.send(frame);
      }
      q.push(chain.head, 0);
      completed++;
    }
    if (completed > 0) this.ctx.notifyUsed(TX);
  }

  saveState(): StateRecord {
    return {
      version: 1,
      mac: this.mac.slice(),
      linkUp: this.linkUp,
      backlog: this.backlog.map((f) => f.slice()),
      stats: { ...this.stats },
    };
  }

  loadState(r: StateRecord): void {
    expectVersion(r, 'virtio-net', 1);
    const backlog = r.backlog;
    if (!Array.isArray(backlog) || !backlog.every((f: StateValue) => f instanceof Uint8Array)) throw new Error('virtio-net: bad backlog in state record');
    if (!(r.mac instanceof Uint8Array) || r.mac.length !== 6) throw new Error('virtio-net: bad mac in state record');
    this.mac.set(r.mac);
    this.config.set(this.mac, 0);
    this.config[6] = r.linkUp === false ? 0 : VIRTIO_NET_S_LINK_UP;
    this.backlog = (backlog as Uint8Array[]).map((f) => f.slice());
    const s = r.stats as Record<string, StateValue> | undefined;
    for (const k of ['txFrames', 'txDropped', 'rxFrames', 'rxDropped', 'linkChanges'] as const) {
      const v = s?.[k];
      this.stats[k] = typeof v === 'number' ? v : 0;
    }
  }
}
