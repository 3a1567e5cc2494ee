import { describe, expect, it } from 'vitest';
import { MemoryBlockDevice } from '../../src/machine/block/memory-block-device.js';

describe('MemoryBlockDevice', () => {
  it('reads and writes within bounds, refuses outside and when read-only', () => {
    const d = new MemoryBlockDevice(1024);
    d.write(10, Uint8Array.of(1, 2, 3));
    const b = new Uint8Array(4);
    d.read(9, b);
    expect([...b]).toEqual([0, 1, 2, 3]);
    expect(() => d.read(1022, new Uint8Array(4))).toThrow(RangeError);
    expect(() => d.write(-1, new Uint8Array(1))).toThrow(RangeError);
    d.flush();
    expect(d.flushes).toBe(1);
    const ro = new MemoryBlockDevice(new Uint8Array(16), true);
    expect(() => ro.write(0, new Uint8Array(1))).toThrow(/read-only/);
  });
});
