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
  /** Frames and link changes (true: up), in the order they happened on the host. */
  private queue: Array<Uint8Array | boolean> = [];
  private frames = 0;
  private paused = false;
  /** The link state last reported by the transport. */
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
        this.queue.push(up);
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
    if (this.frames >= QUEUE_MAX) this.dropOldestFrame();
    this.queue.push(f);
    this.frames++;
    if (!this.paused && this.frames >= QUEUE_HIGH) {
      this.paused = true;
      this.transport.pause();
    }
    this.wake();
  }

  private dropOldestFrame(): void {
    const i = this.queue.findIndex((e) => typeof e !== 'boolean');
    if (i < 0) return;
    this.queue.splice(i, 1);
    this.frames--;
    this.stats.dropped++;
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
    if (this.postedUp === null || this.queue.some((e) => typeof e === 'boolean' && e !== this.postedUp)) return true;
    return this.frames > 0 && dev.linkUp === this.postedUp && dev.rxRoom > 0;
  }

  /**
   * Posts what the machine can take now (call between run slices): frames
   * as far as the guest has receive buffers, in order with link changes. A
   * link change waits for nothing: frames before it that find no buffer are
   * dropped (they were on the wire when the cable went), and frames after it
   * wait until the machine has applied it.
   */
  pump(): void {
    const m = this.machine;
    const dev = m?.nets[this.index];
    if (!m || !dev) return;
    if (this.postedUp === null) this.postedUp = dev.linkUp;
    if (dev.linkUp !== this.postedUp) return; // the last link change is not applied yet
    let room = dev.rxRoom;
    while (this.queue.length > 0) {
      const head = this.queue[0];
      if (typeof head === 'boolean') {
        this.queue.shift();
        if (head === this.postedUp) continue;
        m.input.post({ kind: 'net-link', slot: this.index, up: head });
        this.postedUp = head;
        this.stats.linkChanges++;
        break; // what follows waits until the machine has applied the change
      }
      if (room > 0) {
        this.queue.shift();
        this.frames--;
        m.input.post({ kind: 'net-rx', slot: this.index, frame: head });
        this.stats.posted++;
        this.stats.postedBytes += head.length;
        room--;
        continue;
      }
      // no buffer: a frame ahead of a link change is lost with the link; otherwise it waits
      if (!this.queue.some((e) => typeof e === 'boolean')) break;
      this.queue.shift();
      this.frames--;
      this.stats.dropped++;
    }
    if (this.paused && this.frames <= QUEUE_LOW) {
      this.paused = false;
      this.transport.resume();
    }
  }

  /** Frames waiting on the host side. */
  get queued(): number {
    return this.frames;
  }

  close(): void {
    this.transport.close();
  }
}
