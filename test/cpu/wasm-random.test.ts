// Lockstep on random programs (fast-check): the interpreter against every translation tier
// (test/support/lockstep.ts: translated at first execution, state compared after every block).
// Random integer ALU/M instructions (32-bit and RVC), loads and stores (some faulting, some
// misaligned, some across the data page's end, some to the UART: MMIO inside a block), forward
// branches, a counted loop around it all.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtMachine, type StopReason } from '../../src/machine/board/virt-machine.js';
import type { HartOptions } from '../../src/machine/cpu/hart.js';
import { SeededInputSource } from '../../src/machine/input.js';
import { compressedTable } from '../../src/machine/cpu/compressed.js';
import { LOCKSTEP_ENGINES, lockstep, type LockstepTarget } from '../support/lockstep.js';
import { btype, itype, jal, rtype, stype } from '../support/rv-encode.js';

const BASE = 0x80000000;
const HANDLER = 0x1000, CODE = 0x2000, DATA = 0x5000;
const S0 = 8, S1 = 9, LOOP = 7, T6 = 31;
/** Registers random instructions write (not the loop counter, the bases, t6 of the handler). */
const DEST = [1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30];
const SRC = [0, ...DEST, S0, S1];

type Item = { kind: 'w'; w: number } | { kind: 'c'; p: number } | { kind: 'br'; f3: number; a: number; b: number; skip: number };

const ct = compressedTable();
/** RVC parcels that expand to integer ALU forms (no control transfer, no memory, no SYSTEM). */
const RVC_ALU: number[] = [];
for (let p = 0; p < 0x10000; p++) {
  if ((p & 3) === 3) continue;
  const e = ct[p];
  if (e === 0) continue;
  const op = e & 0x7f, rd = (e >> 7) & 31;
  if ((op === 0x13 || op === 0x1b || op === 0x33 || op === 0x3b || op === 0x37) && DEST.includes(rd)) RVC_ALU.push(p);
}

const reg = (xs: number[]): fc.Arbitrary<number> => fc.constantFrom(...xs);
const OPS: Array<[number, number]> = [[0, 0], [0x20, 0], [0, 1], [0, 2], [0, 3], [0, 4], [0, 5], [0x20, 5], [0, 6], [0, 7], ...[0, 1, 2, 3, 4, 5, 6, 7].map((f3) => [1, f3] as [number, number])];
const OPS32: Array<[number, number]> = [[0, 0], [0x20, 0], [0, 1], [0, 5], [0x20, 5], [1, 0], [1, 4], [1, 5], [1, 6], [1, 7]];
const item: fc.Arbitrary<Item> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...OPS), reg(DEST), reg(SRC), reg(SRC)).map(([[f7, f3], rd, a, b]) => ({ kind: 'w' as const, w: rtype(f7, b, a, f3, rd, 0x33) })) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...OPS32), reg(DEST), reg(SRC), reg(SRC)).map(([[f7, f3], rd, a, b]) => ({ kind: 'w' as const, w: rtype(f7, b, a, f3, rd, 0x3b) })) },
  { weight: 5, arbitrary: fc.tuple(fc.constantFrom(0, 2, 3, 4, 6, 7), reg(DEST), reg(SRC), fc.integer({ min: -2048, max: 2047 })).map(([f3, rd, a, imm]) => ({ kind: 'w' as const, w: itype(imm, a, f3, rd, 0x13) })) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(1, 5, 0x405), reg(DEST), reg(SRC), fc.integer({ min: 0, max: 63 })).map(([f, rd, a, sh]) => ({ kind: 'w' as const, w: itype(((f >> 8) << 8 << 2) | sh, a, f & 7, rd, 0x13) })) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(0, 1, 5, 0x405), reg(DEST), reg(SRC), fc.integer({ min: -2048, max: 2047 })).map(([f, rd, a, imm]) => ({ kind: 'w' as const, w: itype((f & 7) === 0 ? imm : ((f >> 8) << 8 << 2) | (imm & 31), a, f & 7, rd, 0x1b) })) },
  { weight: 1, arbitrary: fc.tuple(reg(DEST), fc.integer({ min: 0, max: 0xfffff }), fc.boolean()).map(([rd, u, pc]) => ({ kind: 'w' as const, w: (((u << 12) | (rd << 7) | (pc ? 0x17 : 0x37)) >>> 0) })) },
  { weight: 4, arbitrary: fc.constantFrom(...RVC_ALU).map((p) => ({ kind: 'c' as const, p })) },
  // loads and stores near s0 (in RAM, some misaligned, some across the data page's end), rarely off a random register
  { weight: 5, arbitrary: fc.tuple(fc.integer({ min: 0, max: 6 }), reg(DEST), fc.oneof({ weight: 9, arbitrary: fc.constant(S0) }, { weight: 1, arbitrary: reg(SRC) }), fc.integer({ min: -2048, max: 2047 })).map(([f3, rd, a, imm]) => ({ kind: 'w' as const, w: itype(imm, a, f3, rd, 0x03) })) },
  { weight: 4, arbitrary: fc.tuple(fc.integer({ min: 0, max: 3 }), reg(SRC), fc.oneof({ weight: 9, arbitrary: fc.constant(S0) }, { weight: 1, arbitrary: reg(SRC) }), fc.integer({ min: -2048, max: 2047 })).map(([f3, b, a, imm]) => ({ kind: 'w' as const, w: stype(imm, b, a, f3) })) },
  // MMIO: UART scratch register (offset 7) and line status (offset 5)
  { weight: 1, arbitrary: fc.tuple(reg(SRC), fc.boolean()).map(([b, st]) => ({ kind: 'w' as const, w: st ? stype(7, b, S1, 0) : itype(5, S1, 4, 10, 0x03) })) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(0, 1, 4, 5, 6, 7), reg(SRC), reg(SRC), fc.integer({ min: 1, max: 6 })).map(([f3, a, b, skip]) => ({ kind: 'br' as const, f3, a, b, skip })) },
);

/** Lays the items out at CODE: the body, then `addi x7, x7, -1; bne x7, x0, body; j .`. */
function assemble(items: Item[]): number[] {
  const offs: number[] = [];
  let o = 0;
  for (const it of items) { offs.push(o); o += it.kind === 'c' ? 2 : 4; }
  offs.push(o);
  const parcels: number[] = [];
  const put32 = (w: number): void => { parcels.push(w & 0xffff, w >>> 16); };
  items.forEach((it, i) => {
    if (it.kind === 'c') parcels.push(it.p);
    else if (it.kind === 'w') put32(it.w);
    else put32(btype(offs[Math.min(i + it.skip, items.length)] - offs[i], it.b, it.a, it.f3));
  });
  put32(itype(-1, LOOP, 0, LOOP, 0x13));
  put32(btype(-(o + 4), 0, LOOP, 1));
  put32(jal(0, 0));
  return parcels;
}

/** Programs per tier (LOCKSTEP_RUNS=500 for a long search). */
const RUNS = Number(process.env.LOCKSTEP_RUNS ?? 15);

interface Run { m: VirtMachine; stop: StopReason | null }

function build(hart: Partial<HartOptions>, parcels: number[], regs: bigint[]): Run {
  const m = new VirtMachine({ bios: null, kernel: new Uint8Array(16), input: new SeededInputSource(), console: () => {}, ...hart });
  const u16 = m.ram.u16;
  // trap handler: skip the (32-bit) faulting instruction
  const handler = [itype(0x341, 0, 2, T6, 0x73), itype(4, T6, 0, T6, 0x13), itype(0x341, T6, 1, 0, 0x73), 0x30200073];
  handler.forEach((w, i) => { u16[(HANDLER >> 1) + 2 * i] = w & 0xffff; u16[(HANDLER >> 1) + 2 * i + 1] = w >>> 16; });
  parcels.forEach((p, i) => { u16[(CODE >> 1) + i] = p; });
  for (let i = 0; i < 4096; i++) m.ram.u8[DATA - 2048 + i] = (i * 73 + 11) & 0xff;
  const h = m.hart;
  h.mtvecLo = (BASE + HANDLER) | 0; h.mtvecHi = 0;
  regs.forEach((v, i) => { if (DEST.includes(i)) { h.xLo[i] = Number(BigInt.asIntN(32, v)); h.xHi[i] = Number(BigInt.asIntN(32, v >> 32n)); } });
  h.xLo[S0] = (BASE + DATA) | 0; h.xHi[S0] = 0;
  h.xLo[S1] = 0x10000000; h.xHi[S1] = 0;
  h.xLo[LOOP] = 3;
  h.setPc(BASE + CODE);
  return { m, stop: null };
}

function target(parcels: number[], regs: bigint[]): LockstepTarget<Run> {
  return {
    build: (hart) => build(hart, parcels, regs),
    hart: (r) => r.m.hart,
    advance: (r, n) => { r.stop = r.m.run(n); },
    run: (r) => { r.stop = r.m.run(20_000); },
    final: (r) => ({ stop: r.stop, instret: r.m.instret, data: Buffer.from(r.m.ram.u8.subarray(DATA - 2048, DATA + 2048)).toString('base64') }),
  };
}

describe.each(LOCKSTEP_ENGINES)('lockstep $name vs interpreter: random programs', (engine) => {
  it('matches after every block', () => {
    let compared = 0;
    fc.assert(fc.property(fc.array(item, { minLength: 1, maxLength: 120 }), fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: 32, maxLength: 32 }),
      (items, regs) => {
        compared += lockstep(target(assemble(items), regs), engine).compared;
      }), { numRuns: RUNS, seed: 42 });
    expect(compared).toBeGreaterThan(RUNS);
  });
});
