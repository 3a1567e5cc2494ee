/** Growable little-endian byte buffer with LEB128 varints: the encoder of every log record. */
export class ByteWriter {
  buf: Uint8Array;
  n = 0;
  private readonly f64 = new DataView(new ArrayBuffer(8));

  constructor(capacity = 4096) {
    this.buf = new Uint8Array(capacity);
  }

  reset(): void {
    this.n = 0;
  }

  need(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let c = this.buf.length * 2;
    while (c < this.n + k) c *= 2;
    const b = new Uint8Array(c);
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
  }

  u8(v: number): void {
    this.need(1);
    this.buf[this.n++] = v & 0xff;
  }

  u32(v: number): void {
    this.need(4);
    const b = this.buf;
    b[this.n++] = v & 0xff;
    b[this.n++] = (v >>> 8) & 0xff;
    b[this.n++] = (v >>> 16) & 0xff;
    b[this.n++] = (v >>> 24) & 0xff;
  }

  /** Unsigned LEB128 of a non-negative safe integer. */
  uleb(v: number): void {
    if (!(v >= 0) || !Number.isSafeInteger(v)) throw new RangeError(`uleb: ${v} is not a non-negative safe integer`);
    this.need(8);
    while (v >= 0x80) {
      this.buf[this.n++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.n++] = v;
  }

  /** ZigZag + LEB128 of a signed safe integer. */
  sleb(v: number): void {
    this.uleb(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  f64le(v: number): void {
    this.f64.setFloat64(0, v, true);
    this.need(8);
    for (let i = 0; i < 8; i++) this.buf[this.n++] = this.f64.getUint8(i);
  }

  bytes(b: Uint8Array): void {
    this.need(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }

  /** Length-prefixed bytes. */
  blob(b: Uint8Array): void {
    this.uleb(b.length);
    this.bytes(b);
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}
