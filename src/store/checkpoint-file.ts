import { crc32 } from '../encoding/crc32.js';
import { ByteReader, ByteWriter } from './binary.js';
import { type CheckpointMeta, decodeMeta, encodeMeta } from './checkpoint-meta.js';
import { HEADER_SIZE, readHeader, writeHeader } from './file-header.js';
import { decodePageMap, encodePageMap } from './page-map.js';
import { StoreError } from './store-error.js';

/**
 * checkpoints/<id>.ckpt: header | u32 metaLen meta(JSON) | u32 pageCount
 * | u32 mapLen map | u32 deviceLen device state | u32 CRC-32 of all before.
 */
export interface CheckpointData {
  meta: CheckpointMeta;
  map: Uint32Array;
  deviceState: Uint8Array;
}

export function encodeCheckpoint(meta: CheckpointMeta, map: Uint32Array, deviceState: Uint8Array): Uint8Array {
  const w = new ByteWriter(4096 + deviceState.length);
  writeHeader(w, 'checkpoint');
  const m = encodeMeta(meta);
  w.u32(m.length).bytes(m);
  w.u32(map.length);
  const lenPos = w.length;
  w.u32(0);
  const start = w.length;
  encodePageMap(map, w);
  w.setU32(lenPos, w.length - start);
  w.u32(deviceState.length).bytes(deviceState);
  w.u32(crc32(w.buf, 0, w.length));
  return w.view8();
}

export function decodeCheckpoint(bytes: Uint8Array, file: string, checkpoint?: number): CheckpointData {
  const r = new ByteReader(bytes, file, 0, bytes.length, checkpoint);
  readHeader(r, 'checkpoint', checkpoint);
  if (bytes.length < HEADER_SIZE + 20) throw new StoreError('truncated', file, 'checkpoint file is truncated', checkpoint);
  const stored = new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getUint32(bytes.length - 4, true);
  if (stored !== crc32(bytes, 0, bytes.length - 4)) throw new StoreError('corrupt', file, 'checkpoint file checksum mismatch (corrupt or truncated)', checkpoint);
  const body = new ByteReader(bytes, file, r.pos, bytes.length - 4, checkpoint);
  const meta = decodeMeta(body.bytes(body.u32('metadata length'), 'metadata'), file, checkpoint);
  const pageCount = body.u32('page count');
  if (pageCount !== meta.pageCount) body.fail(`page count ${pageCount} differs from metadata ${meta.pageCount}`);
  const map = decodePageMap(body.bytes(body.u32('page map length'), 'page map'), pageCount, file, checkpoint);
  const deviceState = body.bytes(body.u32('device state length'), 'device state').slice();
  if (body.remaining !== 0) body.fail('stray bytes before the checksum');
  return { meta, map, deviceState };
}
