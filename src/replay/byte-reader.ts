import { ByteReader as BaseReader, type ReadFailure } from '../encoding/byte-reader.js';
import { ReplayLogError } from './replay-error.js';

/** The shared reader; every failure is a ReplayLogError naming `where`, and byte strings are copies (events outlive their frame). */
export class ByteReader extends BaseReader {
  constructor(buf: Uint8Array, readonly where: string, start = 0, end = buf.length) {
    super(buf, start, end);
  }

  protected override error(_kind: ReadFailure, message: string): Error {
    return new ReplayLogError(this.where, message);
  }

  override bytes(n: number, what = 'bytes'): Uint8Array {
    return super.bytes(n, what).slice();
  }
}
