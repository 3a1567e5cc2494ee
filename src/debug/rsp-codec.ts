/**
 * GDB remote serial protocol framing: pure functions and a byte-stream
 * decoder, no I/O, so they can be fuzzed.
 *
 * On the wire: `$payload#cs` where cs is the payload's byte sum mod 256 as
 * two hex digits; `+`/`-` acknowledge; a lone 0x03 byte is an interrupt
 * (Ctrl-C). In payloads `}` escapes the next byte (XOR 0x20) and `*n`
 * repeats the previous byte n-29 times (run-length encoding; GDB may send it,
 * we decode it but never send it).
 */

export type RspEvent =
  | { readonly kind: 'packet'; readonly data: Uint8Array }
  /** A packet whose checksum did not match (the stub answers `-`). */
  | { readonly kind: 'bad-checksum' }
  | { readonly kind: 'ack' }
  | { readonly kind: 'nack' }
  | { readonly kind: 'interrupt' };

/** Largest payload accepted; a longer one is dropped as malformed (advertised as PacketSize). */
export const MAX_PACKET = 0x4000;

const HEX = '0123456789abcdef';

export function checksum(data: Uint8Array): number {
  let s = 0;
  for (const b of data) s = (s + b) & 0xff;
  return s;
}

/** Frames a payload: escapes `$ # } *`, appends the checksum. */
export function encodePacket(payload: Uint8Array | string): Uint8Array {
  const data = typeof payload === 'string' ? latin1(payload) : payload;
  const out: number[] = [0x24];
  for (const b of data) {
    if (b === 0x24 || b === 0x23 || b === 0x7d || b === 0x2a) out.push(0x7d, b ^ 0x20);
    else out.push(b);
  }
  const cs = checksum(Uint8Array.from(out.slice(1)));
  out.push(0x23, HEX.charCodeAt(cs >> 4), HEX.charCodeAt(cs & 15));
  return Uint8Array.from(out);
}

/**
 * Undoes escapes and run-length encoding of a received payload (the
 * checksum covers the raw bytes, so it is checked before). Returns null on a
 * malformed payload (dangling escape, repeat with nothing to repeat or an
 * out-of-range count).
 */
export function unescapePayload(raw: Uint8Array): Uint8Array | null {
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i];
    if (b === 0x7d) {
      if (i + 1 >= raw.length) return null;
      out.push(raw[++i] ^ 0x20);
    } else if (b === 0x2a) {
      if (out.length === 0 || i + 1 >= raw.length) return null;
      const n = raw[++i] - 29;
      if (n < 3 || n > 97) return null;
      const prev = out[out.length - 1];
      for (let k = 0; k < n; k++) out.push(prev);
    } else out.push(b);
  }
  return Uint8Array.from(out);
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/**
 * Incremental decoder: feed it whatever the transport delivers; it returns
 * the complete events in order. Garbage between packets is skipped; a
 * packet longer than MAX_PACKET is dropped and reported as a bad checksum.
 */
export class RspDecoder {
  private state: 'idle' | 'data' | 'cs1' | 'cs2' = 'idle';
  private buf: number[] = [];
  private cs = 0;
  private overflow = false;

  feed(bytes: Uint8Array): RspEvent[] {
    const events: RspEvent[] = [];
    for (const b of bytes) {
      switch (this.state) {
        case 'idle':
          if (b === 0x24) { this.state = 'data'; this.buf = []; this.overflow = false; }
          else if (b === 0x2b) events.push({ kind: 'ack' });
          else if (b === 0x2d) events.push({ kind: 'nack' });
          else if (b === 0x03) events.push({ kind: 'interrupt' });
          break;
        case 'data':
          if (b === 0x23) this.state = 'cs1';
          else if (b === 0x24) { this.buf = []; this.overflow = false; } // a new packet starts: the broken one is dropped
          else if (this.buf.length < MAX_PACKET * 2) this.buf.push(b);
          else this.overflow = true;
          break;
        case 'cs1': {
          const v = hexVal(b);
          if (v < 0) { this.state = 'idle'; events.push({ kind: 'bad-checksum' }); break; }
          this.cs = v << 4;
          this.state = 'cs2';
          break;
        }
        case 'cs2': {
          const v = hexVal(b);
          this.state = 'idle';
          const raw = Uint8Array.from(this.buf);
          this.buf = [];
          if (v < 0 || this.overflow || ((this.cs | v) !== checksum(raw))) { events.push({ kind: 'bad-checksum' }); break; }
          const data = unescapePayload(raw);
          if (data === null || data.length > MAX_PACKET) events.push({ kind: 'bad-checksum' });
          else events.push({ kind: 'packet', data });
          break;
        }
      }
    }
    return events;
  }
}

export function latin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

export function fromLatin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += HEX[x >> 4] + HEX[x & 15];
  return s;
}

/** Hex text to bytes; null when it is not an even number of hex digits. */
export function fromHex(s: string): Uint8Array | null {
  if (s.length % 2 !== 0) return null;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const a = hexVal(s.charCodeAt(2 * i)), b = hexVal(s.charCodeAt(2 * i + 1));
    if (a < 0 || b < 0) return null;
    out[i] = (a << 4) | b;
  }
  return out;
}

/** A hex number of at most 16 digits as a bigint; null when malformed. */
export function parseHexBig(s: string): bigint | null {
  if (!/^[0-9a-fA-F]{1,16}$/.test(s)) return null;
  return BigInt('0x' + s);
}

/** Little-endian bytes of a value, `bytes` long (GDB's register byte order on RISC-V). */
export function leHex(v: bigint, bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++) {
    const b = Number((v >> BigInt(8 * i)) & 0xffn);
    s += HEX[b >> 4] + HEX[b & 15];
  }
  return s;
}

export function parseLeHex(s: string): bigint | null {
  const b = fromHex(s);
  if (b === null || b.length === 0 || b.length > 8) return null;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return v;
}
