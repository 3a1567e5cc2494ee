/**
 * Compression is injected (the core layer has no Node-only codecs): any
 * PageCodec by id, e.g. the zstd codec from src/node/codecs. A frame whose
 * compressed form is not smaller is stored with the `none` codec.
 */
import { CODEC_ID, NoneCodec, type PageCodec } from '../encoding/page-codec.js';

export interface CodecLookup {
  byId(id: number): PageCodec;
}

/** Looks codecs up among a fixed list (always including `none`). */
export function codecList(...codecs: PageCodec[]): CodecLookup {
  const all = [new NoneCodec(), ...codecs];
  return {
    byId(id: number): PageCodec {
      const c = all.find((x) => x.id === id);
      if (!c) throw new Error(`no codec with id ${id} (have ${all.map((x) => `${x.name}=${x.id}`).join(', ')})`);
      return c;
    },
  };
}

export const NONE_ID = CODEC_ID.none;
