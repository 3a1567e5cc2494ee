import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { PAGE_SIZE } from '../../src/machine/memory.js';
import { CodecError } from '../../src/encoding/codec-error.js';
import { xbzrleDecode, xbzrleEncode } from '../../src/encoding/xbzrle.js';
import { fillPage, rng } from './corpus.js';

const dst = new Uint8Array(3 * PAGE_SIZE);

const dst2 = new Uint8Array(3 * PAGE_SIZE);

function roundTrip(old: Uint8Array, cur: Uint8Array, limit = dst.length): number {
  const n = xbzrleEncode(old, 0, cur, 0, PAGE_SIZE, dst, limit);
  // The word-at-a-time path must produce the same bytes.
  const ow = new Int32Array(old.buffer, old.byteOffset, PAGE_SIZE / 4), cw = new Int32Array(cur.buffer, cur.byteOffset, PAGE_SIZE / 4);
  expect(xbzrleEncode(old, 0, cur, 0, PAGE_SIZE, dst2, limit, ow, cw)).toBe(n);
  if (n > 0) expect(Buffer.compare(dst.subarray(0, n), dst2.subarray(0, n))).toBe(0);
  if (n < 0) return n;
  const page = old.slice();
  xbzrleDecode(dst, 0, n, page, 0, PAGE_SIZE);
  expect(Buffer.compare(page, cur)).toBe(0);
  return n;
}

/** A page plus a list of patches (offset, bytes) as the guest would write them. */
const pagePair = fc.record({
  seed: fc.integer(),
  patches: fc.array(fc.record({ at: fc.nat(PAGE_SIZE - 1), bytes: fc.uint8Array({ minLength: 1, maxLength: 300 }) }), { maxLength: 40 }),
}).map(({ seed, patches }) => {
  const old = new Uint8Array(PAGE_SIZE);
  fillPage(old, 0, rng(seed));
  const cur = old.slice();
  for (const p of patches) cur.set(p.bytes.subarray(0, PAGE_SIZE - p.at), p.at);
  return { old, cur };
});

describe('XBZRLE', () => {
  test('round trip on memory-like pages with random patches', () => {
    fc.assert(fc.property(pagePair, ({ old, cur }) => { roundTrip(old, cur); }), { numRuns: 300 });
  });

  test('round trip on unrelated random pages', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: PAGE_SIZE, maxLength: PAGE_SIZE }), fc.uint8Array({ minLength: PAGE_SIZE, maxLength: PAGE_SIZE }), (a, b) => {
      roundTrip(a, b);
    }), { numRuns: 50 });
  });

  test('unchanged page encodes to nothing; QEMU layout for one changed byte', () => {
    const a = new Uint8Array(PAGE_SIZE);
    expect(roundTrip(a, a.slice())).toBe(0);
    const b = a.slice();
    b[1] = 0xaa;
    expect(xbzrleEncode(a, 0, b, 0, PAGE_SIZE, dst, 100)).toBe(3);
    expect([...dst.subarray(0, 3)]).toEqual([1, 1, 0xaa]);
    const c = a.slice();
    c[0] = 7; c[PAGE_SIZE - 1] = 9;
    expect(xbzrleEncode(a, 0, c, 0, PAGE_SIZE, dst, 100)).toBe(2 + 1 + 3 + 1);
    expect([...dst.subarray(0, 7)]).toEqual([0, 1, 7, 0xfe, 0x1f, 1, 9]);
  });

  test('worst case alternating bytes exceeds a page and is refused under the threshold', () => {
    const a = new Uint8Array(PAGE_SIZE);
    const b = new Uint8Array(PAGE_SIZE);
    for (let i = 0; i < PAGE_SIZE; i += 2) b[i] = 1;
    expect(xbzrleEncode(a, 0, b, 0, PAGE_SIZE, dst, PAGE_SIZE)).toBe(-1);
    expect(roundTrip(a, b)).toBe(3 * (PAGE_SIZE / 2));
    const all = new Uint8Array(PAGE_SIZE).fill(0xff);
    expect(roundTrip(a, all)).toBe(PAGE_SIZE + 3);
  });

  test('encoder never writes past the limit', () => {
    fc.assert(fc.property(pagePair, fc.nat(600), ({ old, cur }, limit) => {
      const buf = new Uint8Array(limit + 16).fill(0xee);
      const n = xbzrleEncode(old, 0, cur, 0, PAGE_SIZE, buf, limit);
      expect(n).toBeLessThanOrEqual(limit);
      for (let i = limit; i < buf.length; i++) expect(buf[i]).toBe(0xee);
      const n2 = xbzrleEncode(old, 0, cur, 0, PAGE_SIZE, buf, limit, new Int32Array(old.buffer), new Int32Array(cur.buffer));
      expect(n2).toBe(n);
      for (let i = limit; i < buf.length; i++) expect(buf[i]).toBe(0xee);
    }), { numRuns: 200 });
  });

  test('decoder rejects malformed deltas with CodecError', () => {
    const page = new Uint8Array(PAGE_SIZE);
    const bad: Array<[number[], RegExp]> = [
      [[0x80], /truncated ULEB128/],
      [[5], /truncated after a zero run/],
      [[0, 0], /empty non-zero run/],
      [[0, 2, 1], /truncated inside/],
      [[0x80, 0x40, 1, 1], /zero run past end/],
      [[0xff, 0x1f, 2, 1, 2], /non-zero run past end/],
      [[0, 1, 7, 0, 1, 8], /empty zero run/],
      [[0x80, 0x80, 0x80, 0x01], /longer than 3 bytes/],
    ];
    for (const [bytes, re] of bad) {
      expect(() => xbzrleDecode(Uint8Array.from(bytes), 0, bytes.length, page, 0, PAGE_SIZE)).toThrow(re);
    }
  });

  test('decoder on random bytes only throws CodecError and stays inside the page', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const buf = new Uint8Array(PAGE_SIZE + 8).fill(0x5a);
      const page = buf.subarray(4, 4 + PAGE_SIZE);
      try {
        xbzrleDecode(bytes, 0, bytes.length, page, 0, PAGE_SIZE);
      } catch (e) {
        expect(e).toBeInstanceOf(CodecError);
      }
      for (const i of [0, 1, 2, 3, PAGE_SIZE + 4, PAGE_SIZE + 7]) expect(buf[i]).toBe(0x5a);
    }), { numRuns: 2000 });
  });
});
