/**
 * A MachineSnapshot as bytes (own-file snapshots until checkpoint-repository
 * references are wired in):
 *   "RVSN" u8 version  uleb idLen id  uleb instret  u32 archHash  u32 ramHash
 *   uleb stateLen state  uleb ramBytes  chunk*  u32 crc32(all before)
 *   chunk: u8 kind (0 zero, 1 raw, 2 compressed with codecId)  [u8 codecId  uleb len  bytes]
 * RAM goes in 1 MiB chunks; all-zero chunks cost one byte.
 */
import type { PageCodec } from '../snapshot/page-codec.js';
import { crc32 } from '../snapshot/crc32.js';
import { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import type { CodecLookup } from './frame-compressor.js';
import type { MachineSnapshot } from './machine-snapshot.js';
import { ReplayLogError } from './replay-error.js';

const MAGIC = 'RVSN';
const VERSION = 1;
const CHUNK = 1 << 20;

function isZero(b: Uint8Array, off: number, len: number): boolean {
  const w = new Int32Array(b.buffer, b.byteOffset + off, len >>> 2);
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) return false;
  return true;
}

export function encodeSnapshot(s: MachineSnapshot, codec: PageCodec): Uint8Array {
  const w = new ByteWriter(1 << 20);
  for (const c of MAGIC) w.u8(c.charCodeAt(0));
  w.u8(VERSION);
  w.blob(new TextEncoder().encode(s.id));
  w.uleb(s.instret);
  w.u32(s.archHash);
  w.u32(s.ramHash);
  w.blob(s.state);
  w.uleb(s.ram.length);
  if (s.ram.length % CHUNK !== 0 || s.ram.byteOffset % 4 !== 0) throw new Error('snapshot RAM must be whole MiB and aligned');
  const out = new Uint8Array(codec.maxOutput(CHUNK));
  for (let off = 0; off < s.ram.length; off += CHUNK) {
    if (isZero(s.ram, off, CHUNK)) { w.u8(0); continue; }
    const n = codec.compress(s.ram, off, CHUNK, out);
    if (n < CHUNK) { w.u8(2); w.u8(codec.id); w.blob(out.subarray(0, n)); }
    else { w.u8(1); w.bytes(s.ram.subarray(off, off + CHUNK)); }
  }
  w.u32(crc32(w.buf, 0, w.n));
  return w.result();
}

export function decodeSnapshot(b: Uint8Array, name: string, codecs: CodecLookup): MachineSnapshot {
  const r = new ByteReader(b, name);
  if (b.length < 9) r.fail('not a Retrovisor snapshot (too short)');
  for (let i = 0; i < 4; i++) if (b[i] !== MAGIC.charCodeAt(i)) r.fail('not a Retrovisor snapshot (bad magic)');
  r.pos = 4;
  const version = r.u8();
  if (version !== VERSION) throw new ReplayLogError(name, `unsupported snapshot version ${version} (this build reads version ${VERSION})`);
  const end = b.length - 4;
  const crc = new ByteReader(b, name, end).u32();
  if (crc !== crc32(b, 0, end)) throw new ReplayLogError(name, 'checksum mismatch (corrupt or truncated snapshot)');
  const body = new ByteReader(b, name, 5, end);
  let id: string;
  try { id = new TextDecoder('utf-8', { fatal: true }).decode(body.blob(4096)); } catch (e) { if (e instanceof ReplayLogError) throw e; return body.fail('id is not UTF-8'); }
  const instret = body.uleb();
  const archHash = body.u32();
  const ramHash = body.u32();
  const state = body.blob(1 << 30);
  const ramBytes = body.uleb();
  if (ramBytes % CHUNK !== 0 || ramBytes > 2 ** 31) body.fail(`bad RAM size ${ramBytes}`);
  const ram = new Uint8Array(ramBytes);
  for (let off = 0; off < ramBytes; off += CHUNK) {
    const kind = body.u8();
    if (kind === 0) continue;
    if (kind === 1) { ram.set(body.bytes(CHUNK), off); continue; }
    if (kind !== 2) body.fail(`bad chunk kind ${kind}`);
    const codecId = body.u8();
    const src = body.blob(CHUNK * 2);
    try {
      codecs.byId(codecId).decompress(src, ram.subarray(off, off + CHUNK));
    } catch (e) {
      body.fail(`RAM chunk at ${off}: ${(e as Error).message}`);
    }
  }
  if (body.remaining !== 0) body.fail('trailing bytes');
  return { id, instret, state, ram, archHash, ramHash };
}
