// The wasm tier's dispatcher (regions run back to back inside wasm), each case in lockstep with the
// interpreter: chaining across pages and through JALR returns, a store into another page's compiled
// code that the dispatcher's table still points to, and eviction of modules whose regions are chained.
import { afterEach, describe, expect, it } from 'vitest';
import type { Hart } from '../../src/machine/cpu/hart.js';
import { MAX_MODULES, wasmTierDefaults, wasmTierStats } from '../../src/machine/cpu/wasm/wasm-tier.js';
import { engineArraysOf } from '../../src/machine/cpu/wasm/engine-area.js';
import { lockstep, type LockstepTarget } from '../support/lockstep.js';
import { bareHartTarget, type BareRun } from '../support/bare-hart.js';
import { addi, sw, bne, jal } from '../support/rv-encode.js';

const BASE = 0x80000000;
const A0 = 10, A1 = 11, A2 = 12, T0 = 5, T1 = 6, RA = 1;
const jalr = (rd: number, rs1: number, imm: number): number => (((imm & 0xfff) << 20) | (rs1 << 15) | (rd << 7) | 0x67) >>> 0;
const RET = jalr(0, RA, 0);

/** A bare hart with `code` (RAM offset -> word), pc at `entry`, set up by `setup`, run for `budget` instructions. */
function target(code: Map<number, number>, entry: number, setup: (h: Hart) => void, budget: number): LockstepTarget<BareRun> {
  return bareHartTarget(
    (ram) => { for (const [at, w] of code) ram.i32[at >> 2] = w | 0; }, entry, setup, budget,
    (r) => ({ a0: r.hart.xLo[A0], a1: r.hart.xLo[A1], instret: r.hart.instret, pc: r.hart.pcLo }),
  );
}

/**
 * The dispatcher's table entries that do not name a live entry point of the
 * tier (its private map: a test looks inside), and the RAM offsets in use;
 * a stale entry would let the dispatcher run dropped code.
 */
function dispatchTable(h: Hart): { stale: number[]; offsets: number[] } {
  const area = engineArraysOf(h.xLo)!;
  const tier = (h as unknown as { translator: { entries: Map<number, { slot: number; label: number }> } }).translator;
  const stale: number[] = [], offsets: number[] = [];
  for (let k = 0; k < area.dTag.length; k++) {
    const t = area.dTag[k];
    if (t < 0) continue;
    offsets.push(t);
    const e = tier.entries.get(t);
    if (e === undefined || e.slot < 0 || e.slot !== area.dVal[k] >>> 8 || e.label !== (area.dVal[k] & 0xff)) stale.push(t);
  }
  return { stale, offsets };
}

/** Places `words` at RAM offset `at` in `code`. */
function put(code: Map<number, number>, at: number, words: number[]): void {
  words.forEach((w, i) => code.set(at + 4 * i, w));
}

const WASM = { name: 'wasm', options: { engine: 'wasm' } };
/** Regions chained inside wasm (no chain limit): the state is compared only when control returns to JavaScript. */
const CHAINED = { ...WASM, chainLimit: 0 };
const { batchDelay: delay, otherPages } = wasmTierDefaults;
afterEach(() => { wasmTierDefaults.batchDelay = delay; wasmTierDefaults.otherPages = otherPages; });

describe('wasm dispatcher', () => {
  it('chains regions across pages and through JALR returns without leaving wasm', () => {
    const code = new Map<number, number>();
    // main at 0x1000 calls f at 0x3000 (another page), which returns by JALR into main's region
    put(code, 0x1000, [jal(RA, 0x2000), addi(A1, A1, -1), bne(A1, 0, -8), jal(0, 0)]);
    put(code, 0x3000, [addi(A0, A0, 1), RET]);
    wasmTierDefaults.otherPages = 0; // else main's region takes f in and the calls never leave it (wasm-cross-page.test.ts)
    const { test } = lockstep(target(code, 0x1000, (h) => { h.xLo[A1] = 20_000; }, 100_000), CHAINED);
    expect(test.hart.xLo[A0]).toBe(20_000);
    const st = test.hart.engineStats();
    // most calls and returns go region to region inside the dispatcher
    expect(st.dispatchHits ?? 0).toBeGreaterThan(10_000);
    expect(st.retired ?? 0).toBeGreaterThan(50_000);
  });

  it('never chains into a region whose code was overwritten (a store into another page)', () => {
    const code = new Map<number, number>();
    // every iteration calls f, then rewrites f's first instruction to `addi a0, a0, 2`
    put(code, 0x1000, [jal(RA, 0x2000), sw(T0, T1, 0), addi(A1, A1, -1), bne(A1, 0, -12), jal(0, 0)]);
    put(code, 0x3000, [addi(A0, A0, 1), addi(0, 0, 0), RET]);
    const { test } = lockstep(target(code, 0x1000, (h) => {
      h.xLo[A1] = 3000; h.xLo[T0] = addi(A0, A0, 2) | 0; h.xLo[T1] = (BASE + 0x3000) | 0;
    }, 30_000), WASM);
    expect(test.hart.xLo[A0]).toBe(1 + 2 * 2999);
    expect(dispatchTable(test.hart).stale).toEqual([]);
  });

  it('takes the regions of a written page out of the dispatcher\'s table', () => {
    const code = new Map<number, number>();
    // a loop calls f (another page), then one store into f's page, then the loop calls g only
    put(code, 0x1000, [jal(RA, 0x2000), addi(A1, A1, -1), bne(A1, 0, -8), sw(T0, T1, 0), jal(RA, 0x3000), addi(A2, A2, -1), bne(A2, 0, -8), jal(0, 0)]);
    put(code, 0x3000, [addi(A0, A0, 1), RET]);
    put(code, 0x4010, [addi(A0, A0, 3), RET]);
    const t = target(code, 0x1000, (h) => { h.xLo[A1] = 200; h.xLo[A2] = 200; h.xLo[T1] = (BASE + 0x3100) | 0; }, 10_000);
    wasmTierDefaults.batchDelay = 0;
    const m = t.build({ engine: 'wasm', hotThreshold: 0 });
    const inF = (o: number): boolean => o >>> 12 === 3;
    m.hart.run(3 * 150);
    expect(dispatchTable(m.hart).offsets.some(inF)).toBe(true);
    t.run(m);
    expect(m.hart.xLo[A0]).toBe(200 + 3 * 200);
    const after = dispatchTable(m.hart);
    expect(after.offsets.some(inF)).toBe(false);
    expect(after.offsets.some((o) => o >>> 12 === 4)).toBe(true);
    expect(after.stale).toEqual([]);
  });

  it('evicts modules whose regions the dispatcher chains to, and keeps running correctly', () => {
    wasmTierDefaults.batchDelay = 0; // one module per region: more modules than MAX_MODULES
    const n = MAX_MODULES + 40;
    const code = new Map<number, number>();
    // n functions at 0x10000 (8 bytes each), called in turn by a loop at 0x20000
    for (let i = 0; i < n; i++) put(code, 0x10000 + 8 * i, [addi(A0, A0, 1), RET]);
    const calls = Array.from({ length: n }, (_, i) => jal(RA, 0x10000 + 8 * i - (0x20000 + 4 * i)));
    put(code, 0x20000, [...calls, addi(A1, A1, -1), bne(A1, 0, -4 * (n + 1)), jal(0, 0)]);
    const evicted = wasmTierStats.evicted;
    const { test } = lockstep(target(code, 0x20000, (h) => { h.xLo[A1] = 4; }, 4 * (3 * n + 2) + 10), WASM);
    expect(test.hart.xLo[A0]).toBe(4 * n);
    expect(wasmTierStats.evicted).toBeGreaterThan(evicted);
    expect(dispatchTable(test.hart).stale).toEqual([]);
  });
});
