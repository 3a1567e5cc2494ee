import { expect } from 'vitest';
import { PAGE_SIZE } from '../../src/machine/memory.js';
import type { ChunkSink } from '../../src/encoding/chunk-sink.js';
import type { CodecRegistry } from '../../src/encoding/page-codec.js';
import { applyDelta } from '../../src/encoding/delta-format.js';

/** In-memory sink that decodes every delta format and offers readChunk. */
export class MemorySink implements ChunkSink {
  chunks: Array<{ full: boolean; codec: number; base: number; payload: Uint8Array; hash: Uint32Array }> = [{ full: true, codec: 0, base: 0, payload: new Uint8Array(0), hash: new Uint32Array(4) }];
  map: Uint32Array;
  constructor(pages: number, private readonly registry: CodecRegistry) { this.map = new Uint32Array(pages); }
  decode(id: number): Uint8Array {
    const c = this.chunks[id];
    const out = new Uint8Array(PAGE_SIZE);
    if (c.full) this.registry.byId(c.codec).decompress(c.payload, out);
    else { out.set(this.decode(c.base)); applyDelta(c.codec, c.payload, out, this.registry); }
    return out;
  }
  findDuplicate(hash: Uint32Array, page: Uint8Array, off: number): number {
    for (let id = 1; id < this.chunks.length; id++) {
      const h = this.chunks[id].hash;
      if (h[0] === hash[0] && h[1] === hash[1] && h[2] === hash[2] && h[3] === hash[3]
        && Buffer.compare(this.decode(id), page.subarray(off, off + PAGE_SIZE)) === 0) return id;
    }
    return 0;
  }
  isFullChunk(id: number): boolean { return this.chunks[id]?.full === true; }
  putFull(hash: Uint32Array, codec: number, p: Uint8Array, o: number, n: number): number {
    return this.chunks.push({ full: true, codec, base: 0, payload: p.slice(o, o + n), hash: hash.slice() }) - 1;
  }
  putDelta(hash: Uint32Array, base: number, p: Uint8Array, o: number, n: number, format = 0): number {
    expect(this.isFullChunk(base)).toBe(true);
    return this.chunks.push({ full: false, codec: format, base, payload: p.slice(o, o + n), hash: hash.slice() }) - 1;
  }
  readChunk(id: number, dst: Uint8Array): void { dst.set(this.decode(id)); }
  setPage(page: number, id: number): void { this.map[page] = id; }
  rebuild(): Uint8Array {
    const ram = new Uint8Array(this.map.length * PAGE_SIZE);
    this.map.forEach((id, p) => { if (id) ram.set(this.decode(id), p * PAGE_SIZE); });
    return ram;
  }
}
