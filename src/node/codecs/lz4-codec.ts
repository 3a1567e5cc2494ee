import { compressSync, uncompressSync } from 'lz4-napi';
import { CodecError } from '../../encoding/codec-error.js';
import { CODEC_ID, type PageCodec } from '../../encoding/page-codec.js';

/**
 * LZ4 block (lz4-napi, size-prefixed). The library allocates its output, so
 * each call copies once into the caller's buffer.
 */
export class Lz4Codec implements PageCodec {
  readonly name = 'lz4';
  readonly id = CODEC_ID.lz4;

  compress(src: Uint8Array, off: number, len: number, dst: Uint8Array): number {
    const out = compressSync(Buffer.from(src.buffer, src.byteOffset + off, len));
    if (out.length > dst.length) throw new CodecError('lz4', `output ${out.length} exceeds buffer ${dst.length}`);
    dst.set(out);
    return out.length;
  }

  decompress(src: Uint8Array, dst: Uint8Array): void {
    // The 4-byte size prefix is checked first so a corrupt prefix cannot make the library allocate gigabytes.
    if (src.length < 5) throw new CodecError('lz4', `block of ${src.length} bytes is too short`);
    const size = (src[0] | (src[1] << 8) | (src[2] << 16) | (src[3] << 24)) >>> 0;
    if (size !== dst.length) throw new CodecError('lz4', `block declares ${size} bytes, expected ${dst.length}`);
    let out: Buffer;
    try {
      out = uncompressSync(Buffer.from(src.buffer, src.byteOffset, src.length));
    } catch (e) {
      throw new CodecError('lz4', `corrupt data: ${(e as Error).message}`);
    }
    if (out.length !== dst.length) throw new CodecError('lz4', `decoded ${out.length} bytes, expected ${dst.length}`);
    dst.set(out);
  }

  maxOutput(n: number): number {
    return 4 + n + Math.ceil(n / 255) + 16;
  }
}
