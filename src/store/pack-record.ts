import { crc32 } from '../encoding/crc32.js';
import { DELTA_FORMAT } from '../encoding/delta-format.js';
import { StoreError } from './store-error.js';

/**
 * A chunk record in a pack file:
 *   u32 'CHNK' | u32 chunk id | u8 kind | u8 codec | u16 0 | u32 payload length
 *   | u32 base chunk id (delta) or 0 | 16-byte content hash | payload | u32 CRC-32 of all before
 * Kinds: 0 full page (codec = compressor), 1 delta (codec = delta format), 2 reference (payload names external bytes).
 */
export const RECORD_MAGIC = 0x4b4e4843;
export const RECORD_HEADER = 36;
export const RECORD_OVERHEAD = RECORD_HEADER + 4;
export const KIND_FULL = 0;
export const KIND_DELTA = 1;
/** A reference to bytes outside the repository (a block of a disk image); payload opaque, resolved by the reader. */
export const KIND_REF = 2;

/**
 * The repository format version a chunk needs (file-header.ts): version 1 readers know full
 * chunks and XBZRLE deltas only; reference chunks and sub-page deltas came with version 2.
 */
export function chunkFormatVersion(kind: number, codec: number): number {
  return kind === KIND_REF || (kind === KIND_DELTA && codec !== DELTA_FORMAT.xbzrle) ? 2 : 1;
}

export interface RecordFields {
  id: number;
  kind: number;
  codec: number;
  length: number;
  base: number;
  hash: Uint32Array;
}

/** Writes a whole record into dst at pos (dst has RECORD_OVERHEAD + length bytes free); returns the end. */
export function writeRecord(dst: Uint8Array, pos: number, f: RecordFields, payload: Uint8Array, payloadOff: number): number {
  const v = new DataView(dst.buffer, dst.byteOffset, dst.length);
  v.setUint32(pos, RECORD_MAGIC, true);
  v.setUint32(pos + 4, f.id, true);
  dst[pos + 8] = f.kind;
  dst[pos + 9] = f.codec;
  v.setUint16(pos + 10, 0, true);
  v.setUint32(pos + 12, f.length, true);
  v.setUint32(pos + 16, f.base, true);
  for (let i = 0; i < 4; i++) v.setUint32(pos + 20 + 4 * i, f.hash[i], true);
  dst.set(payload.subarray(payloadOff, payloadOff + f.length), pos + RECORD_HEADER);
  const end = pos + RECORD_HEADER + f.length;
  v.setUint32(end, crc32(dst, pos, end), true);
  return end + 4;
}

/**
 * Validates a record read from `file` at `offset` against what the index
 * says it must be; returns the payload view. Throws StoreError otherwise.
 */
export function checkRecord(rec: Uint8Array, expect: RecordFields, file: string, offset: number): Uint8Array {
  const where = `record at offset ${offset}`;
  if (rec.length < RECORD_OVERHEAD + expect.length) throw new StoreError('truncated', file, `${where} is cut short`, undefined, expect.id);
  const v = new DataView(rec.buffer, rec.byteOffset, rec.length);
  if (v.getUint32(0, true) !== RECORD_MAGIC) throw new StoreError('corrupt', file, `${where}: bad record magic`, undefined, expect.id);
  const end = RECORD_HEADER + expect.length;
  if (v.getUint32(end, true) !== crc32(rec, 0, end)) throw new StoreError('corrupt', file, `${where}: checksum mismatch`, undefined, expect.id);
  const id = v.getUint32(4, true);
  if (id !== expect.id || rec[8] !== expect.kind || rec[9] !== expect.codec || v.getUint32(12, true) !== expect.length || v.getUint32(16, true) !== expect.base) {
    throw new StoreError('corrupt', file, `${where}: record (chunk ${id}) does not match the index`, undefined, expect.id);
  }
  for (let i = 0; i < 4; i++) {
    if (v.getUint32(20 + 4 * i, true) !== expect.hash[i]) throw new StoreError('corrupt', file, `${where}: hash differs from the index`, undefined, expect.id);
  }
  return rec.subarray(RECORD_HEADER, end);
}
