/** A tiny HTTP server on 127.0.0.1 for network tests: serves one seeded blob at /blob.bin. */
import { createHash } from 'node:crypto';
import { createServer, get, type Server } from 'node:http';
import { mulberry32 } from './prng.js';

/** `bytes` of seeded noise (incompressible, like a real download). */
export function seededBlob(bytes: number, seed = 15): Buffer {
  const rnd = mulberry32(seed);
  const b = Buffer.alloc(bytes);
  for (let i = 0; i + 4 <= bytes; i += 4) b.writeUInt32LE(Math.floor(rnd() * 0x1_0000_0000), i);
  return b;
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export interface BlobServer { server: Server; port: number; requests: number; close(): Promise<void> }

export function serveBlob(body: Buffer): Promise<BlobServer> {
  return new Promise((resolve) => {
    const s: BlobServer = {
      server: createServer((req, res) => {
        s.requests++;
        if (req.url !== '/blob.bin') { res.writeHead(404).end(); return; }
        res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' }).end(body);
      }),
      port: 0,
      requests: 0,
      close: () => new Promise((r) => { s.server.closeAllConnections(); s.server.close(() => r()); }),
    };
    s.server.listen(0, '127.0.0.1', () => { s.port = (s.server.address() as { port: number }).port; resolve(s); });
  });
}

export function fetchText(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, timeout: 20_000 }, (res) => {
      let t = '';
      res.on('data', (c: Buffer) => { t += c.toString(); });
      res.on('end', () => resolve(t));
    }).on('error', reject);
  });
}

/** The guest shell line that downloads /blob.bin from the host through the default gateway. */
export function guestDownload(port: number, to = '/tmp/blob'): string {
  return `gw=$(ip -4 route | sed -n 's/^default via \\([0-9.]*\\).*/\\1/p'); wget -q -O ${to} http://$gw:${port}/blob.bin; sha256sum ${to}; wc -c < ${to}`;
}
