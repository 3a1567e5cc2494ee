import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CowOverlay } from '../../src/machine/block/cow-overlay.js';
import { MemoryBlockDevice } from '../../src/machine/block/memory-block-device.js';
import type { BlockDevice } from '../../src/machine/block/block-device.js';

function baseBytes(size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 131 + (i >>> 8)) & 0xff;
  return b;
}

/** A base that refuses writes outright, to prove the overlay never writes it. */
class WriteTrap implements BlockDevice {
  readonly readOnly = false;
  constructor(readonly inner: MemoryBlockDevice) {}
  get size(): number {
    return this.inner.size;
  }
  read(offset: number, dst: Uint8Array): void {
    this.inner.read(offset, dst);
  }
  write(): void {
    throw new Error('overlay wrote its base');
  }
  flush(): void {
    throw new Error('overlay flushed its base');
  }
}

describe('CowOverlay', () => {
  it('reads the base until written; partial writes keep the rest of the block', () => {
    const base = new MemoryBlockDevice(baseBytes(16384));
    const o = new CowOverlay(new WriteTrap(base), 4096);
    const got = new Uint8Array(100);
    o.read(5000, got);
    expect(got).toEqual(baseBytes(16384).subarray(5000, 5100));
    o.write(4100, Uint8Array.of(1, 2, 3));
    expect(o.blockCount).toBe(1);
    const block = new Uint8Array(4096);
    o.read(4096, block);
    const want = baseBytes(16384).slice(4096, 8192);
    want.set([1, 2, 3], 4);
    expect(block).toEqual(want);
    expect(Buffer.compare(base.data, baseBytes(16384))).toBe(0);
    o.flush();
  });

  it('handles a base whose size is not a multiple of the block size', () => {
    const base = new MemoryBlockDevice(baseBytes(4096 + 1000));
    const o = new CowOverlay(new WriteTrap(base), 4096);
    o.write(4096 + 998, Uint8Array.of(9, 9));
    const tail = new Uint8Array(1000);
    o.read(4096, tail);
    const want = baseBytes(5096).slice(4096);
    want[998] = want[999] = 9;
    expect(tail).toEqual(want);
    expect(() => o.write(5095, Uint8Array.of(1, 2))).toThrow(RangeError);
    expect(() => o.read(-1, new Uint8Array(1))).toThrow(RangeError);
  });

  it('tracks dirty blocks until cleared and exports/imports deltas', () => {
    const o = new CowOverlay(new MemoryBlockDevice(baseBytes(65536), true), 4096);
    o.write(0, new Uint8Array(10).fill(1));
    o.write(4096 * 3 - 2, new Uint8Array(4).fill(2)); // spans blocks 2 and 3
    expect(o.dirtyBlocks()).toEqual([0, 2, 3]);
    o.clearDirty();
    expect(o.dirtyBlocks()).toEqual([]);
    o.write(4096 * 3, Uint8Array.of(7));
    expect(o.dirtyBlocks()).toEqual([3]);
    const delta = o.exportBlocks(o.dirtyBlocks());
    expect(delta).toHaveLength(1);

    const p = new CowOverlay(new MemoryBlockDevice(baseBytes(65536), true), 4096);
    p.importBlocks(delta);
    expect(p.dirtyBlocks()).toEqual([]);
    const a = new Uint8Array(4096);
    const b = new Uint8Array(4096);
    o.read(4096 * 3, a);
    p.read(4096 * 3, b);
    expect(b).toEqual(a);
    expect(() => p.importBlocks([{ index: 99, data: new Uint8Array(4096) }])).toThrow(/bad block/);
  });

  it('state round trip restores contents, rejects other geometry, and leaves it intact on a bad record', () => {
    const o = new CowOverlay(new MemoryBlockDevice(baseBytes(32768), true), 4096);
    o.write(100, new Uint8Array(5000).fill(0x33));
    const rec = structuredClone(o.saveState());
    const p = new CowOverlay(new MemoryBlockDevice(baseBytes(32768), true), 4096);
    p.write(20000, Uint8Array.of(1));
    p.loadState(rec);
    const x = new Uint8Array(32768);
    const y = new Uint8Array(32768);
    o.read(0, x);
    p.read(0, y);
    expect(Buffer.compare(x, y)).toBe(0);
    expect(p.dirtyBlocks()).toEqual([]);
    expect(() => new CowOverlay(new MemoryBlockDevice(32768), 8192).loadState(rec)).toThrow(/block size/);
    expect(() => p.loadState({ ...rec, version: 2 })).toThrow(/version/);
    expect(() => p.loadState({ ...rec, blocks: [{ index: 0, data: new Uint8Array(3) }] })).toThrow(/bad block/);
    p.read(0, y);
    expect(Buffer.compare(x, y)).toBe(0);
  });

  it('behaves like a plain copy of the base under random reads and writes (base untouched)', () => {
    const SIZE = 3 * 4096 + 700;
    const access = fc.integer({ min: 0, max: SIZE - 1 }).chain((off) => fc.record({ off: fc.constant(off), len: fc.integer({ min: 0, max: Math.min(9000, SIZE - off) }) }));
    fc.assert(
      fc.property(
        fc.constantFrom(512, 1024, 4096),
        fc.array(fc.record({ write: fc.boolean(), at: access, fill: fc.integer({ min: 0, max: 255 }), clear: fc.boolean() }), { maxLength: 30 }),
        (bs, ops) => {
          const pristine = baseBytes(SIZE);
          const base = new MemoryBlockDevice(pristine.slice());
          const o = new CowOverlay(new WriteTrap(base), bs);
          const model = pristine.slice();
          const dirty = new Set<number>();
          for (const op of ops) {
            const { off, len } = op.at;
            if (op.clear) {
              o.clearDirty();
              dirty.clear();
            }
            if (op.write) {
              const data = new Uint8Array(len).fill(op.fill);
              o.write(off, data);
              model.set(data, off);
              for (let b = Math.floor(off / bs); len > 0 && b <= Math.floor((off + len - 1) / bs); b++) dirty.add(b);
            } else {
              const got = new Uint8Array(len);
              o.read(off, got);
              expect(Buffer.compare(got, model.subarray(off, off + len))).toBe(0);
            }
          }
          const all = new Uint8Array(SIZE);
          o.read(0, all);
          expect(Buffer.compare(all, model)).toBe(0);
          expect(Buffer.compare(base.data, pristine)).toBe(0);
          expect(o.dirtyBlocks()).toEqual([...dirty].sort((a, b) => a - b));
        },
      ),
      { numRuns: 200 },
    );
  });
});
