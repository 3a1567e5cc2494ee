// The block translators (the JS tier and the wasm tier) must see code changes: stores by the CPU
// and device DMA into translated pages.
import { describe, expect, it } from 'vitest';
import { Bus } from '../../src/machine/bus.js';
import { GuestMemory } from '../../src/machine/memory.js';
import { Hart } from '../../src/machine/cpu/hart.js';
import { addi, sw, bne } from '../support/rv-encode.js';

const BASE = 0x80000000;
const J_SELF = 0x0000006f;
const A0 = 10, A1 = 11, T0 = 5, T1 = 6;

function machine(engine: 'js' | 'wasm'): { hart: Hart; ram: GuestMemory; blocks: () => number } {
  const ram = new GuestMemory(BASE, 1 << 20);
  const hart = new Hart(new Bus(ram), ram, { hartId: 0, time: () => 0, engine });
  const words = [
    addi(A0, A0, 1), // 0x00: patched below
    addi(A1, A1, -1), // 0x04
    bne(A1, 0, -8), // 0x08
    J_SELF, // 0x0c
    sw(T0, T1, 0), // 0x10: the CPU patches the loop from here
    J_SELF, // 0x14
  ];
  words.forEach((w, i) => { ram.i32[i] = w | 0; });
  return { hart, ram, blocks: () => hart.translatedBlocks };
}

function loop(hart: Hart, iterations: number): number {
  hart.reset(BASE);
  hart.xLo[A1] = iterations;
  hart.run(iterations * 3 + 10);
  return hart.xLo[A0];
}

describe.each(['js', 'wasm'] as const)('block translator (engine %s)', (engine) => {
  it('translates a hot loop and drops it when DMA rewrites the code', () => {
    const { hart, ram, blocks } = machine(engine);
    expect(loop(hart, 50_000)).toBe(50_000);
    expect(blocks()).toBeGreaterThan(0);
    const patched = new Uint8Array(4);
    new DataView(patched.buffer).setUint32(0, addi(A0, A0, 2), true);
    ram.write(BASE, patched); // device DMA
    expect(loop(hart, 50_000)).toBe(100_000);
  });

  it('drops translated blocks when the CPU stores into their page', () => {
    const { hart, blocks } = machine(engine);
    expect(loop(hart, 50_000)).toBe(50_000);
    expect(blocks()).toBeGreaterThan(0);
    hart.reset(BASE + 0x10);
    hart.xLo[T0] = addi(A0, A0, 3) | 0;
    hart.xLo[T1] = BASE | 0;
    hart.run(2);
    expect(loop(hart, 50_000)).toBe(150_000);
  });

  it('stops a block exactly at the instruction budget', () => {
    const { hart } = machine(engine);
    loop(hart, 50_000); // translated now
    hart.reset(BASE);
    hart.xLo[A1] = 50_000;
    const start = hart.instret;
    for (let n = 0; n < 1000; n++) expect(hart.run(1)).toBe(1); // a budget of one never fits a block
    expect(hart.run(3001)).toBe(3001);
    expect(hart.instret - start).toBe(4001);
    expect(hart.xLo[A1]).toBe(50_000 - Math.floor((4001 + 1) / 3)); // addi a1 is the 2nd of each 3
  });
});

describe('engine statistics', () => {
  it('counts leaders handed to the translator apart from the blocks it made', () => {
    const ram = new GuestMemory(BASE, 1 << 20);
    const words = [
      0x34002073, // 0x00: csrrs x0, mscratch, x0: a leader the JS tier cannot translate
      addi(A0, A0, 1), // 0x04: a leader after the CSR (translated)
      addi(A1, A1, -1),
      bne(A1, 0, -12), // back to 0x00
      J_SELF,
    ];
    words.forEach((w, i) => { ram.i32[i] = w | 0; });
    const stats = (engine: 'js' | 'interpreter'): ReturnType<Hart['engineStats']> => {
      const hart = new Hart(new Bus(ram), ram, { hartId: 0, time: () => 0, engine, hotThreshold: 1 });
      hart.reset(BASE);
      hart.xLo[A1] = 100;
      hart.run(1000);
      expect(hart.xLo[A0]).toBe(100);
      return hart.engineStats();
    };
    const js = stats('js');
    expect(js.translations).toBeGreaterThan(0);
    expect(js.leaders).toBeGreaterThan(js.translations); // the CSR leader was handed over but made no block
    const none = stats('interpreter');
    expect([none.leaders, none.translations, none.compileMs]).toEqual([0, 0, 0]);
  });
});
