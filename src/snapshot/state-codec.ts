/**
 * Binary form of a machine state record (the checkpoint's device-state blob):
 *   "RVST" u8 version, then one tagged value.
 * Tags: 0 null, 1 false, 2 true, 3 integer (ZigZag ULEB128, |v| < 2^52; larger numbers are float64),
 * 4 float64, 5 string (ULEB128 length + UTF-8), 6 bytes, 7 array, 8 record
 * (ULEB128 count, then key string + value). Integrity is the container's job
 * (the checkpoint file has a CRC); this decoder still rejects malformed input.
 */
import type { StateRecord, StateValue } from '../machine/state.js';
import { ByteWriter } from './byte-writer.js';

export const STATE_FORMAT_VERSION = 1;
const MAX_DEPTH = 64;
const T = { null: 0, false: 1, true: 2, int: 3, f64: 4, str: 5, bytes: 6, array: 7, record: 8 } as const;
const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

export class StateCodecError extends Error {
  constructor(message: string) {
    super(`state record: ${message}`);
    this.name = 'StateCodecError';
  }
}

export function encodeState(record: StateRecord): Uint8Array {
  const o = new ByteWriter(1024);
  for (const c of 'RVST') o.u8(c.charCodeAt(0));
  o.u8(STATE_FORMAT_VERSION);
  write(o, record as StateValue, 'record', 0);
  return o.result();
}

function write(o: ByteWriter, v: StateValue, path: string, depth: number): void {
  if (depth > MAX_DEPTH) throw new StateCodecError(`nested deeper than ${MAX_DEPTH} at ${path}`);
  if (v === null) o.u8(T.null);
  else if (v === false) o.u8(T.false);
  else if (v === true) o.u8(T.true);
  else if (typeof v === 'number') {
    if (Number.isInteger(v) && Math.abs(v) < 2 ** 52 && !Object.is(v, -0)) { o.u8(T.int); o.uleb(v >= 0 ? v * 2 : -v * 2 - 1); }
    else { o.u8(T.f64); o.f64(v); }
  } else if (typeof v === 'string') { o.u8(T.str); o.blob(enc.encode(v)); }
  else if (v instanceof Uint8Array) { o.u8(T.bytes); o.blob(v); }
  else if (Array.isArray(v)) {
    o.u8(T.array); o.uleb(v.length);
    v.forEach((x, i) => write(o, x, `${path}[${i}]`, depth + 1));
  } else if (typeof v === 'object' && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) {
    const keys = Object.keys(v);
    o.u8(T.record); o.uleb(keys.length);
    for (const k of keys) {
      const x = v[k];
      if (x === undefined) throw new StateCodecError(`undefined value at ${path}.${k}`);
      o.blob(enc.encode(k));
      write(o, x, `${path}.${k}`, depth + 1);
    }
  } else {
    throw new StateCodecError(`unsupported value (${Object.prototype.toString.call(v)}) at ${path}`);
  }
}

export function decodeState(bytes: Uint8Array): StateRecord {
  if (bytes.length < 5 || String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]) !== 'RVST') throw new StateCodecError('not a state record (bad magic)');
  if (bytes[4] !== STATE_FORMAT_VERSION) throw new StateCodecError(`format version ${bytes[4]} is not supported (this build reads ${STATE_FORMAT_VERSION})`);
  const r = { pos: 5 };
  const v = read(bytes, r, 0);
  if (r.pos !== bytes.length) throw new StateCodecError(`${bytes.length - r.pos} stray bytes at the end`);
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array || typeof (v as StateRecord).version !== 'number') {
    throw new StateCodecError('top level is not a versioned record');
  }
  return v as StateRecord;
}

function u8(b: Uint8Array, r: { pos: number }): number {
  if (r.pos >= b.length) throw new StateCodecError(`truncated at byte ${r.pos}`);
  return b[r.pos++];
}

function uleb(b: Uint8Array, r: { pos: number }): number {
  let v = 0, mul = 1;
  for (let i = 0; i < 8; i++) {
    const x = u8(b, r);
    v += (x & 0x7f) * mul;
    if ((x & 0x80) === 0) return v;
    mul *= 0x80;
  }
  throw new StateCodecError(`varint too long at byte ${r.pos}`);
}

function raw(b: Uint8Array, r: { pos: number }): Uint8Array {
  const n = uleb(b, r);
  if (r.pos + n > b.length) throw new StateCodecError(`length ${n} at byte ${r.pos} runs past the end`);
  const out = b.subarray(r.pos, r.pos + n);
  r.pos += n;
  return out;
}

function text(b: Uint8Array, r: { pos: number }): string {
  try {
    return dec.decode(raw(b, r));
  } catch (e) {
    if (e instanceof StateCodecError) throw e;
    throw new StateCodecError(`invalid UTF-8 before byte ${r.pos}`);
  }
}

function read(b: Uint8Array, r: { pos: number }, depth: number): StateValue {
  if (depth > MAX_DEPTH) throw new StateCodecError(`nested deeper than ${MAX_DEPTH}`);
  const t = u8(b, r);
  switch (t) {
    case T.null: return null;
    case T.false: return false;
    case T.true: return true;
    case T.int: { const z = uleb(b, r); if (z >= 2 ** 53) throw new StateCodecError('integer out of range'); return z % 2 === 0 ? z / 2 : -(z + 1) / 2; }
    case T.f64: {
      if (r.pos + 8 > b.length) throw new StateCodecError(`truncated float at byte ${r.pos}`);
      const v = new DataView(b.buffer, b.byteOffset + r.pos, 8).getFloat64(0, true);
      r.pos += 8;
      return v;
    }
    case T.str: return text(b, r);
    case T.bytes: return raw(b, r).slice();
    case T.array: {
      const n = uleb(b, r);
      if (n > b.length - r.pos) throw new StateCodecError(`array of ${n} items cannot fit`);
      const a: StateValue[] = [];
      for (let i = 0; i < n; i++) a.push(read(b, r, depth + 1));
      return a;
    }
    case T.record: {
      const n = uleb(b, r);
      if (n > b.length - r.pos) throw new StateCodecError(`record of ${n} fields cannot fit`);
      const o: { [k: string]: StateValue } = {};
      for (let i = 0; i < n; i++) {
        const k = text(b, r);
        if (Object.prototype.hasOwnProperty.call(o, k)) throw new StateCodecError(`duplicate key "${k}"`);
        Object.defineProperty(o, k, { value: read(b, r, depth + 1), enumerable: true, writable: true, configurable: true });
      }
      return o;
    }
    default: throw new StateCodecError(`unknown tag ${t} at byte ${r.pos - 1}`);
  }
}
