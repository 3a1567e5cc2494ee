// Sub-page deltas and similarity deltas: exact round trips, the per-page choice against XBZRLE, bounded index, malformed input.
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { PAGE_SIZE } from '../../src/machine/memory.js';
import { nodeCodecRegistry } from '../../src/node/codecs/node-codecs.js';
import { CodecError } from '../../src/encoding/codec-error.js';
import { applyDelta, DELTA_FORMAT } from '../../src/encoding/delta-format.js';
import { PagePipeline } from '../../src/encoding/page-pipeline.js';
import { SimilarityIndex } from '../../src/encoding/similarity-index.js';
import { subpageDecode, subpageEncode, subpageMaxBytes } from '../../src/encoding/subpage-delta.js';
import { makeRam, rng } from './corpus.js';
import { MemorySink } from './memory-sink.js';

const codecs = nodeCodecRegistry();


const sum = (m: ReturnType<PagePipeline['run']>) => m.pagesZero + m.pagesDeduplicated + m.pagesDelta + m.pagesSubpage + m.pagesSimilar + m.pagesCompressed + m.pagesRaw;

describe('sub-page delta', () => {
  test('encode/decode round-trips for any change and block size, raw or compressed', () => {
    const zstd = codecs.byName('zstd');
    fc.assert(fc.property(
      fc.uint8Array({ minLength: PAGE_SIZE, maxLength: PAGE_SIZE }),
      fc.array(fc.record({ at: fc.integer({ min: 0, max: PAGE_SIZE - 1 }), v: fc.integer({ min: 0, max: 255 }), n: fc.integer({ min: 1, max: 300 }) }), { maxLength: 12 }),
      fc.constantFrom(16, 32, 64, 128, 4096),
      fc.boolean(),
      (old, edits, block, compress) => {
        const cur = old.slice();
        for (const e of edits) cur.fill(e.v, e.at, Math.min(PAGE_SIZE, e.at + e.n));
        const dst = new Uint8Array(subpageMaxBytes(block));
        const n = subpageEncode(old, 0, cur, 0, block, dst, dst.length, compress ? zstd : null, new Uint8Array(PAGE_SIZE), new Uint8Array(zstd.maxOutput(PAGE_SIZE)));
        expect(n).toBeGreaterThan(0);
        const page = old.slice();
        subpageDecode(dst.subarray(0, n), page, 0, (id) => codecs.byId(id));
        expect(Buffer.compare(page, cur)).toBe(0);
      }), { numRuns: 200 });
  });

  test('malformed payloads throw CodecError only', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      const page = new Uint8Array(PAGE_SIZE);
      try { applyDelta(DELTA_FORMAT.subpage, bytes, page, codecs); } catch (e) { expect(e).toBeInstanceOf(CodecError); }
    }), { numRuns: 500 });
    expect(() => applyDelta(9, new Uint8Array(4), new Uint8Array(PAGE_SIZE), codecs)).toThrow(CodecError);
  });

  test('the pipeline keeps the smaller of XBZRLE and blocks per page and rebuilds RAM exactly', () => {
    const pages = 64;
    const ram = makeRam(pages, 5);
    const dirty = new Uint8Array(pages).fill(1);
    const sink = new MemorySink(pages, codecs);
    const pl = new PagePipeline({ codec: codecs.byName('zstd'), subpageBlock: 64, timing: false });
    pl.run({ pageCount: pages, ram, dirty }, sink);
    const r = rng(3);
    let subpage = 0, xbzrle = 0;
    for (let round = 0; round < 4; round++) {
      dirty.fill(0);
      for (let p = 0; p < pages; p++) {
        const off = p * PAGE_SIZE;
        if (p % 2 === 0) {
          // scattered: every other byte of two blocks (XBZRLE pays a header per byte run)
          for (let i = 0; i < 128; i += 2) ram[off + 1024 + i] ^= 0x5a;
        } else {
          // one 8-byte word (XBZRLE's best case)
          ram[off + 8 * Math.floor(r() * 512)] ^= 0xff;
        }
        dirty[p] = 1;
      }
      const m = pl.run({ pageCount: pages, ram, dirty }, sink);
      expect(sum(m)).toBe(m.pagesDirty);
      expect(Buffer.compare(sink.rebuild(), ram)).toBe(0);
      subpage += m.subpageWins; xbzrle += m.xbzrleWins;
    }
    expect(subpage).toBeGreaterThan(0);
    expect(xbzrle).toBeGreaterThan(0);
  });
});

describe('similarity delta', () => {
  test('a page similar to a stored one (at another address) is stored as a small delta against it', () => {
    const pages = 64;
    const ram = makeRam(pages, 9);
    const dirty = new Uint8Array(pages).fill(1);
    const sink = new MemorySink(pages, codecs);
    const pl = new PagePipeline({ codec: codecs.byName('zstd'), similarity: true, timing: false });
    // random (incompressible) pages 0..7; pages 32..39 are copies with a few bytes changed
    const r = rng(1);
    for (let i = 0; i < 8 * PAGE_SIZE; i++) ram[i] = (r() * 256) | 0;
    for (let k = 0; k < 8; k++) {
      ram.copyWithin((32 + k) * PAGE_SIZE, k * PAGE_SIZE, (k + 1) * PAGE_SIZE);
      for (let j = 0; j < 10; j++) ram[(32 + k) * PAGE_SIZE + 300 * j + 7] ^= 0xff;
    }
    const m = pl.run({ pageCount: pages, ram, dirty }, sink);
    expect(m.pagesSimilar).toBeGreaterThanOrEqual(8);
    expect(m.bytesSimilar / m.pagesSimilar).toBeLessThan(200);
    expect(sum(m)).toBe(m.pagesDirty);
    expect(Buffer.compare(sink.rebuild(), ram)).toBe(0);
  });

  test('the index has a fixed size and ignores all-zero samples', () => {
    const idx = new SimilarityIndex(1 << 10);
    expect(idx.bytes).toBe(8 << 10);
    const words = new Int32Array(2048);
    idx.insert(words, 0, 5);
    expect(idx.lookup(words, 1024)).toBe(0);
    words.fill(7, 0, 1024);
    idx.insert(words, 0, 6);
    for (let i = 0; i < 20_000; i++) { words[1024 + (i % 1024)] = i; idx.insert(words, 1024, 100 + i); }
    expect(idx.bytes).toBe(8 << 10);
  });
});
