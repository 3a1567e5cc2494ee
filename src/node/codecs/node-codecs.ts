import { CodecRegistry, NoneCodec } from '../../encoding/page-codec.js';
import { DeflateCodec } from './deflate-codec.js';
import { Lz4Codec } from './lz4-codec.js';
import { ZstdCodec } from './zstd-codec.js';

export interface NodeCodecOptions {
  zstdLevel?: number;
  deflateLevel?: number;
}

/** A registry with every page codec available under Node: none, deflate, lz4, zstd. */
export function nodeCodecRegistry(options: NodeCodecOptions = {}): CodecRegistry {
  return new CodecRegistry([
    new NoneCodec(),
    new DeflateCodec(options.deflateLevel ?? 1),
    new Lz4Codec(),
    new ZstdCodec(options.zstdLevel ?? 1),
  ]);
}
