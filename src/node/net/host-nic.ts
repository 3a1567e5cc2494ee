/**
 * One NIC's host side: the virtio-net backend that sends the guest's frames
 * out through a transport, and the queue that holds what arrives until the
 * machine can take it.
 *
 * Socket events arrive whenever Node's event loop runs them, so they are
 * never applied to the machine directly: `pump()`, called by the run loop
 * between slices, posts queued frames and link changes to the machine's
 * input port, which applies them at the next slice boundary and reports each
 * one with its landmark to the recorder. Frames are posted only as far as the
 * guest has receive buffers (`VirtioNet.rxRoom`); beyond that they wait here,
 * and a stream peer is paused (TCP back-pressure) rather than dropped.
 */
import type { VirtMachine } from '../../machine/board/virt-machine.js';
import type { NetBackend } from '../../machine/virtio/net-backend.js';
import { MAX_FRAME } from '../../machine/virtio/virtio-net.js';
import type { FrameTransport } from './frame-transport.js';
import type { NicSpec } from './netdev-spec.js';

/** An Ethernet header; anything shorter is not a frame. */
const MIN_FRAME = 14;
/** Queue length at which the peer is paused, and at which it is resumed. */
const QUEUE_HIGH = 256;
const QUEUE_LOW = 64;
/** Beyond this (a peer that cannot be paused) the oldest frames are dropped. */
const QUEUE_MAX = 1024;

export interface HostNicStats {
  posted: number;
  postedBytes: number;
  /** Runts, oversized frames, queue overflow, frames lost with the link. */
  dropped: number;
  linkChanges: number;
}

export class HostNic implements NetBackend {
  readonly stats: HostNicStats = { posted: 0, postedBytes: 0, dropped: 0, linkChanges: 0 };
  private queue: Uint8Array[] = [];
  private paused = false;
  private wantUp = false;
  /** The link state last posted to the machine (null: not attached yet). */
  private postedUp: boolean | null = null;
  private machine: VirtMachine | null = null;
  private wake: () => void = () => {};

  constructor(
    /** The NIC's index on the board (its `slot` in net inputs; 0 is eth0). */
    readonly index: number,
    readonly spec: NicSpec,
    readonly transport: FrameTransport,
    private readonly log: (text: string) => void,
    /** Extra words for link-down messages (e.g. what passt said last). */
    private readonly context: () => string = () => '',
  ) {}

  get name(): string {
    return `eth${this.index} (${this.spec.id}: ${this.transport.description})`;
  }

  start(): Promise<void> {
    return this.transport.start({
      frame: (f) => this.arrived(f),
      link: (up, reason) => {
        if (up === this.wantUp) return;
        this.wantUp = up;
        if (!up) this.discard();
        const extra = up ? '' : this.context();
        this.log(`${this.name}: link ${up ? 'up' : 'down'}: ${reason}${extra ? ` (${extra})` : ''}`);
        this.wake();
      },
      note: (text) => this.log(`${this.name}: ${text}`),
    });
  }

  get linkUp(): boolean {
    return this.wantUp;
  }

  /** virtio-net transmits: straight out (the guest's frames are its own doing, replay needs none of them). */
  send(frame: Uint8Array): void {
    this.transport.send(frame);
  }

  private arrived(f: Uint8Array): void {
    if (f.length < MIN_FRAME || f.length > MAX_FRAME) {
      this.stats.dropped++;
      return;
    }
    if (this.queue.length >= QUEUE_MAX) {
      this.queue.shift();
      this.stats.dropped++;
    }
    this.queue.push(f);
    if (!this.paused && this.queue.length >= QUEUE_HIGH) {
      this.paused = true;
      this.transport.pause();
    }
    this.wake();
  }

  private discard(): void {
    this.stats.dropped += this.queue.length;
    this.queue = [];
    this.resume();
  }

  private resume(): void {
    if (this.paused) {
      this.paused = false;
      this.transport.resume();
    }
  }

  /** Connects the NIC to its device; `wake` is called when something arrives for the machine. */
  attach(machine: VirtMachine, wake: () => void): void {
    this.machine = machine;
    this.wake = wake;
    this.postedUp = null;
  }

  /** Frames or a link change the machine could take now. */
  get ready(): boolean {
    const dev = this.machine?.nets[this.index];
    if (!dev) return false;
    if (this.postedUp === null || this.wantUp !== this.postedUp) return true;
    return this.queue.length > 0 && dev.linkUp === this.postedUp && dev.rxRoom > 0;
  }

  /** Posts what the machine can take now (call between run slices). */
  pump(): void {
    const m = this.machine;
    const dev = m?.nets[this.index];
    if (!m || !dev) return;
    if (this.postedUp === null) this.postedUp = dev.linkUp;
    if (this.wantUp !== this.postedUp) {
      m.input.post({ kind: 'net-link', slot: this.index, up: this.wantUp });
      this.postedUp = this.wantUp;
      this.stats.linkChanges++;
      return; // frames follow once the machine has applied the change
    }
    if (dev.linkUp !== this.postedUp) return;
    let room = dev.rxRoom;
    while (room > 0 && this.queue.length > 0) {
      const frame = this.queue.shift() as Uint8Array;
      m.input.post({ kind: 'net-rx', slot: this.index, frame });
      this.stats.posted++;
      this.stats.postedBytes += frame.length;
      room--;
    }
    if (this.queue.length <= QUEUE_LOW) this.resume();
  }

  /** Frames waiting on the host side. */
  get queued(): number {
    return this.queue.length;
  }

  close(): void {
    this.transport.close();
  }
}
