import { CodecError } from './codec-error.js';

/**
 * A page compressor. Implementations keep their own contexts/buffers so a
 * call allocates as little as the underlying library allows.
 * `id` is written to disk: never renumber a codec.
 */
export interface PageCodec {
  readonly name: string;
  readonly id: number;
  /** Compresses src[off..+len) into dst (dst.length >= maxOutput(len)); returns bytes written. */
  compress(src: Uint8Array, off: number, len: number, dst: Uint8Array): number;
  /** Decompresses into exactly dst.length bytes; throws CodecError on any other outcome. */
  decompress(src: Uint8Array, dst: Uint8Array): void;
  maxOutput(srcLength: number): number;
}

/** On-disk codec ids. */
export const CODEC_ID = { none: 0, deflate: 1, lz4: 2, zstd: 3 } as const;

/** Stores bytes as they are. */
export class NoneCodec implements PageCodec {
  readonly name = 'none';
  readonly id = CODEC_ID.none;
  compress(src: Uint8Array, off: number, len: number, dst: Uint8Array): number {
    dst.set(src.subarray(off, off + len));
    return len;
  }
  decompress(src: Uint8Array, dst: Uint8Array): void {
    if (src.length !== dst.length) throw new CodecError('none', `stored ${src.length} bytes, expected ${dst.length}`);
    dst.set(src);
  }
  maxOutput(n: number): number {
    return n;
  }
}

export class CodecRegistry {
  private readonly byNameMap = new Map<string, PageCodec>();
  private readonly byIdMap = new Map<number, PageCodec>();

  constructor(codecs: PageCodec[] = [new NoneCodec()]) {
    for (const c of codecs) this.register(c);
  }

  register(codec: PageCodec): void {
    const other = this.byIdMap.get(codec.id);
    if (other && other.name !== codec.name) throw new Error(`codec id ${codec.id} already used by ${other.name}`);
    this.byNameMap.set(codec.name, codec);
    this.byIdMap.set(codec.id, codec);
  }

  byName(name: string): PageCodec {
    const c = this.byNameMap.get(name);
    if (!c) throw new Error(`unknown page codec "${name}" (available: ${this.names().join(', ')})`);
    return c;
  }

  byId(id: number): PageCodec {
    const c = this.byIdMap.get(id);
    if (!c) throw new CodecError('registry', `no codec with id ${id} is available (known: ${[...this.byIdMap.keys()].join(', ')})`);
    return c;
  }

  names(): string[] {
    return [...this.byNameMap.keys()];
  }
}
