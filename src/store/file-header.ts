import { ByteReader, ByteWriter } from './binary.js';
import { StoreError } from './store-error.js';

/** Every repository file starts with 8 magic bytes, a u32 format version and a u32 reserved word. */
export const FORMAT_VERSION = 1;
export const HEADER_SIZE = 16;
export const MAGIC = { pack: 'RVSPACK\0', index: 'RVSINDX\0', checkpoint: 'RVSCKPT\0' } as const;
export type FileKind = keyof typeof MAGIC;

export function writeHeader(w: ByteWriter, kind: FileKind): void {
  for (let i = 0; i < 8; i++) w.u8(MAGIC[kind].charCodeAt(i));
  w.u32(FORMAT_VERSION).u32(0);
}

export function headerBytes(kind: FileKind): Uint8Array {
  const w = new ByteWriter(HEADER_SIZE);
  writeHeader(w, kind);
  return w.result();
}

/** Checks magic and version; leaves the reader after the header. */
export function readHeader(r: ByteReader, kind: FileKind, checkpoint?: number): void {
  if (r.remaining < HEADER_SIZE) throw new StoreError('truncated', r.file, `file is ${r.remaining} bytes, shorter than its ${HEADER_SIZE}-byte header`, checkpoint);
  const magic = MAGIC[kind];
  for (let i = 0; i < 8; i++) {
    if (r.u8() !== magic.charCodeAt(i)) {
      throw new StoreError('corrupt', r.file, `not a ${kind} file (bad magic)`, checkpoint);
    }
  }
  const version = r.u32();
  const reserved = r.u32();
  if (version !== FORMAT_VERSION) {
    throw new StoreError('version', r.file, `${kind} format version ${version} is not supported (this build reads version ${FORMAT_VERSION})`, checkpoint);
  }
  if (reserved !== 0) throw new StoreError('corrupt', r.file, `reserved header word is ${reserved}, expected 0`, checkpoint);
}
