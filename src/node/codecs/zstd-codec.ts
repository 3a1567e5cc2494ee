import { createRequire } from 'node:module';
import type * as ZstdBinding from 'zstd-napi/binding.js';
import { CodecError } from '../../encoding/codec-error.js';
import { CODEC_ID, type PageCodec } from '../../encoding/page-codec.js';

const require = createRequire(import.meta.url);

/** zstd through zstd-napi's low-level binding: one reused CCtx/DCtx, output straight into the caller's buffer. */
export class ZstdCodec implements PageCodec {
  readonly name = 'zstd';
  readonly id = CODEC_ID.zstd;
  private readonly binding: typeof ZstdBinding;
  private readonly cctx: ZstdBinding.CCtx;
  private readonly dctx: ZstdBinding.DCtx;

  constructor(readonly level = 1) {
    this.binding = require('zstd-napi/binding.js') as typeof ZstdBinding;
    this.cctx = new this.binding.CCtx();
    this.dctx = new this.binding.DCtx();
  }

  compress(src: Uint8Array, off: number, len: number, dst: Uint8Array): number {
    return this.cctx.compress(dst, src.subarray(off, off + len), this.level);
  }

  decompress(src: Uint8Array, dst: Uint8Array): void {
    let n: number;
    try {
      n = this.dctx.decompress(dst, src);
    } catch (e) {
      throw new CodecError('zstd', `corrupt data: ${(e as Error).message}`);
    }
    if (n !== dst.length) throw new CodecError('zstd', `decoded ${n} bytes, expected ${dst.length}`);
  }

  maxOutput(n: number): number {
    return this.binding.compressBound(n);
  }
}
