/**
 * The GDB remote stub over TCP, on the loopback interface only: one debugger
 * at a time (a second connection is refused while one is open).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { GdbStub } from '../debug/gdb-stub.js';
import type { DebugTarget } from '../debug/debug-target.js';

export interface GdbServer {
  readonly port: number;
  /** Resolves when a debugger connection ends (k, D or closed). */
  readonly sessionEnded: Promise<void>;
  close(): Promise<void>;
}

/** Parses QEMU's `-gdb tcp::PORT` (also `tcp:127.0.0.1:PORT` or a bare port). */
export function parseGdbAddress(text: string): number {
  const m = /^(?:tcp:(?:127\.0\.0\.1|localhost)?:)?(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[1]) : NaN;
  if (!(port >= 0 && port < 65536)) throw new Error(`-gdb: expected tcp::PORT (loopback only), got "${text}"`);
  return port;
}

export async function serveGdb(target: DebugTarget, port: number, log?: (line: string) => void): Promise<GdbServer> {
  let current: Socket | null = null;
  let ended!: () => void;
  const sessionEnded = new Promise<void>((res) => { ended = res; });
  const server: Server = createServer((socket) => {
    if (current) { socket.destroy(); return; }
    current = socket;
    socket.setNoDelay(true);
    const stub = new GdbStub(target, {
      send: (b) => { if (!socket.destroyed) socket.write(b); },
      close: () => socket.end(),
    });
    if (log) stub.log = (dir, text) => log(`${dir} ${text.length > 200 ? text.slice(0, 200) + '...' : text}`);
    socket.on('data', (b: Buffer) => stub.receive(new Uint8Array(b.buffer, b.byteOffset, b.length)));
    const done = (): void => {
      if (current !== socket) return;
      current = null;
      stub.disconnected();
      ended();
    };
    socket.on('close', done);
    socket.on('error', done);
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(port, '127.0.0.1', () => res());
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : port,
    sessionEnded,
    // end (not destroy) the connection so a last reply, such as the exit status, still goes out
    close: () => new Promise<void>((res) => setImmediate(res)).then(() => new Promise<void>((res) => {
      const s = current;
      if (s) { s.end(); setTimeout(() => s.destroy(), 500).unref(); }
      server.close(() => res());
    })),
  };
}
