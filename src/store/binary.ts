export { ByteWriter } from '../snapshot/byte-writer.js';
import { StoreError } from './store-error.js';

/** Bounds-checked reader: every overrun is a StoreError naming the file. */
export class ByteReader {
  pos: number;
  private readonly view: DataView;

  constructor(readonly buf: Uint8Array, readonly file: string, start = 0, readonly end = buf.length, readonly checkpoint?: number) {
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  }

  get remaining(): number { return this.end - this.pos; }

  need(n: number, what: string): void {
    if (this.pos + n > this.end) throw new StoreError('truncated', this.file, `truncated ${what} at byte ${this.pos}`, this.checkpoint);
  }
  u8(what = 'byte'): number { this.need(1, what); return this.buf[this.pos++]; }
  u16(what = 'u16'): number { this.need(2, what); const v = this.view.getUint16(this.pos, true); this.pos += 2; return v; }
  u32(what = 'u32'): number { this.need(4, what); const v = this.view.getUint32(this.pos, true); this.pos += 4; return v; }
  u64(what = 'u64'): number {
    this.need(8, what);
    const lo = this.view.getUint32(this.pos, true), hi = this.view.getUint32(this.pos + 4, true);
    if (hi >= 0x200000) throw new StoreError('corrupt', this.file, `${what} at byte ${this.pos} exceeds 2^53`, this.checkpoint);
    this.pos += 8;
    return hi * 0x100000000 + lo;
  }
  uleb(what = 'varint'): number {
    let v = 0, mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8(what);
      v += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return v;
      mul *= 0x80;
    }
    throw new StoreError('corrupt', this.file, `${what} at byte ${this.pos} is too long`, this.checkpoint);
  }
  bytes(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  fail(message: string): never {
    throw new StoreError('corrupt', this.file, `${message} (at byte ${this.pos})`, this.checkpoint);
  }
}
