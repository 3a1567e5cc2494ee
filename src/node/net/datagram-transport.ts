/**
 * Frames over UDP, one datagram per frame, as QEMU's
 * `-netdev socket,udp=REMOTE,localaddr=LOCAL` and `-netdev dgram`: bound to
 * the local address, sending to the remote one, accepting datagrams only from
 * it. There is no connection, so the link is always up.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { emptyStats, type FrameTransport, type TransportEvents } from './frame-transport.js';

export interface UdpEndpoint { host: string; port: number }

/** The largest UDP payload (IPv4). */
const MAX_DATAGRAM = 65507;

export class DatagramTransport implements FrameTransport {
  readonly stats = emptyStats();
  readonly description: string;
  readonly connected = true;
  private socket: Socket | null = null;
  private events: TransportEvents | null = null;
  private paused = false;

  constructor(private readonly local: UdpEndpoint, private readonly remote: UdpEndpoint) {
    this.description = `udp ${local.host}:${local.port} -> ${remote.host}:${remote.port}`;
  }

  start(events: TransportEvents): Promise<void> {
    this.events = events;
    return new Promise((resolve, reject) => {
      const s = createSocket({ type: isIPv6(this.local.host) ? 'udp6' : 'udp4' });
      this.socket = s;
      s.once('error', (e) => reject(new Error(`${this.description}: cannot bind: ${e.message}`)));
      s.on('message', (msg, from) => {
        if (from.port !== this.remote.port || from.address !== this.remote.host) {
          this.stats.rxErrors++;
          return;
        }
        // a datagram socket cannot push back: while the host queue is full, frames are dropped
        if (this.paused) { this.stats.rxErrors++; return; }
        this.stats.rxFrames++;
        this.stats.rxBytes += msg.length;
        this.events?.frame(new Uint8Array(msg));
      });
      s.bind(this.local.port, this.local.host, () => {
        s.removeAllListeners('error');
        s.on('error', (e) => this.events?.note(`${this.description}: ${e.message}`));
        this.events?.link(true, 'bound');
        resolve();
      });
    });
  }

  send(frame: Uint8Array): void {
    if (!this.socket || frame.length > MAX_DATAGRAM) {
      this.stats.txDropped++;
      return;
    }
    this.stats.txFrames++;
    this.stats.txBytes += frame.length;
    this.socket.send(frame, this.remote.port, this.remote.host);
  }

  pause(): void { this.paused = true; }
  resume(): void { this.paused = false; }

  close(): void {
    this.socket?.close();
    this.socket = null;
  }
}
