import { crc32 } from '../encoding/crc32.js';
import { ByteReader, ByteWriter } from './binary.js';
import { type CheckpointMeta, decodeMeta, encodeMeta } from './checkpoint-meta.js';
import { HEADER_SIZE, OLDEST_FORMAT_VERSION, readHeader, writeHeader } from './file-header.js';
import { chunkFormatVersion } from './pack-record.js';
import { StoreError } from './store-error.js';

/**
 * index.log: header, then batches  u32 'BTCH' | u32 length | entries | u32 CRC-32(magic..entries).
 * A batch is one commit: it is appended and fsynced after the data it
 * names is durable, so a checkpoint exists exactly when its batch is whole.
 * A batch that runs past the end of the file is a torn append (crash during
 * commit) and is ignored; a whole batch with a bad checksum is corruption.
 */
export const BATCH_MAGIC = 0x48435442;
export const ENTRY = { pack: 1, chunk: 2, add: 3, drop: 4, counters: 5 } as const;

export interface IndexVisitor {
  pack(pack: number, length: number): void;
  chunk(id: number, pack: number, offset: number, kind: number, codec: number, length: number, base: number, hash: Uint32Array): void;
  add(meta: CheckpointMeta, fileLength: number, fileCrc: number): void;
  drop(id: number): void;
  counters(nextChunk: number, nextCheckpoint: number): void;
}

/** Builds one batch. */
export class BatchWriter {
  private readonly w = new ByteWriter(4096);
  /** The repository format version the batch's chunks need (chunkFormatVersion). */
  version = OLDEST_FORMAT_VERSION;
  constructor() { this.w.u32(BATCH_MAGIC).u32(0); }
  pack(pack: number, length: number): this { this.w.u8(ENTRY.pack).u32(pack).u64(length); return this; }
  chunk(id: number, pack: number, offset: number, kind: number, codec: number, length: number, base: number, hash: Uint32Array, hashOff = 0): this {
    this.w.u8(ENTRY.chunk).u32(id).u32(pack).u64(offset).u8(kind).u8(codec).u32(length).u32(base);
    for (let i = 0; i < 4; i++) this.w.u32(hash[hashOff + i]);
    const v = chunkFormatVersion(kind, codec);
    if (v > this.version) this.version = v;
    return this;
  }
  add(meta: CheckpointMeta, fileLength: number, fileCrc: number): this {
    const m = encodeMeta(meta);
    this.w.u8(ENTRY.add).u32(fileLength).u32(fileCrc).u32(m.length).bytes(m);
    return this;
  }
  drop(id: number): this { this.w.u8(ENTRY.drop).u32(id); return this; }
  counters(nextChunk: number, nextCheckpoint: number): this { this.w.u8(ENTRY.counters).u32(nextChunk).u32(nextCheckpoint); return this; }
  finish(): Uint8Array {
    this.w.setU32(4, this.w.length - 8);
    this.w.u32(crc32(this.w.buf, 0, this.w.length));
    return this.w.view8();
  }
}

export function indexFileWith(batches: Uint8Array[], version = OLDEST_FORMAT_VERSION): Uint8Array {
  const w = new ByteWriter(HEADER_SIZE + batches.reduce((a, b) => a + b.length, 0));
  writeHeader(w, 'index', version);
  for (const b of batches) w.bytes(b);
  return w.view8();
}

export interface IndexReadResult {
  /** Bytes that belong to whole batches (header included). */
  validLength: number;
  /** Bytes of a torn final batch (0 normally). */
  tornBytes: number;
  batches: number;
  /** The header's format version (read with `base` 0 only, else 0). */
  version: number;
}

/** Largest payload a chunk record may declare: a page stored raw, plus slack for codec framing. */
export const MAX_CHUNK_PAYLOAD = 2 * 4096;

/**
 * Validates every batch's checksum before visiting any entry of it.
 * `bytes` is the whole file, or (with `base` > 0) the file's bytes from
 * offset `base` on, which must start at a batch boundary; offsets in the
 * result are file offsets.
 */
export function readIndexLog(bytes: Uint8Array, file: string, v: IndexVisitor, base = 0): IndexReadResult {
  const r = new ByteReader(bytes, file);
  const version = base === 0 ? readHeader(r, 'index') : 0;
  const res = readBatches(r, bytes, file, v);
  return { ...res, validLength: res.validLength + base, version };
}

function readBatches(r: ByteReader, bytes: Uint8Array, file: string, v: IndexVisitor): Omit<IndexReadResult, 'version'> {
  let batches = 0;
  const hash = new Uint32Array(4);
  while (r.remaining > 0) {
    const start = r.pos;
    if (r.remaining < 12) return { validLength: start, tornBytes: r.remaining, batches };
    if (r.u32() !== BATCH_MAGIC) throw new StoreError('corrupt', file, `bad batch magic at byte ${start}`);
    const len = r.u32();
    if (r.remaining < len + 4) return { validLength: start, tornBytes: bytes.length - start, batches };
    const end = r.pos + len;
    const crc = new DataView(bytes.buffer, bytes.byteOffset + end, 4).getUint32(0, true);
    if (crc !== crc32(bytes, start, end)) throw new StoreError('corrupt', file, `checksum mismatch in batch at byte ${start}`);
    const b = new ByteReader(bytes, file, r.pos, end);
    while (b.remaining > 0) {
      const t = b.u8('entry type');
      switch (t) {
        case ENTRY.pack: v.pack(b.u32(), b.u64()); break;
        case ENTRY.chunk: {
          const id = b.u32(), pack = b.u32(), offset = b.u64(), kind = b.u8(), codec = b.u8(), length = b.u32(), base = b.u32();
          // sizes from a file are checked before anything is allocated from them
          if (id === 0 || length > MAX_CHUNK_PAYLOAD || offset < HEADER_SIZE || !Number.isSafeInteger(offset)) b.fail(`chunk entry ${id} has impossible id, offset ${offset} or length ${length}`);
          for (let i = 0; i < 4; i++) hash[i] = b.u32();
          v.chunk(id, pack, offset, kind, codec, length, base, hash);
          break;
        }
        case ENTRY.add: {
          const fileLength = b.u32(), fileCrc = b.u32();
          const meta = decodeMeta(b.bytes(b.u32('metadata length'), 'metadata'), file);
          v.add(meta, fileLength, fileCrc);
          break;
        }
        case ENTRY.drop: v.drop(b.u32()); break;
        case ENTRY.counters: v.counters(b.u32(), b.u32()); break;
        default: b.fail(`unknown index entry type ${t}`);
      }
    }
    r.pos = end + 4;
    batches++;
  }
  return { validLength: r.pos, tornBytes: 0, batches };
}
