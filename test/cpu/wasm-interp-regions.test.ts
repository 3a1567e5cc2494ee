// The wasm interpreter calls compiled regions itself (interpreter -> region -> interpreter without
// leaving wasm): a loop whose region takes an MMIO load and an access fault, returns into a cold path
// the region does not hold (interpreted until it is hot itself) and into a trap handler of CSR ops, run
// in slices of 1..13 instructions (budgets end inside regions called by the interpreter) against the
// JavaScript interpreter, and in lockstep.
import { afterEach, describe, expect, it } from 'vitest';
import { Bus, type MmioDevice } from '../../src/machine/bus.js';
import { GuestMemory } from '../../src/machine/memory.js';
import { Hart, type HartOptions } from '../../src/machine/cpu/hart.js';
import { CSR, MS_FS } from '../../src/machine/cpu/csr-numbers.js';
import { wasmTierDefaults } from '../../src/machine/cpu/wasm/wasm-tier.js';
import { lockstep, archState, stateDiff, type LockstepTarget } from '../support/lockstep.js';
import { addi, bne, btype, csrrs, csrrw, itype, jal, ld, rtype, sw } from '../support/rv-encode.js';

const BASE = 0x80000000;
const MMIO = 0x10000000;
const RA = 1, T0 = 5, T1 = 6, S0 = 8, S1 = 9, A0 = 10, A1 = 11, A2 = 12, A3 = 13, A4 = 14, A5 = 15, S2 = 18, T3 = 28;
const andi = (rd: number, rs1: number, imm: number): number => itype(imm, rs1, 7, rd, 0x13);
const xori = (rd: number, rs1: number, imm: number): number => itype(imm, rs1, 4, rd, 0x13);
const slli = (rd: number, rs1: number, sh: number): number => itype(sh, rs1, 1, rd, 0x13);
const lw = (rd: number, rs1: number, imm: number): number => itype(imm, rs1, 2, rd, 0x03);
const add = (rd: number, rs1: number, rs2: number): number => rtype(0, rs2, rs1, 0, rd, 0x33);
const xor = (rd: number, rs1: number, rs2: number): number => rtype(0, rs2, rs1, 4, rd, 0x33);
const beq = (rs1: number, rs2: number, off: number): number => btype(off, rs2, rs1, 0);
const jalr = (rd: number, rs1: number, imm: number): number => itype(imm, rs1, 0, rd, 0x67);
const MRET = 0x30200073;

/** Reads count up; every access ends the slice (no keepsSlice), as a timer would. */
class Counter implements MmioDevice {
  n = 0;
  read(): number { return ++this.n; }
  write(_o: number, _s: number, v: number): void { this.n = v; }
}

const CODE = new Map<number, number>();
const put = (at: number, words: number[]): void => words.forEach((w, i) => CODE.set(at + 4 * i, w));
// the trap handler at RAM 0 (mtvec): skips the faulting instruction; CSR ops and MRET run in JavaScript
put(0x0000, [csrrs(T3, CSR.mepc, 0), addi(T3, T3, 4), csrrw(0, CSR.mepc, T3), addi(A3, A3, 1), MRET]);
put(0x1000, [
  addi(A0, A0, 1), // 0x1000 L0
  andi(T0, A1, 63), // 0x1004
  beq(T0, 0, 0x3c), // 0x1008: -> COLD 0x1044 every 64th iteration, first after the loop is compiled
  andi(T0, A1, 7), // 0x100c L1
  bne(T0, 0, 0x18), // 0x1010: -> SKIP
  lw(T1, S0, 0), // 0x1014: MMIO inside the region (the slice ends after it)
  add(A2, A2, T1), // 0x1018
  andi(T0, A1, 31), // 0x101c
  bne(T0, 0, 0x8), // 0x1020: -> SKIP
  ld(T1, S1, 0), // 0x1024: access fault inside the region (the handler skips it)
  sw(A0, S2, 0), // 0x1028 SKIP
  addi(A1, A1, -1), // 0x102c
  jal(RA, 0x3000 - 0x1030), // 0x1030: SUB, another page
  bne(A1, 0, -0x34), // 0x1034: -> L0
  jal(0, 0), // 0x1038
  0x13, 0x13, // 0x103c, 0x1040
  xori(A4, A4, 0x55), // 0x1044 COLD
  slli(A5, A4, 3), // 0x1048
  add(A0, A0, A5), // 0x104c
  jal(0, 0x100c - 0x1050), // 0x1050: -> L1
]);
put(0x3000, [xor(A4, A4, A0), addi(A5, A5, 1), jalr(0, RA, 0)]); // SUB

interface M { hart: Hart; ram: GuestMemory; dev: Counter }

function build(opts: Partial<HartOptions>): M {
  const ram = new GuestMemory(BASE, 1 << 20);
  const bus = new Bus(ram);
  const dev = new Counter();
  bus.map('counter', MMIO, 16, dev);
  const hart = new Hart(bus, ram, { hartId: 0, time: () => 0, ...opts });
  for (const [at, w] of CODE) ram.i32[at >> 2] = w | 0;
  hart.reset(BASE + 0x1000);
  hart.csrWrite(CSR.mtvec, BASE, 0);
  hart.csrWrite(CSR.mstatus, MS_FS, 0);
  hart.xLo[A1] = 3000;
  hart.xLo[S0] = MMIO;
  hart.xLo[S1] = 0x20000000; // nothing there: access fault
  hart.xLo[S2] = (BASE + 0x8000) | 0;
  return { hart, ram, dev };
}

/** Runs exactly `n` more instructions (a trap retires nothing, MMIO ends a slice early: keep going). */
function advance(m: M, n: number): void {
  const end = m.hart.instret + n;
  for (let idle = 0; m.hart.instret < end && idle < 100;) idle = m.hart.run(end - m.hart.instret) === 0 ? idle + 1 : 0;
}

const TOTAL = 3000 * 14;

const delay = wasmTierDefaults.batchDelay;
afterEach(() => { wasmTierDefaults.batchDelay = delay; });

describe('wasm interpreter -> region -> wasm interpreter', () => {
  it('stops exactly at every budget, with MMIO, a trap and cold paths around the regions it calls', () => {
    wasmTierDefaults.batchDelay = 0; // a hot leader's region is compiled at once
    const w = build({ engine: 'wasm', hotThreshold: 20 });
    const i = build({ engine: 'interpreter' });
    for (let k = 0; w.hart.instret < TOTAL; k++) {
      const n = k % 5 === 4 ? 97 : k % 13 + 1;
      advance(w, n);
      advance(i, n);
      const d = stateDiff(archState(i.hart), archState(w.hart));
      if (d !== null) throw new Error(`after ${w.hart.instret} instructions: ${d}`);
      expect(w.dev.n).toBe(i.dev.n);
    }
    expect(w.hart.xLo[A1]).toBe(0);
    expect(w.hart.xLo[A3]).toBe(3000 / 32 | 0); // every access fault taken once
    expect(Buffer.compare(w.ram.u8, i.ram.u8)).toBe(0);
    const st = w.hart.engineStats();
    const interp = st.interp!;
    // the interpreter called regions, which stopped it (MMIO, traps) and returned into it
    expect(interp.regionCalls).toBeGreaterThan(1000);
    expect(interp.exits.region).toBeGreaterThan(200); // MMIO stops
    expect(interp.exits.trap).toBeGreaterThan(50); // access faults
    expect(st.retired).toBeGreaterThan(TOTAL / 2);
    // leaders with a compiled entry no longer leave to JavaScript; what does are the handler's leaders whose
    // first instruction is a CSR op (no region: JavaScript runs it), two per trap
    expect(interp.exits.block).toBeLessThanOrEqual(2 * (3000 / 32 | 0) + 5);
  });

  it('matches the interpreter in lockstep (the state compared after every region the interpreter calls)', () => {
    const target: LockstepTarget<M> = {
      build,
      hart: (m) => m.hart,
      advance,
      run: (m) => advance(m, TOTAL),
      final: (m) => ({ dev: m.dev.n, ram: Buffer.from(m.ram.u8.subarray(0x8000, 0x8008)).toString('hex') }),
    };
    const { test, compared } = lockstep(target, { name: 'wasm', options: { engine: 'wasm' } });
    expect(test.hart.engineStats().interp!.regionCalls).toBeGreaterThan(1000);
    expect(compared).toBeGreaterThan(1000);
  });
});
