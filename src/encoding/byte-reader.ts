/**
 * Bounds-checked little-endian reader with LEB128 varints: the one decoder
 * behind state records, repository files and replay logs (ByteWriter is its
 * other half). Each layer reports failures in its own error type by
 * overriding `error`; everything else is shared.
 */
export type ReadFailure = 'truncated' | 'corrupt';

export class ByteReader {
  pos: number;
  private readonly view: DataView;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  }

  /** The error thrown for a failure at `this.pos` (layers override it). */
  protected error(kind: ReadFailure, message: string): Error {
    return new Error(`${kind}: ${message}`);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  fail(message: string): never {
    throw this.error('corrupt', `${message} (at byte ${this.pos})`);
  }

  need(n: number, what = 'bytes'): void {
    if (this.pos + n > this.end) throw this.error('truncated', `truncated ${what} at byte ${this.pos}: needs ${n}, has ${this.end - this.pos}`);
  }

  u8(what = 'byte'): number {
    this.need(1, what);
    return this.buf[this.pos++];
  }

  u16(what = 'u16'): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(what = 'u32'): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A u64 that must fit a safe integer. */
  u64(what = 'u64'): number {
    this.need(8, what);
    const lo = this.view.getUint32(this.pos, true), hi = this.view.getUint32(this.pos + 4, true);
    if (hi >= 0x200000) this.fail(`${what} exceeds 2^53`);
    this.pos += 8;
    return hi * 0x100000000 + lo;
  }

  f64(what = 'float'): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** ULEB128 of at most 8 bytes, a safe integer. */
  uleb(what = 'varint'): number {
    let v = 0, mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8(what);
      v += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        if (!Number.isSafeInteger(v)) this.fail(`${what} out of range`);
        return v;
      }
      mul *= 0x80;
    }
    return this.fail(`${what} longer than 8 bytes`);
  }

  /** ZigZag ULEB128. */
  sleb(what = 'varint'): number {
    const z = this.uleb(what);
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  /** The next `n` bytes as a view into the buffer (no copy). */
  bytes(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** The next `n` bytes as a copy the caller may keep. */
  copy(n: number, what = 'bytes'): Uint8Array {
    return this.bytes(n, what).slice();
  }

  /** ULEB128 length then that many bytes (a view), at most `max` long. */
  blob(max: number, what = 'bytes'): Uint8Array {
    const len = this.uleb(`${what} length`);
    if (len > max) this.fail(`${what} length ${len} exceeds the limit ${max}`);
    return this.bytes(len, what);
  }
}
