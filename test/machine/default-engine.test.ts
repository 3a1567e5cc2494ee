// The default engine (cpu/engines.ts): wasm where WebAssembly has shared memory, else js; and a
// hart or machine that names no engine gets everything the default engine brings (the wasm
// interpreter, the wasm tier), because every decision takes the resolved engine, not the option.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Bus } from '../../src/machine/bus.js';
import { GuestMemory } from '../../src/machine/memory.js';
import { Hart, type HartOptions } from '../../src/machine/cpu/hart.js';
import { DEFAULT_ENGINE, resolveEngine, sharedWasmAvailable } from '../../src/machine/cpu/engines.js';
import { wasmTierStats } from '../../src/machine/cpu/wasm/wasm-tier.js';
import { addi, bne } from '../support/rv-encode.js';

const BASE = 0x80000000;
const A0 = 10, A1 = 11;

function hart(options: Partial<HartOptions>): Hart {
  const ram = new GuestMemory(BASE, 1 << 20);
  return new Hart(new Bus(ram), ram, { hartId: 0, time: () => 0, ...options });
}

describe('default engine', () => {
  afterEach(() => { vi.unstubAllGlobals(); });

  it('is wasm on Node, and js where WebAssembly or shared memory is missing', () => {
    expect(sharedWasmAvailable()).toBe(true);
    expect(DEFAULT_ENGINE).toBe('wasm');
    vi.stubGlobal('SharedArrayBuffer', undefined); // a browser page without cross-origin isolation
    expect(sharedWasmAvailable()).toBe(false);
    vi.unstubAllGlobals();
    vi.stubGlobal('WebAssembly', undefined);
    expect(sharedWasmAvailable()).toBe(false);
  });

  it('resolves the options: translate false is the interpreter, no engine the default', () => {
    expect(resolveEngine({})).toBe(DEFAULT_ENGINE);
    expect(resolveEngine({ translate: true })).toBe(DEFAULT_ENGINE);
    expect(resolveEngine({ translate: false })).toBe('interpreter');
    expect(resolveEngine({ translate: false, engine: 'wasm' })).toBe('interpreter');
    expect(resolveEngine({ engine: 'js' })).toBe('js');
  });

  it('a hart that names no engine runs the wasm interpreter and the wasm tier', () => {
    expect(hart({}).engineStats().interp).toBeDefined();
    expect(hart({ engine: 'js' }).engineStats().interp).toBeUndefined();
    expect(hart({ translate: false }).engineStats().interp).toBeUndefined();
    const h = hart({ hotThreshold: 0 });
    const ram = (h as unknown as { ram: GuestMemory }).ram;
    [addi(A0, A0, 1), addi(A1, A1, -1), bne(A1, 0, -8), 0x0000006f].forEach((w, i) => { ram.i32[i] = w | 0; });
    h.reset(BASE);
    h.xLo[A1] = 1000;
    const before = wasmTierStats.retired;
    h.run(3001);
    expect(h.xLo[A0]).toBe(1000);
    expect(wasmTierStats.retired - before).toBeGreaterThan(2000);
  });
});
