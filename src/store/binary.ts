export { ByteWriter } from '../encoding/byte-writer.js';
import { ByteReader as BaseReader, type ReadFailure } from '../encoding/byte-reader.js';
import { StoreError } from './store-error.js';

/** The shared reader; every failure is a StoreError naming the file (and the checkpoint being read). */
export class ByteReader extends BaseReader {
  constructor(buf: Uint8Array, readonly file: string, start = 0, end = buf.length, readonly checkpoint?: number) {
    super(buf, start, end);
  }

  protected override error(kind: ReadFailure, message: string): Error {
    return new StoreError(kind, this.file, message, this.checkpoint);
  }
}
