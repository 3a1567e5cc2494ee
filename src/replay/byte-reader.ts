import { ReplayLogError } from './replay-error.js';

/** Bounds-checked reader over a byte range; every failure is a ReplayLogError naming `where`. */
export class ByteReader {
  pos: number;
  private readonly f64 = new DataView(new ArrayBuffer(8));

  constructor(
    readonly buf: Uint8Array,
    readonly where: string,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  fail(reason: string): never {
    throw new ReplayLogError(this.where, `${reason} (at byte ${this.pos})`);
  }

  private want(k: number): void {
    if (this.pos + k > this.end) this.fail(`truncated: needs ${k} more bytes, has ${this.end - this.pos}`);
  }

  u8(): number {
    this.want(1);
    return this.buf[this.pos++];
  }

  u32(): number {
    this.want(4);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  }

  uleb(): number {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      this.want(1);
      const b = this.buf[this.pos++];
      v += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (!Number.isSafeInteger(v)) this.fail('varint out of range');
        return v;
      }
      scale *= 0x80;
    }
    return this.fail('varint longer than 8 bytes');
  }

  sleb(): number {
    const z = this.uleb();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  f64le(): number {
    this.want(8);
    for (let i = 0; i < 8; i++) this.f64.setUint8(i, this.buf[this.pos++]);
    return this.f64.getFloat64(0, true);
  }

  bytes(len: number): Uint8Array {
    this.want(len);
    const b = this.buf.slice(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }

  /** Length-prefixed bytes, at most `max` long. */
  blob(max: number): Uint8Array {
    const len = this.uleb();
    if (len > max) this.fail(`length ${len} exceeds the limit ${max}`);
    return this.bytes(len);
  }
}
