/**
 * Growable little-endian byte buffer with LEB128 varints: the one encoder
 * behind state records, repository files and replay logs.
 */
export class ByteWriter {
  buf: Uint8Array;
  /** Bytes written so far. */
  length = 0;
  private view: DataView;

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  reset(): void {
    this.length = 0;
  }

  /** Makes room for `k` more bytes. */
  reserve(k: number): void {
    if (this.length + k <= this.buf.length) return;
    let c = this.buf.length * 2;
    while (c < this.length + k) c *= 2;
    const b = new Uint8Array(c);
    b.set(this.buf.subarray(0, this.length));
    this.buf = b;
    this.view = new DataView(b.buffer);
  }

  u8(v: number): this { this.reserve(1); this.buf[this.length++] = v; return this; }
  u16(v: number): this { this.reserve(2); this.view.setUint16(this.length, v, true); this.length += 2; return this; }
  u32(v: number): this { this.reserve(4); this.view.setUint32(this.length, v >>> 0, true); this.length += 4; return this; }

  /** Unsigned integer below 2^53 as 8 bytes. */
  u64(v: number): this {
    this.reserve(8);
    this.view.setUint32(this.length, v % 0x100000000, true);
    this.view.setUint32(this.length + 4, Math.floor(v / 0x100000000), true);
    this.length += 8;
    return this;
  }

  /** Unsigned LEB128 of a non-negative safe integer. */
  uleb(v: number): this {
    if (!(v >= 0) || !Number.isSafeInteger(v)) throw new RangeError(`uleb: ${v} is not a non-negative safe integer`);
    this.reserve(8);
    while (v >= 0x80) {
      this.buf[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.length++] = v;
    return this;
  }

  /** ZigZag + LEB128 of a signed safe integer. */
  sleb(v: number): this {
    return this.uleb(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  f64(v: number): this { this.reserve(8); this.view.setFloat64(this.length, v, true); this.length += 8; return this; }

  bytes(b: Uint8Array, off = 0, len = b.length - off): this {
    this.reserve(len);
    this.buf.set(b.subarray(off, off + len), this.length);
    this.length += len;
    return this;
  }

  /** Length-prefixed bytes. */
  blob(b: Uint8Array): this {
    return this.uleb(b.length).bytes(b);
  }

  /** Patches a u32 at an earlier position. */
  setU32(pos: number, v: number): void { this.view.setUint32(pos, v >>> 0, true); }

  /** The bytes written, without copying (valid until the next write). */
  view8(): Uint8Array { return this.buf.subarray(0, this.length); }

  /** A copy of the bytes written. */
  result(): Uint8Array { return this.buf.slice(0, this.length); }
}
