// The wasm tier with a compile service (modules emitted and compiled elsewhere, installed when the tier
// next polls), in lockstep with the interpreter: guest state and counts stay exact while regions keep
// running interpreted until their module arrives, and a batch whose page changed while it was being
// compiled is dropped, not run. Also: packed region plans emit the same bytes as the plans themselves.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Hart } from '../../src/machine/cpu/hart.js';
import { wasmTierDefaults } from '../../src/machine/cpu/wasm/wasm-tier.js';
import { packPlans, unpackPlans } from '../../src/machine/cpu/wasm/plan-codec.js';
import { buildModule, planRegion, type RegionPlan, type WasmLayout } from '../../src/machine/cpu/wasm/region-compiler.js';
import { lockstep, type LockstepTarget } from '../support/lockstep.js';
import { bareHartTarget, type BareRun } from '../support/bare-hart.js';
import { DelayedCompileService } from '../support/delayed-compile-service.js';
import { addi, bne, jal, ld, rtype, sd, sw } from '../support/rv-encode.js';

const BASE = 0x80000000;
const A0 = 10, A1 = 11, A2 = 12, T0 = 5, T1 = 6, S0 = 8;
const J_SELF = jal(0, 0);
const mul = (rd: number, rs1: number, rs2: number): number => rtype(1, rs2, rs1, 0, rd, 0x33);
const div = (rd: number, rs1: number, rs2: number): number => rtype(1, rs2, rs1, 4, rd, 0x33);
const WASM = { name: 'wasm', options: { engine: 'wasm' } };

function target(words: number[], at: number, setup: (h: Hart) => void, budget: number): LockstepTarget<BareRun> {
  return bareHartTarget(
    (ram) => words.forEach((w, i) => { ram.i32[(at >> 2) + i] = w | 0; }), at, setup, budget,
    (r) => ({ a0: r.hart.xLo[A0], instret: r.hart.instret, data: [...r.ram.i32.subarray(0x8000 >> 2, (0x8000 >> 2) + 16)] }),
  );
}

/** A loop with loads, stores, multiply, divide and an inner branch (data at RAM offset 0x8000). */
const MIXED = [
  addi(A2, 0, 7), // 0x00
  ld(T0, S0, 0), // 0x04: loop
  addi(T0, T0, 3),
  mul(T1, T0, A2),
  div(T1, T1, A2),
  sd(T1, S0, 0),
  sw(A1, S0, 8),
  addi(A0, A0, 1),
  bne(T0, T1, 8), // never taken
  addi(A1, A1, -1),
  bne(A1, 0, -0x24),
  J_SELF,
];
const mixedSetup = (h: Hart): void => { h.xLo[A1] = 3000; h.xLo[S0] = (BASE + 0x8000) | 0; };

interface TierInside { entries: Map<number, { slot: number }>; layout: WasmLayout; memPages: number; slotAt(off: number): Int32Array; stats: { translations: number } }
const tierOf = (h: Hart): TierInside => (h as unknown as { translator: TierInside }).translator;

const saved = { ...wasmTierDefaults };
beforeEach(() => { wasmTierDefaults.pollInterval = 50; });
afterEach(() => { Object.assign(wasmTierDefaults, saved); });

describe('wasm tier with a compile service', () => {
  for (const delay of [1, 5]) {
    it(`runs interpreted until a batch's module arrives, then in wasm (module after ${delay} polls)`, () => {
      const svc = new DelayedCompileService(delay);
      wasmTierDefaults.compileService = svc;
      const { test } = lockstep(target(MIXED, 0x1000, mixedSetup, 40_000), WASM);
      expect(test.hart.xLo[A0]).toBe(3000);
      expect(svc.submitted).toBeGreaterThan(0);
      expect(svc.finished).toBeGreaterThan(0);
      expect(test.hart.engineStats().retired).toBeGreaterThan(20_000);
    });
  }

  it('drops a batch whose page was written while it was compiled, and compiles the new code', () => {
    // the code rewrites the loop's `addi a0, a0, 1` into `addi a0, a0, 2` before the loop starts, while
    // the first batch (emitted from the old code: everything from the entry on) is in flight
    const code = [sw(T0, T1, 0x10), addi(A1, A1, -1), addi(0, 0, 0), addi(0, 0, 0), addi(A0, A0, 1), bne(A1, 0, -0x10), J_SELF];
    const svc = new DelayedCompileService(3);
    wasmTierDefaults.compileService = svc;
    const { test } = lockstep(target(code, 0x3000, (h) => {
      h.xLo[A1] = 2000; h.xLo[T0] = addi(A0, A0, 2) | 0; h.xLo[T1] = (BASE + 0x3000) | 0;
    }, 11_000), WASM);
    expect(test.hart.xLo[A0]).toBe(4000);
    const st = test.hart.engineStats();
    expect(st.dropped).toBeGreaterThan(0);
    expect(st.retired).toBeGreaterThan(5000);
  });

  it('packed plans emit the same module bytes', () => {
    const { test } = lockstep(target(MIXED, 0x1000, mixedSetup, 40_000), WASM);
    const tier = tierOf(test.hart);
    const plans: RegionPlan[] = [];
    for (const off of tier.entries.keys()) {
      const base = off & ~0xfff;
      const p = planRegion((d) => tier.slotAt(base | d), off & 0xfff);
      if (p !== null) plans.push(p);
    }
    expect(plans.length).toBeGreaterThan(1);
    const direct = buildModule(tier.layout, plans, tier.memPages).slice();
    const viaCodec = buildModule(tier.layout, unpackPlans(packPlans(plans)), tier.memPages).slice();
    expect(viaCodec.length).toBe(direct.length);
    expect(Buffer.from(viaCodec).equals(Buffer.from(direct))).toBe(true);
  });
});
