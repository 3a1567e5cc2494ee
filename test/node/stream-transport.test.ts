// The stream transport against peers that misbehave (all on 127.0.0.1): garbage lengths,
// truncated frames, closing, stalling, a second peer. Nothing throws; the link goes down with a
// reason, and a client with reconnect comes back up.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/node/net/frame-stream.js';
import { StreamTransport } from '../../src/node/net/stream-transport.js';
import type { TransportEvents } from '../../src/node/net/frame-transport.js';

class Events implements TransportEvents {
  frames: number[][] = [];
  links: Array<[boolean, string]> = [];
  notes: string[] = [];
  private waiters: Array<() => void> = [];
  frame(f: Uint8Array): void { this.frames.push([...f]); this.poke(); }
  link(up: boolean, reason: string): void { this.links.push([up, reason]); this.poke(); }
  note(t: string): void { this.notes.push(t); this.poke(); }
  private poke(): void { const w = this.waiters; this.waiters = []; w.forEach((f) => f()); }
  async until(cond: () => boolean, ms = 10_000): Promise<void> {
    const t0 = Date.now();
    while (!cond()) {
      if (Date.now() - t0 > ms) throw new Error(`timed out; links ${JSON.stringify(this.links)}`);
      await new Promise<void>((r) => { const t = setTimeout(r, 50); this.waiters.push(() => { clearTimeout(t); r(); }); });
    }
  }
}

function listen(onConn: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer(onConn);
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

const closers: Array<() => void> = [];
afterEach(() => { closers.splice(0).forEach((c) => c()); });

describe('stream transport and hostile peers', () => {
  it('frames both ways, then an oversized length drops the link (client reconnects)', async () => {
    const conns: Socket[] = [];
    const got: Buffer[] = [];
    const { server, port } = await listen((s) => { conns.push(s); s.on('data', (b) => got.push(b)); });
    closers.push(() => { conns.forEach((c) => c.destroy()); server.close(); });
    const t = new StreamTransport({ address: { kind: 'inet', host: '127.0.0.1', port }, server: false, reconnectMs: 100 });
    closers.push(() => t.close());
    const ev = new Events();
    await t.start(ev);
    expect(ev.links).toEqual([[true, 'connected']]);
    t.send(Uint8Array.of(1, 2, 3));
    await new Promise((r) => setTimeout(r, 100));
    expect([...Buffer.concat(got)]).toEqual([0, 0, 0, 3, 1, 2, 3]);
    // a frame split across writes, then garbage: length 0xffffffff
    const f = encodeFrame(Uint8Array.from({ length: 60 }, (_, i) => i));
    conns[0].write(f.subarray(0, 7));
    await new Promise((r) => setTimeout(r, 30));
    conns[0].write(Buffer.concat([f.subarray(7), Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3])]));
    await ev.until(() => ev.links.length >= 2);
    expect(ev.frames.length).toBe(1);
    expect(ev.links[1][0]).toBe(false);
    expect(ev.links[1][1]).toMatch(/bad stream from peer: frame length 4294967295 exceeds/);
    expect(t.stats.rxErrors).toBe(1);
    // the client comes back
    await ev.until(() => ev.links.length >= 3);
    expect(ev.links[2]).toEqual([true, 'connected']);
    // sending while the peer is gone is counted, not thrown
    expect(t.connected).toBe(true);
  });

  it('a truncated frame and a close: link down naming the discarded bytes; sends are dropped', async () => {
    const { server, port } = await listen((s) => { s.end(Buffer.from([0, 0, 1, 0, 9, 9, 9])); });
    closers.push(() => server.close());
    const t = new StreamTransport({ address: { kind: 'inet', host: '127.0.0.1', port }, server: false });
    closers.push(() => t.close());
    const ev = new Events();
    await t.start(ev);
    await ev.until(() => ev.links.length >= 2);
    expect(ev.links[1][1]).toMatch(/peer closed the connection \(7 bytes of a truncated frame discarded\)/);
    t.send(new Uint8Array(60));
    expect(t.stats.txDropped).toBe(1);
    expect(ev.frames).toEqual([]);
  });

  it('a stalled peer costs nothing; the server refuses a second peer', async () => {
    const t = new StreamTransport({ address: { kind: 'inet', host: '127.0.0.1', port: 0 }, server: true });
    closers.push(() => t.close());
    const ev = new Events();
    await t.start(ev);
    expect(ev.links).toEqual([]);
    const a = connect(t.port!, '127.0.0.1');
    closers.push(() => a.destroy());
    await ev.until(() => ev.links.length === 1);
    a.write(Buffer.from([0, 0, 0, 100, 1, 2])); // and never the rest
    const b = connect(t.port!, '127.0.0.1');
    closers.push(() => b.destroy());
    await ev.until(() => ev.notes.length === 1);
    expect(ev.notes[0]).toMatch(/refused a second peer/);
    expect(ev.frames).toEqual([]);
    expect(t.connected).toBe(true);
    a.destroy();
    await ev.until(() => ev.links.length === 2);
    expect(ev.links[1][0]).toBe(false);
  });

  it('a client that cannot connect says where', async () => {
    const { server, port } = await listen(() => {});
    await new Promise<void>((r) => server.close(() => r()));
    const t = new StreamTransport({ address: { kind: 'inet', host: '127.0.0.1', port }, server: false });
    await expect(t.start(new Events())).rejects.toThrow(new RegExp(`stream 127.0.0.1:${port} \\(client\\): cannot connect`));
  });
});
