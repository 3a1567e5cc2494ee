// Copy-on-write capture against the machine's write paths: CPU stores (fast path after a TLB fill,
// AMOs), DMA writes, a store racing the background reader on the same page, the bound on held copies.
import { expect, test } from 'vitest';
import { Bus } from '../../src/machine/bus.js';
import { Hart } from '../../src/machine/cpu/hart.js';
import { GuestMemory, PAGE_SIZE } from '../../src/machine/memory.js';
import type { ChunkSink } from '../../src/encoding/chunk-sink.js';
import { PagePipeline } from '../../src/encoding/page-pipeline.js';
import { CopyArena, CowCapture } from '../../src/checkpoint/cow-capture.js';
import { PageJobChannel } from '../../src/encoding/page-job-channel.js';

const BASE = 0x80000000;

/** Keeps each page's stored bytes (raw pipeline: no zero test, dedup, delta or compression). */
class PageSink implements ChunkSink {
  readonly pages = new Map<number, Uint8Array>();
  private readonly chunks: Uint8Array[] = [new Uint8Array(0)];
  findDuplicate(): number { return 0; }
  isFullChunk(): boolean { return false; }
  putFull(_h: Uint32Array, _c: number, payload: Uint8Array, offset: number, length: number): number { this.chunks.push(payload.slice(offset, offset + length)); return this.chunks.length - 1; }
  putDelta(): number { throw new Error('no deltas here'); }
  setPage(page: number, id: number): void { this.pages.set(page, this.chunks[id]); }
}
const rawPipeline = () => new PagePipeline({ zeroPages: false, dedup: false, delta: false, codec: null, timing: false });

/**
 * A hart in M-mode (no translation) running, in a loop: sw t1,0(t0); sw t1,0(t2); amoadd.w zero,t1,(t3); j loop.
 * t0, t2, t3 point into pages 1, 2 and 3.
 */
function machine() {
  const ram = new GuestMemory(BASE, 16 * PAGE_SIZE);
  const hart = new Hart(new Bus(ram), ram, { hartId: 0, time: () => 0, translate: false });
  const code = [0x0062a023, 0x0063a023, 0x006e202f, 0xff5ff06f]; // last: jal x0, -12
  code.forEach((w, i) => { ram.u8[i * 4] = w; ram.u8[i * 4 + 1] = w >>> 8; ram.u8[i * 4 + 2] = w >>> 16; ram.u8[i * 4 + 3] = w >>> 24; });
  hart.reset(BASE);
  hart.xLo[5] = BASE + 1 * PAGE_SIZE + 8;
  hart.xLo[7] = BASE + 2 * PAGE_SIZE + 16;
  hart.xLo[28] = BASE + 3 * PAGE_SIZE + 32;
  for (let p = 1; p < 16; p++) ram.u8.fill(p, p * PAGE_SIZE, (p + 1) * PAGE_SIZE);
  const setValue = (v: number) => { hart.xLo[6] = v; };
  return { ram, hart, setValue };
}
const selection = (pages: number[]) => Int32Array.from(pages);
const word = (ram: GuestMemory, pa: number) => ram.readU32(pa);

test('CPU stores (TLB fast path warmed up before the stop), AMOs and DMA writes copy the page first; the capture holds RAM as at the stop', () => {
  const { ram, hart, setValue } = machine();
  setValue(0x11111111);
  hart.run(8); // two loop iterations: the store TLB now holds writable entries for pages 1 and 2
  const atStop = ram.u8.slice();
  const sink = new PageSink();
  const cow = new CowCapture(ram, selection([1, 2, 3, 4, 5]), rawPipeline(), () => sink);
  setValue(0x22222222);
  hart.run(4); // writes pages 1, 2 (stores) and 3 (AMO)
  ram.write(BASE + 4 * PAGE_SIZE + 100, new Uint8Array([9, 9, 9])); // DMA into page 4
  ram.writeU32(BASE + 4 * PAGE_SIZE + 200, 7); // and again: no second fault
  hart.run(4); // second round: no new faults
  expect(cow.figures.cowFaults).toBe(4);
  expect(cow.figures.cowCopiedBytes).toBe(4 * PAGE_SIZE);
  expect(word(ram, BASE + PAGE_SIZE + 8)).toBe(0x22222222);
  expect(word(ram, BASE + 3 * PAGE_SIZE + 32)).toBe((0x03030303 + 0x11111111 * 2 + 0x22222222 * 2) >>> 0);
  expect(cow.step(100)).toBe(true);
  for (const p of [1, 2, 3, 4, 5]) expect(sink.pages.get(p), `page ${p}`).toEqual(atStop.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE));
  expect(ram.writeProtect.every((b) => b === 0)).toBe(true);
  expect(ram.onProtectedWrite).toBeNull();
  expect(cow.heldBytes).toBe(0);
});

test('a store racing the background reader on the same page: read first, then written (no fault), or written first (copied)', () => {
  const { ram, hart, setValue } = machine();
  setValue(0x11111111);
  hart.run(4);
  const atStop = ram.u8.slice();
  const sink = new PageSink();
  // page 2 is read first (as a predicted page), page 1 last
  const cow = new CowCapture(ram, selection([1, 2]), rawPipeline(), () => sink, { first: selection([2]) });
  expect(cow.step(1)).toBe(false); // the reader has taken page 2 straight from RAM
  setValue(0x33333333);
  hart.run(2); // stores hit page 1 (not read yet: fault) and page 2 (already read: no fault)
  expect(cow.figures.cowFaults).toBe(1);
  hart.run(4); // and again
  expect(cow.figures.cowFaults).toBe(1);
  expect(cow.step(10)).toBe(true);
  expect(sink.pages.get(1)).toEqual(atStop.subarray(PAGE_SIZE, 2 * PAGE_SIZE));
  expect(sink.pages.get(2)).toEqual(atStop.subarray(2 * PAGE_SIZE, 3 * PAGE_SIZE));
  expect(word(ram, BASE + 2 * PAGE_SIZE + 16)).toBe(0x33333333);
});

test('eager copies of predicted pages happen during the stop; past the memory bound a fault encodes the page at once', () => {
  const { ram, hart, setValue } = machine();
  const atStop = ram.u8.slice();
  const sink = new PageSink();
  const cow = new CowCapture(ram, selection([1, 2, 3, 6]), rawPipeline(), () => sink, { first: selection([6]), eagerPages: 8, maxHeldBytes: 2 * PAGE_SIZE });
  expect(cow.figures.eagerPages).toBe(1);
  expect(ram.writeProtect[6]).toBe(0);
  setValue(0x44444444);
  hart.run(3); // pages 1 (copied: the bound is now reached), 2 and 3 (encoded on the spot)
  expect(cow.figures.cowFaults).toBe(3);
  expect(cow.figures.cowFaultEncodes).toBe(2);
  expect(cow.figures.peakHeldBytes).toBe(2 * PAGE_SIZE);
  expect(sink.pages.get(2)).toEqual(atStop.subarray(2 * PAGE_SIZE, 3 * PAGE_SIZE));
  ram.write(BASE + 6 * PAGE_SIZE, new Uint8Array(8).fill(0xee));
  expect(cow.step(10)).toBe(true);
  for (const p of [1, 2, 3, 6]) expect(sink.pages.get(p), `page ${p}`).toEqual(atStop.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE));
});

test('a pipeline failure inside a fault never throws into the guest: the capture is cancelled and reports it', () => {
  const { ram, hart, setValue } = machine();
  const broken: ChunkSink = { ...new PageSink(), findDuplicate: () => 0, isFullChunk: () => false, putFull: () => { throw new Error('disk full'); }, putDelta: () => 0, setPage: () => {} };
  const cow = new CowCapture(ram, selection([1, 2, 3]), rawPipeline(), () => broken, { maxHeldBytes: 0 });
  setValue(0x55555555);
  hart.run(4);
  expect(word(ram, BASE + PAGE_SIZE + 8)).toBe(0x55555555);
  expect(word(ram, BASE + 2 * PAGE_SIZE + 16)).toBe(0x55555555);
  expect(() => cow.step(10)).toThrow(/disk full/);
  expect(ram.writeProtect.every((b) => b === 0)).toBe(true);
  expect(ram.onProtectedWrite).toBeNull();
});

/** A page job channel served on this thread (threads = 0: nothing runs until results are asked for, so races are deterministic). */
function sameThreadChannel(ram: GuestMemory, pl: PagePipeline, arena: CopyArena): PageJobChannel {
  pl.prepare(ram.pages);
  const o = pl.options;
  return new PageJobChannel(ram.buffer, arena.buffer, pl.cacheBuffer, { ring: 8, codec: o.codec, deltaMaxBytes: o.deltaMaxBytes, subpageBlock: 0, compressMaxBytes: o.compressMaxBytes, zeroPages: o.zeroPages, timing: false }, 0);
}

test('page workers: a store to a page whose job is reading it copies the page, the job\'s result is discarded and the copy is sent again', () => {
  const { ram, hart, setValue } = machine();
  setValue(0x11111111);
  hart.run(4);
  const atStop = ram.u8.slice();
  const sink = new PageSink();
  const pl = rawPipeline();
  const arena = new CopyArena(8 * PAGE_SIZE);
  const channel = sameThreadChannel(ram, pl, arena);
  const cow = new CowCapture(ram, selection([1, 2, 5]), pl, () => sink, { arena, channel });
  expect(cow.step(0)).toBe(false); // jobs handed out for pages 1, 2 and 5, no result consumed: all still protected
  expect(channel.inFlight).toBe(3);
  setValue(0x66666666);
  hart.run(2); // stores to pages 1 and 2 while "a worker reads them"
  expect(cow.figures.cowFaults).toBe(2);
  expect(cow.figures.resent).toBe(2);
  expect(cow.step(100, true)).toBe(true);
  for (const p of [1, 2, 5]) expect(sink.pages.get(p), `page ${p}`).toEqual(atStop.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE));
  expect(word(ram, BASE + PAGE_SIZE + 8)).toBe(0x66666666);
  expect(ram.writeProtect.every((b) => b === 0)).toBe(true);
  expect(arena.used).toBe(0);
  expect(channel.inFlight).toBe(0);
});

test.each([false, true])('pages the guest reported free (balloon) and still zero are counted apart from zero pages (page workers: %s)', (workers) => {
  const { ram } = machine();
  ram.u8.fill(0, 6 * PAGE_SIZE, 9 * PAGE_SIZE); // pages 6, 7, 8 zero; 7 and 8 reported free
  const reported = new Uint8Array(ram.pages);
  reported[7] = reported[8] = reported[9] = 1; // 9 was reported, then written again: not zero, encoded like any page
  const sink = new PageSink();
  const pl = new PagePipeline({ zeroPages: true, dedup: false, delta: false, codec: null, timing: false });
  const arena = new CopyArena(8 * PAGE_SIZE);
  const channel = workers ? sameThreadChannel(ram, pl, arena) : null;
  const cow = new CowCapture(ram, selection([6, 7, 8, 9]), pl, () => sink, { arena, channel, freeReported: reported });
  while (!cow.step(100, true)) { /* all */ }
  expect(cow.metrics.pagesFreeReported).toBe(2);
  expect(cow.metrics.pagesZero).toBe(1);
  expect(cow.metrics.pagesRaw).toBe(1);
  expect(cow.metrics.pagesDirty).toBe(4);
});
