// The wasm interpreter (src/machine/cpu/wasm/interpreter.ts) against the JavaScript interpreter:
// the bare-metal programs run in slices of 1..7 instructions, so a slice (the budget) ends at
// every instruction position, with the architectural state compared after each slice; and
// its statistics show that it ran them and left to JavaScript for the reasons it should.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VirtMachine } from '../../src/machine/board/virt-machine.js';
import { SeededInputSource } from '../../src/machine/input.js';
import { GuestMemory } from '../../src/machine/memory.js';
import { Bus } from '../../src/machine/bus.js';
import { Hart } from '../../src/machine/cpu/hart.js';
import { archState, stateDiff } from '../support/lockstep.js';
import { CodeCache } from '../../src/machine/cpu/code-cache.js';
import { Op } from '../../src/machine/cpu/decoded.js';
import { CSR, MS_FS } from '../../src/machine/cpu/csr-numbers.js';

const root = fileURLToPath(new URL('../programs/', import.meta.url));
const manifest = JSON.parse(readFileSync(root + 'manifest.json', 'utf8')) as { programs: Array<{ name: string; elf: string; retired: number }> };

function machine(elf: Uint8Array, engine: string): { m: VirtMachine; out: () => string } {
  let out = '';
  const m = new VirtMachine({ bios: null, kernel: elf, input: new SeededInputSource(), console: (b) => { out += String.fromCharCode(b); }, engine, hotThreshold: 3 });
  return { m, out: () => out };
}

describe('wasm interpreter: budgets at every instruction', () => {
  for (const engine of ['wasm-interp', 'wasm']) {
    for (const p of manifest.programs) {
      it(`${engine} ${p.name}`, () => {
        const elf = new Uint8Array(readFileSync(root + p.elf));
        const ref = machine(elf, 'interpreter'), test = machine(elf, engine);
        for (let k = 0; test.m.instret < p.retired && k < 40_000; k++) {
          const n = 1 + (k % 7);
          const a = ref.m.run(n), b = test.m.run(n);
          expect(b).toEqual(a);
          const d = stateDiff(archState(ref.m.hart), archState(test.m.hart));
          if (d !== null) throw new Error(`slice ${k} (${n} instructions) ends at instret ${test.m.instret}: ${d}`);
        }
        expect(test.m.instret).toBe(p.retired);
        expect(test.out()).toBe(ref.out());
        expect(test.m.hart.engineStats().interp?.retired).toBeGreaterThan(engine === 'wasm' ? 0 : p.retired / 4);
      });
    }
  }
});

describe('wasm interpreter: where it runs', () => {
  it('is used by the wasm engines only, and not while instrumentation is attached', () => {
    const mk = (engine: string): Hart => { const ram = new GuestMemory(0x80000000, 1 << 20); return new Hart(new Bus(ram), ram, { hartId: 0, time: () => 0, engine }); };
    expect(mk('wasm').engineStats().interp).toBeDefined();
    expect(mk('wasm-interp').engineStats().interp).toBeDefined();
    expect(mk('js').engineStats().interp).toBeUndefined();
    expect(mk('interpreter').engineStats().interp).toBeUndefined();
    // a loop of ADDI / BNE: all in wasm but the first decode; with instrumentation: none
    for (const instrumented of [false, true]) {
      const h = mk('wasm-interp');
      const ram = (h as unknown as { ram: GuestMemory }).ram;
      ram.i32[0] = 0x00150513 | 0; // addi a0, a0, 1
      ram.i32[1] = 0xfeb51ee3 | 0; // bne a0, a1, -4
      ram.i32[2] = 0x0000006f; // j .
      h.reset(0x80000000);
      h.xLo[11] = 1000;
      if (instrumented) h.instrument({ insn: () => {} });
      h.run(5000);
      expect(h.xLo[10]).toBe(1000);
      const st = h.engineStats().interp!;
      if (instrumented) expect(st.retired).toBe(0);
      else expect(st.retired).toBeGreaterThan(4990);
    }
  });
});

describe('code cache in wasm memory', () => {
  it('places decoded pages in the area while it has room, keeps the page table current, and falls back to JavaScript arrays', () => {
    const ram = new GuestMemory(0x80000000, 1 << 20);
    const at = ram.codeArea(4 * ram.pages + 2 * 32768);
    expect(at).toBeGreaterThanOrEqual(ram.size);
    const table = new Int32Array(ram.buffer, at, ram.pages);
    const cache = new CodeCache(ram, { buffer: ram.buffer, first: at + 4 * ram.pages, count: 2, table });
    for (let p = 0; p < 3; p++) ram.i32[p * 1024] = 0x00150513; // addi a0, a0, 1
    const w0 = cache.decode(0), w1 = cache.decode(4096), w2 = cache.decode(8192);
    expect(w0.buffer).toBe(ram.buffer);
    expect(table[0]).toBe(w0.byteOffset);
    expect(table[1]).toBe(w1.byteOffset);
    expect(w2.buffer).not.toBe(ram.buffer); // the area is used up
    expect(table[2]).toBe(0);
    expect(w0[0] & 0xff).toBe(Op.ADDI);
    cache.invalidate(0);
    expect(table[0]).toBe(0);
    const again = cache.decode(8192 + 4096 * 3); // reuses the dropped array of page 0
    expect(again).toBe(w0);
    expect(table[5]).toBe(w0.byteOffset);
    cache.invalidateAll();
    expect(Array.from(table).every((v) => v === 0)).toBe(true);
    expect(ram.codeArea(1 << 30)).toBe(-1);
  });
});

describe('wasm interpreter: AMO, LR/SC, sstatus and FP loads/stores inline', () => {
  // a0 = data (8-aligned), a1 = operand, t0 = iterations; S-mode code is not needed: sstatus is accessible in M
  const LOOP = [
    0x00b5262f, // amoadd.w a2, a1, (a0)
    0x40b536af, // amoor.d a3, a1, (a0)
    0x1005272f, // lr.w a4, (a0)
    0x18b527af, // sc.w a5, a1, (a0)
    0x10017873, // csrrci a6, sstatus, 2
    0x100168f3, // csrrsi a7, sstatus, 2
    0x100533af, // lr.d t2, (a0)
    0x00d52023, // sw a3, 0(a0): changes the word LR saw
    0x18b53e2f, // sc.d t3, a1, (a0): fails
    0x00452087, // flw ft1, 4(a0)
    0x00853107, // fld ft2, 8(a0)
    0x00152827, // fsw ft1, 16(a0)
    0x00253c27, // fsd ft2, 24(a0)
    0xfff28293, // addi t0, t0, -1
    0xfc0294e3, // bnez t0, loop (-56)
    0x0000006f, // j .
  ];
  const mk = (engine: string, pending: boolean): Hart => {
    const ram = new GuestMemory(0x80000000, 1 << 20);
    const h = new Hart(new Bus(ram), ram, { hartId: 0, time: () => 0, engine });
    LOOP.forEach((w, k) => { ram.i32[k] = w | 0; });
    h.reset(0x80000000);
    h.xLo[10] = 0x80001000; h.xLo[11] = 0x12345; h.xLo[5] = 500;
    h.csrWrite(CSR.mstatus, MS_FS, 0); // FS Dirty: FP loads run inline
    if (pending) { h.csrWrite(CSR.mie, 2, 0); h.csrWrite(CSR.mip, 2, 0); } // SSIP pending and enabled: setting SIE ends the slice
    return h;
  };

  for (const pending of [false, true]) {
    it(pending ? 'leaves to JavaScript when setting SIE makes an interrupt deliverable (same slice ends)' : 'runs them without leaving to JavaScript', () => {
      const ref = mk('interpreter', pending), test = mk('wasm-interp', pending);
      for (let k = 0; k < 2000 && test.instret < 500 * 15; k++) {
        const a = ref.run(997), b = test.run(997);
        expect(b).toBe(a);
        const d = stateDiff(archState(ref), archState(test));
        if (d !== null) throw new Error(`run ${k} ends at instret ${test.instret}: ${d}`);
      }
      expect(test.xLo[5]).toBe(0);
      const rare = test.engineStats().interp!.exits.rare;
      // the first AMO and LR fill the TLBs in JavaScript; with SSIP pending every csrrsi leaves
      // (but the first, which JavaScript runs when it decodes it)
      if (pending) expect(rare).toBeGreaterThanOrEqual(499);
      else expect(rare).toBeLessThan(5);
    });
  }
});
