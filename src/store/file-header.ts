import { ByteReader, ByteWriter } from './binary.js';
import { StoreError } from './store-error.js';

/**
 * Every repository file starts with 8 magic bytes, a u32 format version and a u32 reserved word.
 * The repository's version is its index.log's (every reader reads that first): 1, or 2 once it
 * holds a chunk version 1 readers cannot decode (reference chunks, sub-page deltas: see
 * chunkFormatVersion). Pack and checkpoint files keep version 1: their layout did not change.
 */
export const FORMAT_VERSION = 2;
/** Oldest version this build reads (and the one it writes while nothing newer is needed). */
export const OLDEST_FORMAT_VERSION = 1;
export const HEADER_SIZE = 16;
export const MAGIC = { pack: 'RVSPACK\0', index: 'RVSINDX\0', checkpoint: 'RVSCKPT\0' } as const;
export type FileKind = keyof typeof MAGIC;

export function writeHeader(w: ByteWriter, kind: FileKind, version = OLDEST_FORMAT_VERSION): void {
  for (let i = 0; i < 8; i++) w.u8(MAGIC[kind].charCodeAt(i));
  w.u32(version).u32(0);
}

export function headerBytes(kind: FileKind, version = OLDEST_FORMAT_VERSION): Uint8Array {
  const w = new ByteWriter(HEADER_SIZE);
  writeHeader(w, kind, version);
  return w.result();
}

/** Checks magic and version; leaves the reader after the header; returns the version. */
export function readHeader(r: ByteReader, kind: FileKind, checkpoint?: number): number {
  if (r.remaining < HEADER_SIZE) throw new StoreError('truncated', r.file, `file is ${r.remaining} bytes, shorter than its ${HEADER_SIZE}-byte header`, checkpoint);
  const magic = MAGIC[kind];
  for (let i = 0; i < 8; i++) {
    if (r.u8() !== magic.charCodeAt(i)) {
      throw new StoreError('corrupt', r.file, `not a ${kind} file (bad magic)`, checkpoint);
    }
  }
  const version = r.u32();
  const reserved = r.u32();
  if (version < OLDEST_FORMAT_VERSION || version > FORMAT_VERSION) {
    throw new StoreError('version', r.file, `${kind} format version ${version} is not supported (this build reads versions ${OLDEST_FORMAT_VERSION} to ${FORMAT_VERSION}${version > FORMAT_VERSION ? '; a newer Retrovisor wrote it' : ''})`, checkpoint);
  }
  if (reserved !== 0) throw new StoreError('corrupt', r.file, `reserved header word is ${reserved}, expected 0`, checkpoint);
  return version;
}
