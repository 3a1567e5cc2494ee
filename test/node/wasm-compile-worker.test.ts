// The Node compile service: a worker thread emits and compiles the wasm tier's modules (the thread runs
// from dist/: `npm run build` first, as `npm test` does). Exactness with it is checked in lockstep; no
// assertion depends on when the modules arrive.
import { afterAll, describe, expect, it } from 'vitest';
import type { Hart } from '../../src/machine/cpu/hart.js';
import { wasmTierDefaults } from '../../src/machine/cpu/wasm/wasm-tier.js';
import { packPlans } from '../../src/machine/cpu/wasm/plan-codec.js';
import { planRegion, type RegionPlan, type WasmLayout } from '../../src/machine/cpu/wasm/region-compiler.js';
import { WorkerCompileService } from '../../src/node/wasm-compile-worker.js';
import { lockstep, type LockstepTarget } from '../support/lockstep.js';
import { bareHartTarget, type BareRun } from '../support/bare-hart.js';
import { addi, bne, jal, ld, sd } from '../support/rv-encode.js';

const BASE = 0x80000000;
const A0 = 10, A1 = 11, T0 = 5, S0 = 8;
const LOOP = [ld(T0, S0, 0), addi(T0, T0, 3), sd(T0, S0, 0), addi(A0, A0, 1), addi(A1, A1, -1), bne(A1, 0, -0x14), jal(0, 0)];
const WASM = { name: 'wasm', options: { engine: 'wasm' } };

function target(budget: number): LockstepTarget<BareRun> {
  return bareHartTarget(
    (ram) => LOOP.forEach((w, i) => { ram.i32[(0x1000 >> 2) + i] = w | 0; }), 0x1000,
    (h) => { h.xLo[A1] = 20_000; h.xLo[S0] = (BASE + 0x8000) | 0; }, budget,
    (r) => ({ a0: r.hart.xLo[A0], instret: r.hart.instret, data: r.ram.i32[0x8000 >> 2] }),
  );
}

interface TierInside { entries: Map<number, unknown>; layout: WasmLayout; memPages: number; slotAt(off: number): Int32Array }
const service = new WorkerCompileService();
afterAll(async () => { await service.close(); });

describe('wasm compile worker', () => {
  it('compiles a packed batch on its thread and posts the module back', () => {
    const { test } = lockstep(target(20_000), WASM);
    const tier = (test.hart as unknown as { translator: TierInside }).translator;
    const plans: RegionPlan[] = [];
    for (const off of tier.entries.keys()) {
      const p = planRegion((d) => tier.slotAt((off & ~0xfff) | d), off & 0xfff);
      if (p !== null) plans.push(p);
    }
    const client = service.open();
    const ticket = client.submit({ layout: tier.layout, plans: packPlans(plans), memPages: tier.memPages });
    const done = client.wait();
    client.close();
    expect(done.ticket).toBe(ticket);
    expect(done.error).toBeUndefined();
    expect(done.bytes).toBeGreaterThan(0);
    expect(done.module).toBeInstanceOf(WebAssembly.Module);
  });

  it('a tier using it stays in lockstep with the interpreter', () => {
    const saved = { ...wasmTierDefaults };
    wasmTierDefaults.compileService = service;
    wasmTierDefaults.pollInterval = 100;
    try {
      const { test } = lockstep(target(120_010), WASM);
      expect(test.hart.xLo[A0]).toBe(20_000);
      const h: Hart = test.hart;
      expect(h.engineStats().inFlight ?? 0).toBeGreaterThanOrEqual(0);
    } finally {
      Object.assign(wasmTierDefaults, saved);
    }
  });
});
