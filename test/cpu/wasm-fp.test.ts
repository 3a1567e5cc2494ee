// Lockstep (fast-check) of the FP instructions wasm regions translate (wasm/fp.ts) against the
// interpreter, state compared after every region: FP loads and stores (aligned, misaligned, across
// the data page's end), fadd/fsub/fmul/fdiv.d with static and dynamic rounding, sign injection,
// compares and moves, on NaN payloads, infinities, zeros, subnormals, the smallest normal and
// ordinary values, with fflags, frm and mstatus.FS in the states that decide whether a region may
// run them; plus a single-precision op (never translated) and integer moves in between, inside a
// counted loop so that regions loop.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CSR } from '../../src/machine/cpu/csr-numbers.js';
import { lockstep } from '../support/lockstep.js';
import { bareHartTarget } from '../support/bare-hart.js';
import { addi, bne, itype, jal, rtype, stype } from '../support/rv-encode.js';

const CODE = 0x2000, DATA = 0x5000;
const LOOP = 7, DP = 8;
const X = [10, 11, 12, 13, 14, 15];
/** Bit patterns of interesting doubles (hi, lo). */
const VALUES: Array<[number, number]> = [
  [0x7ff80000, 0], [0x7ff00000, 1], [0xfff8dead, 0xbeef], [0x7ff00000, 0], [0xfff00000, 0], [0, 0], [0x80000000, 0],
  [0, 1], [0x000fffff, 0xffffffff], [0x00100000, 0], [0x00100000, 1], [0x3ff00000, 0], [0x40091eb8, 0x51eb851f],
  [0xbfe00000, 0], [0x7fefffff, 0xffffffff], [0x3fb99999, 0x9999999a], [0xffffffff, 0x7fc00000], [0x41dfffff, 0xffc00000],
];

const FP = 0x53;
const fdouble = fc.integer({ min: 0, max: 31 });
const insn: fc.Arbitrary<number> = fc.oneof(
  // fadd/fsub/fmul/fdiv.d, rm 0 (RNE), 7 (dynamic) or 1 (RTZ: never translated)
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(0x01, 0x05, 0x09, 0x0d), fc.constantFrom(0, 7, 7, 1), fdouble, fdouble, fdouble).map(([f7, rm, rd, a, b]) => rtype(f7, b, a, rm, rd, FP)) },
  // fsgnj/fsgnjn/fsgnjx.d, fle/flt/feq.d
  { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 0, max: 2 }), fdouble, fdouble, fdouble).map(([rm, rd, a, b]) => rtype(0x11, b, a, rm, rd, FP)) },
  { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.constantFrom(...X), fdouble, fdouble).map(([rm, rd, a, b]) => rtype(0x51, b, a, rm, rd, FP)) },
  // fmv.x.d, fmv.d.x, fadd.s (not translated)
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...X), fdouble).map(([rd, a]) => rtype(0x71, 0, a, 0, rd, FP)) },
  { weight: 1, arbitrary: fc.tuple(fdouble, fc.constantFrom(...X)).map(([rd, a]) => rtype(0x79, 0, a, 0, rd, FP)) },
  { weight: 1, arbitrary: fc.tuple(fdouble, fdouble, fdouble).map(([rd, a, b]) => rtype(0x00, b, a, 0, rd, FP)) },
  // fld/flw/fsd/fsw off the data pointer: aligned, misaligned, across the data page's end
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(2, 3), fdouble, fc.oneof(fc.integer({ min: 0, max: 18 }).map((k) => 8 * k), fc.integer({ min: 0, max: 160 }), fc.constant(0xffc))).map(([f3, rd, off]) => itype(off - 0x800, DP, f3, rd, 0x07)) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(2, 3), fdouble, fc.oneof(fc.integer({ min: 0, max: 18 }).map((k) => 8 * k), fc.integer({ min: 0, max: 160 }), fc.constant(0xffc))).map(([f3, rs2, off]) => (stype(off - 0x800, rs2, DP, f3) & ~0x7f | 0x27) >>> 0) },
  // integer work in between
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...X), fc.constantFrom(...X), fc.integer({ min: -2048, max: 2047 })).map(([rd, a, imm]) => addi(rd, a, imm)) },
);

describe('wasm tier: FP instructions in regions', () => {
  it('match the interpreter after every region (NaN payloads, fflags, frm, FS)', () => {
    let compared = 0;
    fc.assert(fc.property(
      fc.array(insn, { minLength: 1, maxLength: 60 }),
      fc.array(fc.integer({ min: 0, max: VALUES.length - 1 }), { minLength: 32, maxLength: 32 }),
      fc.constantFrom(0, 1, 0x1f, 0x10),
      fc.constantFrom(0, 0, 1),
      fc.constantFrom(3, 3, 2),
      (body, fregs, fflags, frm, fs) => {
        const words = [...body, addi(LOOP, LOOP, -1), bne(LOOP, 0, -4 * (body.length + 1)), jal(0, 0)];
        const t = bareHartTarget(
          (ram) => {
            words.forEach((w, k) => { ram.i32[(CODE >> 2) + k] = w | 0; });
            for (let k = 0; k < 1024; k++) { const [hi, lo] = VALUES[k % VALUES.length]; ram.i32[(DATA >> 2) + 2 * k] = lo | 0; ram.i32[(DATA >> 2) + 2 * k + 1] = hi | 0; }
          },
          CODE,
          (h) => {
            h.csrWrite(CSR.mstatus, fs << 13, 0);
            h.fflags = fflags;
            h.frm = frm;
            fregs.forEach((v, k) => { const [hi, lo] = VALUES[v]; h.fHi[k] = hi | 0; h.fLo[k] = lo | 0; });
            h.xLo[LOOP] = 4;
            h.xLo[DP] = (0x80000000 + DATA + 0x800) | 0; h.xHi[DP] = 0;
            X.forEach((x, k) => { h.xLo[x] = VALUES[k * 3][1] | 0; h.xHi[x] = VALUES[k * 3][0] | 0; });
          },
          4 * (body.length + 2) + 5,
          (r) => ({ data: Buffer.from(r.ram.u8.subarray(DATA, DATA + 0x1100)).toString('base64') }),
        );
        compared += lockstep(t, { name: 'wasm', options: { engine: 'wasm' } }).compared;
      },
    ), { numRuns: 200, seed: 7 });
    expect(compared).toBeGreaterThan(200);
  });
});
