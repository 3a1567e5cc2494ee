// The WebAssembly tier on targeted cases (each in lockstep with the interpreter, state compared
// after every block): self-modifying code with and without FENCE.I, a block running to the end of
// a page, DMA into a compiled page, exact budgets, and the fallback to the JS tier.
import { describe, expect, it } from 'vitest';
import { Bus } from '../../src/machine/bus.js';
import { GuestMemory, ENGINE_AREA } from '../../src/machine/memory.js';
import { Hart } from '../../src/machine/cpu/hart.js';
import { wasmTierStats } from '../../src/machine/cpu/wasm/wasm-tier.js';
import { lockstep, type LockstepTarget } from '../support/lockstep.js';
import { bareHartTarget, type BareRun } from '../support/bare-hart.js';
import { addi, sw, bne, btype, jal } from '../support/rv-encode.js';

const BASE = 0x80000000;
const FENCE_I = 0x0000100f;
const J_SELF = jal(0, 0);
const A0 = 10, A1 = 11, T0 = 5, T1 = 6;

/** A bare hart with `words` at RAM offset `at`, a1 = iterations, pc at the code. */
function target(words: number[], at: number, setup: (h: Hart) => void, budget: number): LockstepTarget<BareRun> {
  return bareHartTarget(
    (ram) => words.forEach((w, i) => { ram.i32[(at >> 2) + i] = w | 0; }), at, setup, budget,
    (r) => ({ a0: r.hart.xLo[A0], instret: r.hart.instret, code: [...r.ram.i32.subarray(at >> 2, (at >> 2) + words.length)] }),
  );
}

const WASM = { name: 'wasm', options: { engine: 'wasm' } };

describe('wasm tier', () => {
  it('runs a hot loop in wasm regions', () => {
    const before = wasmTierStats.retired;
    const loop = [addi(A0, A0, 1), addi(A1, A1, -1), bne(A1, 0, -8), J_SELF];
    const { test } = lockstep(target(loop, 0, (h) => { h.xLo[A1] = 100_000; }, 300_010), WASM);
    expect(test.hart.xLo[A0]).toBe(100_000);
    expect(wasmTierStats.retired - before).toBeGreaterThan(250_000);
  });

  for (const fence of [false, true]) {
    it(`a store into the running region's page ends it right after the store (${fence ? 'with' : 'without'} FENCE.I)`, () => {
      // the loop rewrites its own `addi a0, a0, 1` into `addi a0, a0, 2` on the first iteration
      const loop = [
        sw(T0, T1, 0x10), // 0x00: patch 0x10
        fence ? FENCE_I : addi(0, 0, 0), // 0x04
        addi(A1, A1, -1), // 0x08
        addi(0, 0, 0), // 0x0c
        addi(A0, A0, 1), // 0x10: patched
        bne(A1, 0, -0x14), // 0x14
        J_SELF,
      ];
      const { test } = lockstep(target(loop, 0x3000, (h) => {
        h.xLo[A1] = 1000; h.xLo[T0] = addi(A0, A0, 2) | 0; h.xLo[T1] = (BASE + 0x3000) | 0;
      }, 6000), WASM);
      expect(test.hart.xLo[A0]).toBe(2000);
    });
  }

  it('runs a block to the end of its page and on into the next', () => {
    // a loop whose body straddles the page boundary at 0x5000
    const body = Array.from({ length: 12 }, () => addi(A0, A0, 1));
    const loop = [...body, addi(A1, A1, -1), bne(A1, 0, -4 * 13), J_SELF];
    const { test } = lockstep(target(loop, 0x5000 - 4 * 8, (h) => { h.xLo[A1] = 3000; }, 50_000), WASM);
    expect(test.hart.xLo[A0]).toBe(36_000);
  });

  it('sees DMA into a compiled page and stops exactly at every budget', () => {
    const t = target([addi(A0, A0, 1), addi(A1, A1, -1), bne(A1, 0, -8), J_SELF], 0, (h) => { h.xLo[A1] = 1_000_000; }, 0);
    const r = t.build({ engine: 'wasm', hotThreshold: 0 });
    r.hart.run(30_000);
    const start = r.hart.instret;
    for (let n = 1; n < 500; n++) expect(r.hart.run(n % 7 + 1)).toBe(n % 7 + 1);
    expect(r.hart.xLo[A0]).toBe(Math.floor((r.hart.instret + 2) / 3));
    expect(r.hart.instret - start).toBeGreaterThan(1000);
    const patched = new Uint8Array(4);
    new DataView(patched.buffer).setUint32(0, addi(A0, A0, 5), true);
    const a0 = r.hart.xLo[A0];
    r.ram.write(BASE, patched); // device DMA into the region's page
    r.hart.run(3000 - (r.hart.instret % 3)); // whole iterations from the loop head
    expect(r.hart.xLo[A0]).toBeGreaterThan(a0 + 4000);
  });

  it('stops exactly at every budget inside a loop of several blocks (budget checked at the loop head only)', () => {
    // blocks 0x00-0x04, 0x08, 0x0c-0x10: a forward branch and a fall-through inside the loop body, so
    // a run from the loop head can retire 5 instructions before the next check
    const loop = [
      addi(A1, A1, -1), // 0x00
      btype(8, T1, A1, 0), // 0x04: beq a1, t1, 0x0c (taken when a1 = t1 = 7)
      addi(A0, A0, 1), // 0x08
      addi(A0, A0, 2), // 0x0c
      bne(A1, 0, -0x10), // 0x10
      J_SELF,
    ];
    const setup = (h: Hart): void => { h.xLo[A1] = 1_000_000; h.xLo[T1] = 7; };
    const t = target(loop, 0x2000, setup, 0);
    const w = t.build({ engine: 'wasm', hotThreshold: 0 });
    const i = t.build({ engine: 'interpreter' });
    const before = wasmTierStats.retired;
    w.hart.run(30_000);
    i.hart.run(30_000);
    for (let n = 1; n < 700; n++) {
      expect(w.hart.run(n % 13 + 1)).toBe(n % 13 + 1);
      i.hart.run(n % 13 + 1);
      expect([w.hart.xLo[A0], w.hart.xLo[A1], w.hart.pcLo]).toEqual([i.hart.xLo[A0], i.hart.xLo[A1], i.hart.pcLo]);
    }
    expect(wasmTierStats.retired - before).toBeGreaterThan(20_000);
  });

  it('falls back to the JS tier when the registers cannot live in wasm memory', () => {
    const ram = new GuestMemory(BASE, 1 << 20);
    ram.engineArea(ENGINE_AREA); // no room left for this hart's arrays
    const hart = new Hart(new Bus(ram), ram, { hartId: 0, time: () => 0, engine: 'wasm', hotThreshold: 0 });
    [addi(A0, A0, 1), addi(A1, A1, -1), bne(A1, 0, -8), J_SELF].forEach((w, i) => { ram.i32[i] = w | 0; });
    hart.reset(BASE);
    hart.xLo[A1] = 1000;
    const before = wasmTierStats.retired;
    hart.run(3001);
    expect(hart.xLo[A0]).toBe(1000);
    expect(hart.translatedBlocks).toBeGreaterThan(0);
    expect(wasmTierStats.retired).toBe(before);
    // the JS tier reports through the same statistics API (no dispatcher counters)
    const st = hart.engineStats();
    expect(st.translations).toBeGreaterThan(0);
    expect(st.dispatchHits).toBeUndefined();
  });
});
