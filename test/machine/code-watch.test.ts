// The code-write watch on GuestMemory serves every hart: a store by one hart (or a device)
// into code another hart decoded and translated drops that hart's decoded instructions and
// blocks, even when the writer had mapped the page for fast stores before it became code.
import { describe, expect, it } from 'vitest';
import { Bus } from '../../src/machine/bus.js';
import { GuestMemory } from '../../src/machine/memory.js';
import { Hart } from '../../src/machine/cpu/hart.js';
import { addi, sw, bne } from '../support/rv-encode.js';

const BASE = 0x80000000;
const J_SELF = 0x0000006f;
const A0 = 10, A1 = 11, T0 = 5, T1 = 6;

describe('code-write watch with two harts', () => {
  it('a store by one hart drops the code another hart decoded and translated', () => {
    const ram = new GuestMemory(BASE, 1 << 20);
    const bus = new Bus(ram);
    const a = new Hart(bus, ram, { hartId: 0, time: () => 0, hotThreshold: 100 });
    const b = new Hart(bus, ram, { hartId: 1, time: () => 0 });
    [addi(A0, A0, 1), addi(A1, A1, -1), bne(A1, 0, -8), J_SELF].forEach((w, i) => { ram.i32[i] = w | 0; });
    [sw(T0, T1, 0), J_SELF].forEach((w, i) => { ram.i32[0x400 + i] = w | 0; });
    const loop = (n: number): number => {
      a.reset(BASE);
      a.xLo[A1] = n;
      a.run(3 * n + 10);
      return a.xLo[A0];
    };
    const store = (word: number): void => {
      b.reset(BASE + 0x1000);
      b.xLo[T0] = word | 0;
      b.xLo[T1] = BASE | 0;
      expect(b.run(1)).toBe(1);
    };
    // b maps the page for fast stores while it is still plain data
    store(addi(A0, A0, 1));
    expect(loop(5_000)).toBe(5_000);
    expect(a.translatedBlocks).toBeGreaterThan(0);
    expect(a.code.has(0)).toBe(true);
    // now it is code: b's store must reach a's caches
    store(addi(A0, A0, 2));
    expect(a.code.has(0)).toBe(false);
    expect(loop(5_000)).toBe(10_000);
    // and a device write too
    const patched = new Uint8Array(4);
    new DataView(patched.buffer).setUint32(0, addi(A0, A0, 3), true);
    ram.write(BASE, patched);
    expect(loop(5_000)).toBe(15_000);
  });
});
