// The page worker protocol on this thread: results in job order, the same outcome as the pipeline's
// own per-page path, and a job claimed by a thread that never delivers is done by the committing thread.
import { expect, test } from 'vitest';
import { PAGE_SIZE } from '../../src/machine/memory.js';
import { OUT_COMPRESSED, OUT_ZERO, PageJobChannel, SRC_COPY, SRC_RAM } from '../../src/encoding/page-job-channel.js';
import { PagePipeline } from '../../src/encoding/page-pipeline.js';
import { hashBytes } from '../../src/encoding/page-hash.js';
import { codecs } from '../store/helpers.js';

function setup(threads: number) {
  const ram = new SharedArrayBuffer(8 * PAGE_SIZE);
  const copies = new SharedArrayBuffer(2 * PAGE_SIZE);
  const u8 = new Uint8Array(ram);
  for (let i = PAGE_SIZE; i < 8 * PAGE_SIZE; i++) u8[i] = (i * 7) & 0x3f; // page 0 zero, the rest compressible
  new Uint8Array(copies).set(u8.subarray(3 * PAGE_SIZE, 4 * PAGE_SIZE), PAGE_SIZE);
  const pl = new PagePipeline({ codec: codecs.byName('zstd'), deltaCacheBytes: 64 * PAGE_SIZE });
  pl.prepare(8);
  const o = pl.options;
  const ch = new PageJobChannel(ram, copies, pl.cacheBuffer, { ring: 4, codec: o.codec, deltaMaxBytes: o.deltaMaxBytes, subpageBlock: 0, compressMaxBytes: o.compressMaxBytes, zeroPages: true, timing: false }, threads);
  return { u8, ch };
}

test('results come in job order with the zero test, hash and compression of each page', () => {
  const { u8, ch } = setup(0);
  ch.submit(0, SRC_RAM, 0, -1);
  ch.submit(2, SRC_RAM, 2 * PAGE_SIZE, -1);
  ch.submit(3, SRC_COPY, PAGE_SIZE, -1);
  expect(ch.full).toBe(false);
  ch.submit(5, SRC_RAM, 5 * PAGE_SIZE, -1);
  expect(ch.full).toBe(true);
  const zero = ch.next(false)!;
  expect([zero.page, zero.kind]).toEqual([0, OUT_ZERO]);
  for (const p of [2, 3, 5]) {
    const r = ch.next(false)!;
    expect(r.page).toBe(p);
    expect(r.kind).toBe(OUT_COMPRESSED);
    const h = new Uint32Array(4);
    hashBytes(u8, p * PAGE_SIZE, PAGE_SIZE, h);
    expect(Array.from(r.hash)).toEqual(Array.from(h));
    const back = new Uint8Array(PAGE_SIZE);
    codecs.byName('zstd').decompress(r.payload.subarray(0, r.length), back);
    expect(back).toEqual(u8.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE));
  }
  expect(ch.next(false)).toBeNull();
  expect(ch.inFlight).toBe(0);
});

test('a job claimed by a worker thread that never delivers is done by the committing thread', () => {
  const { ch } = setup(1);
  ch.submit(4, SRC_RAM, 4 * PAGE_SIZE, -1);
  Atomics.store(new Int32Array(ch.setup.control), 1, 1); // "claimed" by a thread that then died
  const t0 = performance.now();
  const r = ch.next(true)!;
  expect(r.page).toBe(4);
  expect(r.kind).toBe(OUT_COMPRESSED);
  expect(performance.now() - t0).toBeGreaterThanOrEqual(900);
});
