/**
 * A minimal QMP (QEMU Machine Protocol) client over a Unix socket: the
 * handshake, commands with their replies, and events kept for waiting on.
 */
import { createConnection, type Socket } from 'node:net';

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

export class QmpClient {
  private buffer = '';
  private readonly pending: Pending[] = [];
  readonly events: QmpEvent[] = [];
  private eventWaiters: Array<{ name: string; resolve(e: QmpEvent): void }> = [];

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (e) => this.failAll(e));
    socket.on('close', () => this.failAll(new Error('QMP connection closed')));
  }

  /** Connects (retrying while QEMU creates the socket) and negotiates capabilities. */
  static async connect(path: string, timeoutMs = 10_000): Promise<QmpClient> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = createConnection(path, () => resolve(s));
          s.once('error', reject);
        });
        const client = new QmpClient(socket);
        await client.greeting();
        await client.execute('qmp_capabilities');
        return client;
      } catch (e) {
        if (performance.now() > deadline) throw new Error(`cannot connect to QMP at ${path}: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  private greetingResolve: ((v: unknown) => void) | null = null;

  private greeting(): Promise<unknown> {
    return new Promise((resolve) => { this.greetingResolve = resolve; });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line === '') continue;
      const msg = JSON.parse(line) as Record<string, unknown>;
      if ('QMP' in msg) { this.greetingResolve?.(msg); this.greetingResolve = null; continue; }
      if ('event' in msg) {
        const ev = msg as unknown as QmpEvent;
        this.events.push(ev);
        const waiting = this.eventWaiters.filter((w) => w.name === ev.event);
        this.eventWaiters = this.eventWaiters.filter((w) => w.name !== ev.event);
        for (const w of waiting) w.resolve(ev);
        continue;
      }
      const p = this.pending.shift();
      if (!p) continue;
      if ('error' in msg) {
        const err = msg.error as { class?: string; desc?: string };
        p.reject(new Error(`QMP error ${err.class ?? ''}: ${err.desc ?? JSON.stringify(msg.error)}`));
      } else p.resolve(msg.return);
    }
  }

  private failAll(e: Error): void {
    for (const p of this.pending.splice(0)) p.reject(e);
  }

  /** Runs one QMP command and returns its `return` value. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ resolve: resolve as (v: unknown) => void, reject });
      this.socket.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + '\n');
    });
  }

  /** Resolves on the next event with this name. */
  nextEvent(name: string, timeoutMs = 60_000): Promise<QmpEvent> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for QMP event ${name}`)), timeoutMs);
      this.eventWaiters.push({ name, resolve: (e) => { clearTimeout(t); resolve(e); } });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
