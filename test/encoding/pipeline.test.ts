import { describe, expect, test } from 'vitest';
import { PAGE_SIZE } from '../../src/machine/memory.js';
import { nodeCodecRegistry } from '../../src/node/codecs/node-codecs.js';
import { CODEC_ID } from '../../src/encoding/page-codec.js';
import { hashBytes, hashWords } from '../../src/encoding/page-hash.js';
import { PagePipeline } from '../../src/encoding/page-pipeline.js';
import { XbzrleCache } from '../../src/encoding/xbzrle-cache.js';
import { isZeroBytes, isZeroWords } from '../../src/encoding/zero-page.js';
import { makeRam, mutate, rng } from './corpus.js';
import { MemorySink } from './memory-sink.js';


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
