// A guest chooses its page contents. Should two different pages ever share a
// 128-bit hash, the repository's own dedup lookup must compare bytes: a page
// presented with another chunk's hash (what a collision looks like to the
// lookup) is never taken for that chunk.
import { afterEach, beforeEach, expect, test } from 'vitest';
import { PAGE_SIZE } from '../../src/machine/memory.js';
import { CODEC_ID } from '../../src/encoding/page-codec.js';
import { hashBytes } from '../../src/encoding/page-hash.js';
import { openRepo, tempDir } from './helpers.js';

let dir = '';
let cleanup = () => {};
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

function page(fill: number): Uint8Array {
  return new Uint8Array(PAGE_SIZE).fill(fill);
}

function hashOf(p: Uint8Array): Uint32Array {
  const h = new Uint32Array(4);
  hashBytes(p, 0, PAGE_SIZE, h);
  return h;
}

test('a page with the same hash but other bytes is not a duplicate, before and after commit', () => {
  const repo = openRepo(dir);
  const w = repo.begin({ parent: null, pageCount: 3 });
  const a = page(1), b = page(2);
  const hA = hashOf(a);
  const idA = w.putFull(hA, CODEC_ID.none, a, 0, PAGE_SIZE);
  w.setPage(0, idA);
  // uncommitted chunk: b claims a's hash
  expect(w.findDuplicate(hA, b, 0)).toBe(0);
  expect(w.findDuplicate(hA, a, 0)).toBe(idA);
  const idB = w.putFull(hashOf(b), CODEC_ID.none, b, 0, PAGE_SIZE);
  w.setPage(1, idB);
  w.setPage(2, w.findDuplicate(hashOf(b), b, 0));
  const meta = w.commit({ guestTime: 0, instructions: 0, deviceState: new Uint8Array(1), metrics: {} as never });
  repo.close();

  const again = openRepo(dir, false);
  const w2 = again.begin({ parent: meta.id, pageCount: 3 });
  expect(w2.findDuplicate(hA, b, 0)).toBe(0);
  expect(w2.findDuplicate(hashOf(b), a, 0)).toBe(0);
  expect(w2.findDuplicate(hA, a, 0)).toBe(idA);
  expect(w2.findDuplicate(hashOf(b), b, 0)).toBe(idB);
  w2.abort();
  const ram = new Uint8Array(3 * PAGE_SIZE);
  again.restore(meta.id, ram);
  expect(ram.subarray(0, PAGE_SIZE)).toEqual(a);
  expect(ram.subarray(PAGE_SIZE, 2 * PAGE_SIZE)).toEqual(b);
  expect(ram.subarray(2 * PAGE_SIZE)).toEqual(b);
  again.close();
});
