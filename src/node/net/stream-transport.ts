/**
 * Frames over a stream socket (UNIX or TCP) with QEMU's length-prefix
 * framing: `-netdev stream` (client or server), `-netdev socket,connect=` /
 * `listen=`, and the socket passt serves. A server takes one peer at a time
 * (the cable has two ends); a client may reconnect after losing its peer.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { MAX_FRAME } from '../../machine/virtio/virtio-net.js';
import { FrameDecoder, encodeFrame } from './frame-stream.js';
import { emptyStats, type FrameTransport, type TransportEvents } from './frame-transport.js';

export type StreamAddress = { kind: 'unix'; path: string } | { kind: 'inet'; host: string; port: number };

export interface StreamTransportOptions {
  address: StreamAddress;
  server: boolean;
  /** Client: milliseconds between reconnection attempts after the peer is lost; 0: stay down. */
  reconnectMs?: number;
  /** Bytes queued for a slow peer before frames are dropped (default 4 MiB). */
  maxWriteBuffer?: number;
}

export function formatAddress(a: StreamAddress): string {
  return a.kind === 'unix' ? `unix:${a.path}` : `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}

export class StreamTransport implements FrameTransport {
  readonly stats = emptyStats();
  readonly description: string;
  private socket: Socket | null = null;
  private server: Server | null = null;
  private events: TransportEvents | null = null;
  private decoder = new FrameDecoder(MAX_FRAME);
  private paused = false;
  private closed = false;
  private retry: NodeJS.Timeout | null = null;
  private readonly maxWriteBuffer: number;

  constructor(private readonly options: StreamTransportOptions) {
    this.description = `stream ${formatAddress(options.address)} (${options.server ? 'server' : 'client'})`;
    this.maxWriteBuffer = options.maxWriteBuffer ?? 4 << 20;
  }

  get connected(): boolean {
    return this.socket !== null;
  }

  start(events: TransportEvents): Promise<void> {
    this.events = events;
    return this.options.server ? this.listen() : this.connect(true);
  }

  private connectOptions(): { path: string } | { host: string; port: number } {
    const a = this.options.address;
    return a.kind === 'unix' ? { path: a.path } : { host: a.host, port: a.port };
  }

  private connect(first: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = createConnection(this.connectOptions());
      const onError = (e: Error): void => {
        s.destroy();
        if (first) reject(new Error(`${this.description}: cannot connect: ${e.message}`));
        else this.scheduleReconnect();
      };
      s.once('error', onError);
      s.once('connect', () => {
        s.off('error', onError);
        if (this.closed) { s.destroy(); return resolve(); }
        this.adopt(s, 'connected');
        resolve();
      });
    });
  }

  private scheduleReconnect(): void {
    const ms = this.options.reconnectMs ?? 0;
    if (this.closed || ms <= 0 || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      if (!this.closed && !this.socket) void this.connect(false);
    }, ms);
    this.retry.unref();
  }

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = createServer((s) => {
        if (this.socket || this.closed) {
          // a second cable end: refuse it rather than mix two peers' frames
          this.events?.note(`${this.description}: refused a second peer (one is connected)`);
          s.destroy();
          return;
        }
        this.adopt(s, `peer ${s.remoteAddress ?? 'local'} connected`);
      });
      this.server = server;
      server.once('error', (e) => reject(new Error(`${this.description}: cannot listen: ${e.message}`)));
      server.listen(this.connectOptions(), () => resolve());
    });
  }

  /** Listening port (a TCP server asked for port 0 gets one from the kernel). */
  get port(): number | null {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : null;
  }

  private adopt(s: Socket, why: string): void {
    this.socket = s;
    this.decoder = new FrameDecoder(MAX_FRAME);
    s.setNoDelay?.(true);
    if (this.paused) s.pause();
    s.on('data', (chunk: Buffer) => {
      if (this.socket !== s) return;
      this.stats.rxBytes += chunk.length;
      const fatal = this.decoder.push(chunk, (f) => {
        this.stats.rxFrames++;
        this.events?.frame(f);
      });
      if (fatal) {
        this.stats.rxErrors++;
        this.drop(s, `bad stream from peer: ${fatal}`);
      }
    });
    s.on('error', (e) => this.drop(s, `socket error: ${e.message}`));
    s.on('close', () => this.drop(s, 'peer closed the connection'));
    this.events?.link(true, why);
  }

  /** Loses the peer: the link goes down; a client may try again later. */
  private drop(s: Socket, reason: string): void {
    if (this.socket !== s) return;
    this.socket = null;
    s.destroy();
    if (this.decoder.pending > 0) {
      this.stats.rxErrors++;
      reason += ` (${this.decoder.pending} bytes of a truncated frame discarded)`;
    }
    if (this.closed) return;
    this.events?.link(false, reason);
    if (!this.options.server) this.scheduleReconnect();
  }

  send(frame: Uint8Array): void {
    const s = this.socket;
    if (!s || s.writableLength > this.maxWriteBuffer) {
      this.stats.txDropped++;
      return;
    }
    this.stats.txFrames++;
    this.stats.txBytes += frame.length;
    s.write(encodeFrame(frame));
  }

  pause(): void {
    this.paused = true;
    this.socket?.pause();
  }

  resume(): void {
    this.paused = false;
    this.socket?.resume();
  }

  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.socket?.destroy();
    this.socket = null;
    this.server?.close();
    this.server = null;
  }
}
