import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { CodecError } from '../../encoding/codec-error.js';
import { CODEC_ID, type PageCodec } from '../../encoding/page-codec.js';

/** Raw deflate from node:zlib: always available, slowest per page (a fresh zlib stream per call). */
export class DeflateCodec implements PageCodec {
  readonly name = 'deflate';
  readonly id = CODEC_ID.deflate;

  constructor(readonly level = 1) {}

  compress(src: Uint8Array, off: number, len: number, dst: Uint8Array): number {
    const out = deflateRawSync(src.subarray(off, off + len), { level: this.level });
    if (out.length > dst.length) throw new CodecError('deflate', `output ${out.length} exceeds buffer ${dst.length}`);
    dst.set(out);
    return out.length;
  }

  decompress(src: Uint8Array, dst: Uint8Array): void {
    let out: Buffer;
    try {
      out = inflateRawSync(src, { maxOutputLength: dst.length });
    } catch (e) {
      throw new CodecError('deflate', `corrupt data: ${(e as Error).message}`);
    }
    if (out.length !== dst.length) throw new CodecError('deflate', `decoded ${out.length} bytes, expected ${dst.length}`);
    dst.set(out);
  }

  maxOutput(n: number): number {
    return n + 5 * Math.ceil(n / 16383) + 64;
  }
}
