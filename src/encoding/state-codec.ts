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
import { ByteReader, type ReadFailure } from './byte-reader.js';

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
  const r = new StateReader(bytes, 5);
  const v = read(r, 0);
  if (r.pos !== bytes.length) throw new StateCodecError(`${bytes.length - r.pos} stray bytes at the end`);
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array || typeof (v as StateRecord).version !== 'number') {
    throw new StateCodecError('top level is not a versioned record');
  }
  return v as StateRecord;
}

/** The shared reader, failing with StateCodecError. */
class StateReader extends ByteReader {
  protected override error(_kind: ReadFailure, message: string): Error {
    return new StateCodecError(message);
  }
}

function raw(r: StateReader): Uint8Array {
  const n = r.uleb('length');
  if (n > r.remaining) r.fail(`length ${n} runs past the end`);
  return r.bytes(n);
}

function text(r: StateReader): string {
  const bytes = raw(r);
  try {
    return dec.decode(bytes);
  } catch {
    throw new StateCodecError(`invalid UTF-8 before byte ${r.pos}`);
  }
}

function read(r: StateReader, depth: number): StateValue {
  if (depth > MAX_DEPTH) throw new StateCodecError(`nested deeper than ${MAX_DEPTH}`);
  const t = r.u8('tag');
  switch (t) {
    case T.null: return null;
    case T.false: return false;
    case T.true: return true;
    case T.int: return r.sleb('integer');
    case T.f64: return r.f64();
    case T.str: return text(r);
    case T.bytes: return raw(r).slice();
    case T.array: {
      const n = r.uleb('count');
      if (n > r.remaining) throw new StateCodecError(`array of ${n} items cannot fit`);
      const a: StateValue[] = [];
      for (let i = 0; i < n; i++) a.push(read(r, depth + 1));
      return a;
    }
    case T.record: {
      const n = r.uleb('count');
      if (n > r.remaining) throw new StateCodecError(`record of ${n} fields cannot fit`);
      const o: { [k: string]: StateValue } = {};
      for (let i = 0; i < n; i++) {
        const k = text(r);
        if (Object.prototype.hasOwnProperty.call(o, k)) throw new StateCodecError(`duplicate key "${k}"`);
        Object.defineProperty(o, k, { value: read(r, depth + 1), enumerable: true, writable: true, configurable: true });
      }
      return o;
    }
    default: throw new StateCodecError(`unknown tag ${t} at byte ${r.pos - 1}`);
  }
}
