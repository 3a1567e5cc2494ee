import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { PAGE_SIZE } from '../../src/machine/memory.js';
import { nodeCodecRegistry } from '../../src/node/codecs/node-codecs.js';
import { CodecError } from '../../src/encoding/codec-error.js';
import { CODEC_ID, CodecRegistry } from '../../src/encoding/page-codec.js';
import { fillPage, rng } from './corpus.js';

const registry = nodeCodecRegistry();
const memoryPage = fc.tuple(fc.integer(), fc.double({ min: 0, max: 1, noNaN: true })).map(([seed, kind]) => {
  const p = new Uint8Array(PAGE_SIZE);
  fillPage(p, 0, rng(seed), kind);
  return p;
});
const anyPage = fc.oneof(memoryPage, fc.uint8Array({ minLength: PAGE_SIZE, maxLength: PAGE_SIZE }));

describe.each(registry.names())('codec %s', (name) => {
  const codec = registry.byName(name);
  const out = new Uint8Array(codec.maxOutput(PAGE_SIZE));
  const back = new Uint8Array(PAGE_SIZE);

  test('round trip, output within maxOutput', () => {
    fc.assert(fc.property(anyPage, fc.nat(8), (page, shift) => {
      // Offsets inside a larger buffer, as RAM views are.
      const big = new Uint8Array(PAGE_SIZE + 8);
      big.set(page, shift);
      const n = codec.compress(big, shift, PAGE_SIZE, out);
      expect(n).toBeLessThanOrEqual(out.length);
      codec.decompress(out.subarray(0, n), back);
      expect(Buffer.compare(back, page)).toBe(0);
    }), { numRuns: 150 });
  });

  test('truncated and garbage input gives CodecError (or, if it decodes, a full page)', () => {
    const page = new Uint8Array(PAGE_SIZE);
    fillPage(page, 0, rng(3), 0.75);
    const n = codec.compress(page, 0, PAGE_SIZE, out);
    const good = out.slice(0, n);
    expect(() => codec.decompress(good.subarray(0, n - 1), back)).toThrow(CodecError);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 3 }), (garbage, flips) => {
      for (const input of [garbage, (() => { const m = good.slice(); for (const [i, x] of flips) m[i % m.length] ^= x; return m; })()]) {
        try {
          codec.decompress(input, back);
        } catch (e) {
          expect(e).toBeInstanceOf(CodecError);
        }
      }
    }), { numRuns: 300 });
  });
});

test('registry lookups and ids are stable', () => {
  expect(registry.byName('zstd').id).toBe(CODEC_ID.zstd);
  expect(registry.byId(CODEC_ID.lz4).name).toBe('lz4');
  expect(() => registry.byName('brotli')).toThrow(/unknown page codec "brotli"/);
  expect(() => new CodecRegistry().byId(3)).toThrow(CodecError);
});
