/**
 * JIT warm-up for the interpreter. V8 optimizes the hart's loop once it is
 * hot, and throws the optimized code away ("insufficient type feedback")
 * each time execution reaches a branch that had never run before; booting
 * Linux otherwise finds a few dozen such branches one by one, each costing a
 * recompilation of the whole loop. Running a short pseudo-random mix of every
 * instruction form once, on a private scratch hart, gives every branch its
 * feedback up front. It touches no state of any real machine.
 */
import { Bus } from '../bus.js';
import { GuestMemory } from '../memory.js';
import { Hart } from './hart.js';

const BASE = 0x80000000;
const SCRATCH = 0x80080000; // x3 points here; loads and stores stay within +-2 KiB
const r = (f7: number, rs2: number, rs1: number, f3: number, rd: number, op: number): number =>
  ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const i = (imm: number, rs1: number, f3: number, rd: number, op: number): number =>
  (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const s = (imm: number, rs2: number, rs1: number, f3: number): number =>
  ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | 0x23) >>> 0;
/** B-type branch with an even offset in -4096..4094. */
const bne = (rs1: number, rs2: number, off: number): number =>
  ((((off >> 12) & 1) << 31) | (((off >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (1 << 12) | (((off >> 1) & 0xf) << 8) | (((off >> 11) & 1) << 7) | 0x63) >>> 0;
const b8 = (rs2: number, rs1: number, f3: number): number => ((rs2 << 20) | (rs1 << 15) | (f3 << 12) | (8 << 7) | 0x63) >>> 0; // +8

let done = false;

/** Runs the warm-up once per process (later calls do nothing). */
export function warmUpInterpreter(): void {
  if (done) return;
  done = true;
  let seed = 0x9e3779b9;
  const rnd = (n: number): number => {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const reg = (): number => [0, 5, 6, 7, 8, 9, 10, 11, 12][rnd(9)];
  const code: number[] = [];
  const emit = (w: number): void => { code.push(w & 0xffff, w >>> 16); };
  for (let k = 0; k < 1500; k++) {
    const rd = reg(), a = reg(), b = reg();
    switch (rnd(13)) {
      case 0: emit(i(rnd(4096) - 2048, a, [0, 2, 3, 4, 6, 7][rnd(6)], rd, 0x13)); break;
      case 1: emit(i(rnd(64) | (rnd(2) ? 0x400 : 0), a, 5, rd, 0x13)); emit(i(rnd(64), a, 1, rd, 0x13)); break;
      case 2: emit(r(0, b, a, rnd(8), rd, 0x33)); emit(r(0x20, b, a, [0, 5][rnd(2)], rd, 0x33)); break;
      case 12: {
        // register shifts by 1..63 (x13 = amount): each of SLL/SRL/SRA's ranges, 64-bit and W forms
        emit(i(1 + rnd(63), 0, 0, 13, 0x13));
        const [f7, f3] = [[0, 1], [0, 5], [0x20, 5]][rnd(3)];
        emit(r(f7, 13, a, f3, rd, rnd(2) ? 0x33 : 0x3b));
        break;
      }
      case 3: emit(r(rnd(2) ? 0x20 : 0, b, a, [0, 5][rnd(2)], rd, 0x3b)); emit(r(0, b, a, 1, rd, 0x3b)); emit(r(1, b, a, [0, 4, 5, 6, 7][rnd(5)], rd, 0x3b)); break;
      case 4: emit(i(rnd(4096) - 2048, a, 0, rd, 0x1b)); emit(i(rnd(32) | (rnd(2) ? 0x400 : 0), a, 5, rd, 0x1b)); emit(i(rnd(32), a, 1, rd, 0x1b)); break;
      case 5: emit((rnd(0x100000) << 12) | (rd << 7) | (rnd(2) ? 0x37 : 0x17)); break;
      case 6: case 7: emit(i(rnd(4000) - 2000, 3, [0, 1, 2, 3, 4, 5, 6][rnd(7)], rd, 0x03)); break;
      case 8: case 9: emit(s(rnd(4000) - 2000, b, 3, rnd(4))); break;
      case 10: emit(b8(b, a, [0, 1, 4, 5, 6, 7][rnd(6)])); emit(i(1, rd, 0, rd, 0x13)); break;
      default: emit(r(1, b, a, rnd(8), rd, 0x33)); break;
    }
    if (rnd(8) === 0) emit(0x006f | (2 << 21) | (rnd(2) << 7)); // jal x0/ra, +4
    if (rnd(16) === 0) { emit((13 << 7) | 0x17); emit(i(8, 13, 0, rnd(2), 0x67)); } // auipc x13, 0; jalr x0/ra, 8(x13)
    if (rnd(16) === 0) emit(i(0x340, a, 1 + rnd(2), rd, 0x73)); // csrrw/csrrs rd, mscratch, a: the loop's rare path
    if (code.length % 2048 === 2047) emit(i(1, rd, 0, rd, 0x13)); // an instruction across a page end
    if (rnd(8) === 0) code.push(0x0001); // c.nop
  }
  while (code.length % 2048 !== 2047) code.push(0x0001); // c.nop up to the page's last parcel:
  emit(i(1, 5, 0, 5, 0x13)); // an instruction across the page end, always (decodeAt's crossing path)
  emit(0x0000006f); // j .
  const ram = new GuestMemory(BASE, 1 << 20);
  const bus = new Bus(ram);
  // First, a counted loop on a hart that translates at once: the loop's paths into translated
  // blocks (heat reset, block cache, chaining) get feedback before V8 starts optimizing the loop.
  // Run after the mix below, they came too late: the concurrent compile had already snapshotted
  // the feedback, and the first hot block of every translating boot deoptimized the loop (twice:
  // heat reset, then the block cache), each time followed by a recompile of the whole loop.
  const LOOP = 0x70000;
  // addi x5, x0, 200; loop: addi x6, x6, 1; addi x5, x5, -1; csrrs x0, mscratch, x0 (ends the block); bne x5, x0, loop; j .
  const tiny = [i(200, 0, 0, 5, 0x13), i(1, 6, 0, 6, 0x13), i(-1, 5, 0, 5, 0x13), i(0x340, 0, 2, 0, 0x73), bne(5, 0, -12), 0x0000006f];
  tiny.forEach((w, k) => { ram.u16[(LOOP >> 1) + 2 * k] = w & 0xffff; ram.u16[(LOOP >> 1) + 2 * k + 1] = w >>> 16; });
  const translating = new Hart(bus, ram, { hartId: 0, time: () => 0, engine: 'js', hotThreshold: 2 });
  translating.reset(BASE + LOOP);
  translating.run(1000);
  // the JavaScript loop itself: named, since the default engine (wasm) would run the mix in the wasm interpreter
  const hart = new Hart(bus, ram, { hartId: 0, time: () => 0, engine: 'js' });
  for (let k = 0; k < code.length; k++) ram.u16[k] = code[k];
  hart.reset(BASE);
  for (let round = 0; round < 4; round++) {
    // same code every round (decoded once): only the register values change, so branches go both ways
    hart.setPc(BASE);
    hart.flushTlb(); // every round's first accesses miss: the loop's slow-path branches get feedback too
    for (let x = 1; x < 32; x++) { hart.xLo[x] = (rnd(0x10000) << 16) | rnd(0x10000); hart.xHi[x] = round & 1 ? -(rnd(3)) : rnd(0x10000) << 16; }
    hart.xLo[3] = SCRATCH + (round & 1) | 0; // odd rounds: misaligned accesses
    hart.xHi[3] = 0;
    hart.run(code.length);
  }
}
