import { describe, expect, test } from 'vitest';
import { PAGE_SIZE } from '../../src/machine/memory.js';
import { nodeCodecRegistry } from '../../src/node/codecs/node-codecs.js';
import type { ChunkSink } from '../../src/encoding/chunk-sink.js';
import { CODEC_ID, type CodecRegistry } from '../../src/encoding/page-codec.js';
import { hashBytes, hashWords } from '../../src/encoding/page-hash.js';
import { PagePipeline } from '../../src/encoding/page-pipeline.js';
import { XbzrleCache } from '../../src/encoding/xbzrle-cache.js';
import { xbzrleDecode } from '../../src/encoding/xbzrle.js';
import { isZeroBytes, isZeroWords } from '../../src/encoding/zero-page.js';
import { makeRam, mutate, rng } from './corpus.js';

/** In-memory sink that keeps decoded chunks, so tests can rebuild RAM. */
class MemorySink implements ChunkSink {
  chunks: Array<{ kind: 'full' | 'delta'; codec: number; base: number; payload: Uint8Array; hash: Uint32Array }> = [{ kind: 'full', codec: 0, base: 0, payload: new Uint8Array(0), hash: new Uint32Array(4) }];
  map: Uint32Array;
  constructor(pages: number, private readonly codecs: CodecRegistry) { this.map = new Uint32Array(pages); }
  decode(id: number): Uint8Array {
    const c = this.chunks[id];
    const out = new Uint8Array(PAGE_SIZE);
    if (c.kind === 'full') this.codecs.byId(c.codec).decompress(c.payload, out);
    else { out.set(this.decode(c.base)); xbzrleDecode(c.payload, 0, c.payload.length, out, 0, PAGE_SIZE); }
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
  isFullChunk(id: number): boolean { return this.chunks[id]?.kind === 'full'; }
  putFull(hash: Uint32Array, codec: number, p: Uint8Array, o: number, n: number): number {
    return this.chunks.push({ kind: 'full', codec, base: 0, payload: p.slice(o, o + n), hash: hash.slice() }) - 1;
  }
  putDelta(hash: Uint32Array, base: number, p: Uint8Array, o: number, n: number): number {
    return this.chunks.push({ kind: 'delta', codec: 0, base, payload: p.slice(o, o + n), hash: hash.slice() }) - 1;
  }
  setPage(page: number, id: number): void { this.map[page] = id; }
  rebuild(): Uint8Array {
    const ram = new Uint8Array(this.map.length * PAGE_SIZE);
    this.map.forEach((id, p) => { if (id) ram.set(this.decode(id), p * PAGE_SIZE); });
    return ram;
  }
}

const codecs = nodeCodecRegistry();

describe('page pipeline', () => {
  test.each(['none', 'deflate', 'lz4', 'zstd'])('rebuilds RAM exactly over several rounds with codec %s', (name) => {
    const pages = 96;
    const ram = makeRam(pages, 7);
    const dirty = new Uint8Array(pages).fill(1);
    const sink = new MemorySink(pages, codecs);
    const pl = new PagePipeline({ codec: codecs.byName(name), deltaCacheBytes: 32 * PAGE_SIZE });
    const r = rng(11);
    for (let round = 0; round < 6; round++) {
      const m = pl.run({ pageCount: pages, ram, dirty }, sink);
      expect(m.pagesDirty).toBe(dirty.reduce((a, b) => a + b, 0));
      expect(m.pagesZero + m.pagesDeduplicated + m.pagesDelta + m.pagesCompressed + m.pagesRaw).toBe(m.pagesDirty);
      expect(Buffer.compare(sink.rebuild(), ram)).toBe(0);
      dirty.fill(0);
      mutate(ram, dirty, 30, r);
    }
    const t = pl.metrics;
    expect(t.pagesZero).toBeGreaterThan(0);
    expect(t.pagesDeduplicated).toBeGreaterThan(0);
    expect(t.pagesDelta).toBeGreaterThan(0);
    if (name !== 'none') expect(t.pagesCompressed).toBeGreaterThan(0);
    expect(t.cacheEvictions).toBeGreaterThan(0);
  });

  test('stages can be switched off', () => {
    const pages = 32;
    const ram = makeRam(pages, 3);
    const sink = new MemorySink(pages, codecs);
    const pl = new PagePipeline({ zeroPages: false, dedup: false, delta: false, codec: null, timing: false });
    const m = pl.run({ pageCount: pages, ram, dirty: new Uint8Array(pages).fill(1) }, sink);
    expect(m).toMatchObject({ pagesDirty: 32, pagesRaw: 32, pagesZero: 0, pagesDeduplicated: 0, pagesDelta: 0, msTotal: 0 });
    expect(sink.chunks.every((c) => c.codec === CODEC_ID.none)).toBe(true);
    expect(Buffer.compare(sink.rebuild(), ram)).toBe(0);
  });
  // the repository's own lookup under a collision: test/store/dedup-collision.test.ts
});

test('zero test and hash agree across aligned and unaligned views', () => {
  const buf = new Uint8Array(PAGE_SIZE + 4);
  const words = new Int32Array(buf.buffer, 0, PAGE_SIZE / 4);
  expect(isZeroWords(words, 0, PAGE_SIZE / 4)).toBe(true);
  buf[PAGE_SIZE - 1] = 1;
  expect(isZeroWords(words, 0, PAGE_SIZE / 4)).toBe(false);
  expect(isZeroBytes(buf, 0, PAGE_SIZE)).toBe(false);
  const a = new Uint32Array(4), b = new Uint32Array(4);
  hashWords(words, 0, PAGE_SIZE / 4, a);
  const shifted = new Uint8Array(PAGE_SIZE + 1);
  shifted.set(buf.subarray(0, PAGE_SIZE), 1);
  hashBytes(shifted, 1, PAGE_SIZE, b);
  expect([...b]).toEqual([...a]);
  buf[0] = 1;
  hashWords(words, 0, PAGE_SIZE / 4, b);
  expect([...b]).not.toEqual([...a]);
});

test('XBZRLE cache is an LRU of fixed capacity', () => {
  const c = new XbzrleCache(10, 3 * PAGE_SIZE);
  const page = new Uint8Array(PAGE_SIZE);
  for (const p of [1, 2, 3]) { page.fill(p); c.insert(p, page, 0, 100 + p); }
  c.lookup(1); // 2 is now least recently used
  page.fill(4); c.insert(4, page, 0, 104);
  expect(c.lookup(2)).toBe(-1);
  expect(c.evictions).toBe(1);
  const s = c.lookup(1);
  expect(c.chunkOf(s)).toBe(101);
  expect(c.data[c.offsetOf(s)]).toBe(1);
  c.drop(1);
  expect(c.lookup(1)).toBe(-1);
  expect(c.size).toBe(2);
  const s4 = c.lookup(4);
  expect(c.data[c.offsetOf(s4)]).toBe(4);
  page.fill(5); c.insert(5, page, 0, 105);
  page.fill(6); c.insert(6, page, 0, 106); // evicts 3
  expect(c.lookup(3)).toBe(-1);
  expect(c.data[c.offsetOf(c.lookup(5))]).toBe(5);
});
