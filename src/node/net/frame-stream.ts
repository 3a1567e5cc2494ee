/**
 * QEMU's stream framing for Ethernet over a byte stream (`-netdev stream`,
 * `-netdev socket,listen|connect`, and what passt speaks on its socket):
 * each frame is preceded by its length as a 32-bit big-endian integer.
 *
 * The decoder takes bytes as the socket delivers them (any split) and never
 * throws on peer data: a length above `maxFrame` desynchronises the stream
 * for good (nothing marks a frame start), so it is reported as fatal and the
 * connection must be dropped.
 */

/** Length prefix + frame, ready to write. */
export function encodeFrame(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + frame.length);
  new DataView(out.buffer).setUint32(0, frame.length, false);
  out.set(frame, 4);
  return out;
}

export class FrameDecoder {
  private buf: Uint8Array;
  private start = 0;
  private end = 0;
  /** Set once the stream is unusable (an oversized length); later input is ignored. */
  fatal: string | null = null;

  constructor(readonly maxFrame: number) {
    this.buf = new Uint8Array(Math.min(maxFrame + 4, 1 << 16));
  }

  /** Bytes held for a frame not yet complete (a peer that stops here sent a truncated frame). */
  get pending(): number {
    return this.end - this.start;
  }

  /**
   * Feeds bytes; calls `onFrame` for each complete frame (a fresh copy the
   * callee may keep). Returns the fatal error, if the stream just became or
   * already was unusable.
   */
  push(chunk: Uint8Array, onFrame: (frame: Uint8Array) => void): string | null {
    if (this.fatal) return this.fatal;
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(chunk.length - off, this.room());
      this.buf.set(chunk.subarray(off, off + n), this.end);
      this.end += n;
      off += n;
      if (this.extract(onFrame)) return this.fatal;
    }
    return null;
  }

  /** Space left after `end`, compacting or growing the buffer when it is full. */
  private room(): number {
    if (this.end < this.buf.length) return this.buf.length - this.end;
    if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    } else {
      const bigger = new Uint8Array(Math.min(this.buf.length * 2, this.maxFrame + 4));
      bigger.set(this.buf.subarray(0, this.end));
      this.buf = bigger;
    }
    return this.buf.length - this.end;
  }

  /** Takes every complete frame out of the buffer; true when the stream turned fatal. */
  private extract(onFrame: (frame: Uint8Array) => void): boolean {
    const b = this.buf;
    while (this.end - this.start >= 4) {
      const s = this.start;
      const len = ((b[s] << 24) | (b[s + 1] << 16) | (b[s + 2] << 8) | b[s + 3]) >>> 0;
      if (len > this.maxFrame) {
        this.fatal = `frame length ${len} exceeds ${this.maxFrame} bytes (garbage or a different protocol)`;
        this.start = this.end = 0;
        return true;
      }
      if (this.end - s < 4 + len) break;
      onFrame(b.slice(s + 4, s + 4 + len));
      this.start = s + 4 + len;
    }
    if (this.start === this.end) this.start = this.end = 0;
    return false;
  }
}
