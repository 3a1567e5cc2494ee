// Lockstep on random instruction sequences (fast-check): every translation tier against the
// interpreter, everything translated at first execution, state compared after every block.
// The sequences mix ALU (32-bit and RVC), loads and stores (some crossing pages, some
// misaligned), MMIO inside blocks, traps (ecall, ebreak, illegal words, access faults,
// misaligned AMOs, AMOs on MMIO, FP loads of a reserved width) handled by a handler that skips the instruction, forward
// branches and jumps, LR/SC pairs (with a store, another AMO or a trap between them), CSR
// reads, sstatus reads and writes, FP loads and stores, FP with NaN payloads, and self-modifying stores with and
// without FENCE.I; the code starts near a page end, so blocks run to the end of a page and 32-bit
// instructions straddle it. Each program runs twice (X_LOOP).
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { Bus, type AccessSize, type MmioDevice } from '../../src/machine/bus.js';
import { GuestMemory } from '../../src/machine/memory.js';
import { Hart, type HartOptions } from '../../src/machine/cpu/hart.js';
import { expandCompressed } from '../../src/machine/cpu/compressed.js';
import { CSR, MS_FS } from '../../src/machine/cpu/csr-numbers.js';
import { LOCKSTEP_ENGINES, lockstep, type LockstepTarget } from '../support/lockstep.js';

const BASE = 0x80000000;
const PAGE2 = BASE + 0x2000; // the code straddles BASE+0x1000..0x2fff
const DATA = BASE + 0x11000; // x2, x5 and x8 point here: accesses reach 0x10800..0x117ff
const MMIO = 0x10000000;
/** Registers random instructions may write (the others hold bases and payloads). */
const FREE = [0, 1, 3, 4, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27];
const X_DATA = 5, X_MMIO = 6, X_CODE = 7, X_SMC = 28;
/** Holds DATA + 4: aligned for the W forms of AMO and LR/SC, misaligned for the D forms. */
const X_MIS = 29;
/**
 * Counts the program's passes: it runs twice, because the wasm interpreter leaves an
 * instruction's first execution to JavaScript (which decodes it), so only a second pass
 * runs the ops that end a decoded run (AMO, FP loads, CSRs...) in wasm.
 */
const X_LOOP = 30;

const r = (f7: number, rs2: number, rs1: number, f3: number, rd: number, op: number): number => ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const i = (imm: number, rs1: number, f3: number, rd: number, op: number): number => (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const s = (imm: number, rs2: number, rs1: number, f3: number): number => ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | 0x23) >>> 0;
const b = (off: number, rs2: number, rs1: number, f3: number): number =>
  ((((off >> 12) & 1) << 31) | (((off >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (((off >> 1) & 0xf) << 8) | (((off >> 11) & 1) << 7) | 0x63) >>> 0;
const jal = (off: number, rd: number): number =>
  ((((off >> 20) & 1) << 31) | (((off >> 1) & 0x3ff) << 21) | (((off >> 11) & 1) << 20) | (((off >> 12) & 0xff) << 12) | (rd << 7) | 0x6f) >>> 0;

/** One generated instruction: fixed bits, or a control transfer / code patch resolved at layout. */
type Item =
  | { kind: 'word'; w: number }
  | { kind: 'half'; h: number }
  | { kind: 'words'; ws: number[] }
  | { kind: 'branch'; f3: number; rs1: number; rs2: number; skip: number }
  | { kind: 'jal'; rd: number; skip: number }
  | { kind: 'smc'; skip: number; fence: boolean };

const reg = fc.constantFrom(...FREE);
const anyReg = fc.integer({ min: 0, max: 31 });
const ALU_OPS = [0x13, 0x33, 0x1b, 0x3b, 0x37, 0x17];

/** RVC parcels whose expansion is safe here: ALU into a free register, or loads/stores based on x2/x8. */
function safeRvc(h: number): boolean {
  if ((h & 3) === 3) return false;
  const e = expandCompressed(h);
  if (e === 0) return false;
  const op = e & 0x7f, rd = (e >> 7) & 31, rs1 = (e >> 15) & 31;
  if (op === 0x13 || op === 0x33 || op === 0x1b || op === 0x3b || op === 0x37) return FREE.includes(rd);
  if (op === 0x03 || op === 0x07) return (rs1 === 2 || rs1 === 8) && (op === 0x07 || FREE.includes(rd));
  if (op === 0x23 || op === 0x27) return rs1 === 2 || rs1 === 8;
  return false;
}

const item: fc.Arbitrary<Item> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...ALU_OPS), fc.integer({ min: 0, max: 0x1ffffff }), reg).map(([op, bits, rd]) => ({ kind: 'word' as const, w: (((bits << 7) & ~0xf80) | (rd << 7) | op) >>> 0 })) },
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 0xffff }).filter(safeRvc).map((h) => ({ kind: 'half' as const, h })) },
  { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: -2048, max: 2047 }), reg).map(([f3, imm, rd]) => ({ kind: 'word' as const, w: i(imm, X_DATA, f3, rd, 0x03) })) },
  { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: -2048, max: 2047 }), anyReg).map(([f3, imm, rs2]) => ({ kind: 'word' as const, w: s(imm, rs2, X_DATA, f3) })) },
  // MMIO inside blocks: the counter device (sometimes past its end: an access fault)
  { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 16 }), reg).map(([f3, imm, rd]) => ({ kind: 'word' as const, w: i(imm, X_MMIO, f3, rd, 0x03) })) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 12 }), anyReg).map(([f3, imm, rs2]) => ({ kind: 'word' as const, w: s(imm, rs2, X_MMIO, f3) })) },
  // traps: ecall, ebreak, illegal words, loads from unmapped addresses, AMOs (misaligned ones trap)
  { weight: 1, arbitrary: fc.constantFrom(0x00000073, 0x00100073, 0xffffffff, 0x00000000, i(8, 0, 3, 1, 0x03)).map((w) => ({ kind: 'word' as const, w })) },
  // AMOs (every funct5 and width; LR/SC alone) on data, on a D-misaligned address, on MMIO (an access fault)
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(0, 1, 2, 3, 4, 8, 12, 16, 20, 24, 28), fc.constantFrom(2, 3), reg, anyReg, fc.constantFrom(X_DATA, X_DATA, X_MIS, X_MMIO)).map(([f5, f3, rd, rs2, base]) => ({ kind: 'word' as const, w: r(f5 << 2, rs2, base, f3, rd, 0x2f) })) },
  // LR/SC pairs, with nothing, a store (same word or next), another AMO or LR, or a trap between them
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(2, 3), reg, reg, anyReg, fc.constantFrom(X_DATA, X_MIS), fc.integer({ min: 0, max: 5 })).map(([f3, rd, rd2, rs2, base, k]) => {
    const between = [[], [s(0, rs2, base, f3)], [s(8, rs2, base, 3)], [r(0, rs2, base, f3, rd2, 0x2f)], [0x00000073], [r(2 << 2, 0, base, 5 - f3, rd2, 0x2f)]][k];
    return { kind: 'words' as const, ws: [r(2 << 2, 0, base, f3, rd, 0x2f), ...between, r(3 << 2, rs2, base, f3, rd2, 0x2f)] };
  }) },
  // FLW/FLD/FSW/FSD (and a reserved width: illegal), some misaligned
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(2, 3, 3, 1), fc.integer({ min: -2048, max: 2047 }), anyReg, fc.boolean()).map(([f3, imm, f, store]) => ({ kind: 'word' as const, w: store ? ((s(imm, f, X_DATA, f3) & ~0x7f) | 0x27) >>> 0 : i(imm, X_DATA, f3, f, 0x07) })) },
  // sstatus: csrrw/rs/rc and their immediate forms (SIE toggles; SUM, MXR and FS changes)
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(1, 2, 3, 5, 6, 7), reg, anyReg).map(([f3, rd, rs1]) => ({ kind: 'word' as const, w: i(CSR.sstatus, rs1, f3, rd, 0x73) })) },
  // CSR reads and a scratch write
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(CSR.mscratch, CSR.minstret, CSR.mcycle, CSR.misa, CSR.fcsr), reg, anyReg, fc.boolean()).map(([csr, rd, rs1, write]) => ({ kind: 'word' as const, w: write && csr === CSR.mscratch ? i(csr, rs1, 1, rd, 0x73) : i(csr, 0, 2, rd, 0x73) })) },
  // FP on NaN payloads (register numbers double as x registers for compares and moves)
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(0x00, 0x01, 0x04, 0x05, 0x08, 0x09, 0x0c, 0x0d, 0x10, 0x11, 0x14, 0x15, 0x20, 0x21, 0x2c, 0x2d, 0x50, 0x51, 0x60, 0x61, 0x70, 0x71, 0x78, 0x79), fc.integer({ min: 0, max: 7 }), reg, anyReg, anyReg).map(([f7, rm, rd, rs1, rs2]) => ({ kind: 'word' as const, w: r(f7, (f7 >= 0x20 && f7 <= 0x2d) || f7 >= 0x60 ? rs2 & 3 : rs2, rs1, rm, rd, 0x53) })) },
  { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 0, max: 7 }), reg, reg, fc.integer({ min: 1, max: 6 })).map(([f3, a, c, skip]) => ({ kind: 'branch' as const, f3, rs1: a, rs2: c, skip })) },
  { weight: 1, arbitrary: fc.tuple(reg, fc.integer({ min: 1, max: 5 })).map(([rd, skip]) => ({ kind: 'jal' as const, rd, skip })) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 8 }), fc.boolean()).map(([skip, fence]) => ({ kind: 'smc' as const, skip, fence })) },
);

interface Program { start: number; words: Array<{ at: number; bits: number; len: 2 | 4 }> }

/** Lays the items out from `start`; control transfers and patches resolve to later instructions. */
function layout(items: Item[], start: number): Program {
  const sizes = items.map((it) => (it.kind === 'half' ? 2 : it.kind === 'smc' ? (it.fence ? 8 : 4) : it.kind === 'words' ? 4 * it.ws.length : 4));
  const at: number[] = [];
  let a = start;
  for (const n of sizes) { at.push(a); a += n; }
  const end = a; // a nop (a patch may land there), then the second pass's loop back, then `j .`
  const addrOf = (k: number): number => (k < items.length ? at[k] : end);
  const words: Program['words'] = [];
  items.forEach((it, k) => {
    const pc = at[k];
    switch (it.kind) {
      case 'word': words.push({ at: pc, bits: it.w, len: 4 }); break;
      case 'half': words.push({ at: pc, bits: it.h, len: 2 }); break;
      case 'words': it.ws.forEach((w, n) => words.push({ at: pc + 4 * n, bits: w, len: 4 })); break;
      case 'branch': words.push({ at: pc, bits: b(addrOf(k + 1 + it.skip) - pc, it.rs2, it.rs1, it.f3), len: 4 }); break;
      case 'jal': words.push({ at: pc, bits: jal(addrOf(k + 1 + it.skip) - pc, it.rd), len: 4 }); break;
      case 'smc': {
        // patch a later 32-bit slot (or the final loop's own word, then it is a plain ALU op)
        let t = k + 1 + it.skip;
        while (t < items.length && sizes[t] !== 4) t++;
        const target = addrOf(Math.min(t, items.length));
        words.push({ at: pc, bits: s(target - start, X_SMC, X_CODE, 2), len: 4 });
        if (it.fence) words.push({ at: pc + 4, bits: 0x0000100f, len: 4 });
        break;
      }
    }
  });
  words.push({ at: end, bits: i(0, 0, 0, 0, 0x13), len: 4 });
  words.push({ at: end + 4, bits: i(-1, X_LOOP, 0, X_LOOP, 0x13), len: 4 }); // addi x30, x30, -1
  words.push({ at: end + 8, bits: b(start - (end + 8), 0, X_LOOP, 5), len: 4 }); // bge x30, x0, start
  words.push({ at: end + 12, bits: jal(0, 0), len: 4 });
  return { start, words };
}

const HANDLER = [
  i(CSR.mepc, 0, 2, 31, 0x73), // csrr x31, mepc
  i(4, 31, 0, 31, 0x13), // addi x31, x31, 4 (every trapping instruction here is 32-bit)
  i(CSR.mepc, 31, 1, 0, 0x73), // csrw mepc, x31
  0x30200073, // mret
];

/** Reads return a running count, writes fold into it: both machines see the same sequence. */
class CounterDevice implements MmioDevice {
  n = 0;
  read(offset: number, size: AccessSize): number { this.n = (this.n * 31 + offset + size) >>> 0; return size === 4 ? this.n : this.n & ((1 << (8 * size)) - 1); }
  write(offset: number, _size: AccessSize, value: number): void { this.n = (this.n ^ value ^ offset) >>> 0; }
}

interface Bare { hart: Hart; ram: GuestMemory; dev: CounterDevice }

const NANS: Array<[number, number]> = [
  [0x00000001, 0x7ff00000], [0xdeadbeef, 0x7ff8dead], [0x7fc12345, -1], [0x7f812345, -1], [0xffc00001, -1],
  [0x3f800000, -1], [0x00000000, 0x3ff00000], [0x12345678, 0x00000000], [0x00000000, 0x80000000], [0x7f800000, 0x7ff00000],
];

function target(p: Program, regs: number[], budget: number, smcWord: number): LockstepTarget<Bare> {
  const advance = (m: Bare, n: number): void => {
    // a trap retires nothing (run returns 0) but moves on to the handler: keep going
    let left = n;
    for (let idle = 0; left > 0 && idle < 100;) {
      const k = m.hart.run(left);
      left -= k;
      idle = k === 0 ? idle + 1 : 0;
    }
  };
  return {
    build(opts: Partial<HartOptions>): Bare {
      const ram = new GuestMemory(BASE, 1 << 20);
      const bus = new Bus(ram);
      const dev = new CounterDevice();
      bus.map('counter', MMIO, 16, dev);
      const hart = new Hart(bus, ram, { hartId: 0, time: () => 0, ...opts });
      HANDLER.forEach((w, k) => { ram.i32[k] = w | 0; });
      for (const w of p.words) {
        const o = w.at - BASE;
        ram.u8[o] = w.bits; ram.u8[o + 1] = w.bits >>> 8;
        if (w.len === 4) { ram.u8[o + 2] = w.bits >>> 16; ram.u8[o + 3] = w.bits >>> 24; }
      }
      hart.reset(p.start);
      hart.csrWrite(CSR.mtvec, BASE, 0);
      hart.csrWrite(CSR.mstatus, MS_FS, 0);
      regs.forEach((v, k) => { hart.xLo[k] = v; hart.xHi[k] = regs[(k + 7) & 31] ^ k; });
      hart.xLo[0] = hart.xHi[0] = 0;
      for (const x of [2, X_DATA, 8]) { hart.xLo[x] = DATA | 0; hart.xHi[x] = 0; }
      hart.xLo[X_MMIO] = MMIO; hart.xHi[X_MMIO] = 0;
      hart.xLo[X_MIS] = (DATA + 4) | 0; hart.xHi[X_MIS] = 0;
      hart.xLo[X_LOOP] = 1; hart.xHi[X_LOOP] = 0;
      hart.xLo[X_CODE] = p.start | 0; hart.xHi[X_CODE] = 0;
      hart.xLo[X_SMC] = smcWord | 0; hart.xHi[X_SMC] = 0;
      NANS.forEach(([lo, hi], k) => { hart.fLo[k] = lo | 0; hart.fHi[k] = hi | 0; hart.fLo[k + 16] = (lo ^ k) | 0; hart.fHi[k + 16] = hi | 0; });
      return { hart, ram, dev };
    },
    hart: (m) => m.hart,
    advance,
    run: (m) => advance(m, budget),
    final: (m) => ({ dev: m.dev.n, ram: Buffer.from(m.ram.u8.subarray(0x1000, 0x12000)).toString('base64') }),
  };
}

describe.each(LOCKSTEP_ENGINES)('lockstep $name vs interpreter: random instruction sequences', (engine) => {
  it('ends every block in the same architectural state', () => {
    fc.assert(fc.property(
      fc.array(item, { minLength: 1, maxLength: 90 }),
      fc.integer({ min: 0, max: 120 }).map((k) => PAGE2 - 2 * k),
      fc.array(fc.integer({ min: -0x80000000, max: 0x7fffffff }), { minLength: 32, maxLength: 32 }),
      fc.tuple(reg, reg, fc.integer({ min: -2048, max: 2047 })).map(([rd, rs1, imm]) => i(imm, rs1, 0, rd, 0x13)),
      (items, start, regs, smcWord) => {
        const p = layout(items, start);
        lockstep(target(p, regs, 6 * items.length + 60, smcWord), engine);
      },
    ), { numRuns: 300 });
  });
});
