// Wasm regions that continue into other virtual pages (region-compiler.ts, `OtherPage`), each case
// in lockstep with the interpreter: a page remapped under a region that took its code in (the guard
// on the fetch TLB must send it out), a code write into the second page by code elsewhere (the tier
// must forget the region of the first page), and JALR targets that change from call to call.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Hart } from '../../src/machine/cpu/hart.js';
import { CSR } from '../../src/machine/cpu/csr-numbers.js';
import { wasmTierDefaults } from '../../src/machine/cpu/wasm/wasm-tier.js';
import { lockstep, type LockstepTarget } from '../support/lockstep.js';
import { bareHartTarget, BARE_BASE, type BareRun } from '../support/bare-hart.js';
import { addi, bne, jal, rtype, sd, sfenceVma, sw } from '../support/rv-encode.js';

const A0 = 10, A1 = 11, A2 = 12, T0 = 5, T1 = 6, T2 = 7, T3 = 28, T4 = 29, T5 = 30, T6 = 31, RA = 1;
const jalr = (rd: number, rs1: number, imm: number): number => (((imm & 0xfff) << 20) | (rs1 << 15) | (rd << 7) | 0x67) >>> 0;
const xor = (rd: number, rs1: number, rs2: number): number => rtype(0, rs2, rs1, 4, rd, 0x33);
const beq = (rs1: number, rs2: number, off: number): number => (bne(rs1, rs2, off) & ~(7 << 12)) >>> 0;
const MRET = 0x30200073;
const RET = jalr(0, RA, 0);

/** RAM offsets: page tables, and the code pages behind virtual pages 0..2 at VA. */
const ROOT = 0x80000, L1 = 0x81000, L0 = 0x82000;
const VA = 0x40000000;
const PAGE_A = 0x10000, PAGE_B1 = 0x11000, PAGE_B2 = 0x12000, PAGE_C = 0x13000;
/** V R W X A D: a supervisor page (S-mode fetches need X and no U). */
const LEAF = 0x1 | 0x2 | 0x4 | 0x8 | 0x40 | 0x80;
const pteOf = (ramOff: number, flags: number): number => ((((BARE_BASE + ramOff) >>> 12) << 10) | flags) >>> 0;

const WASM = { name: 'wasm', options: { engine: 'wasm' } };
const CHAINED = { ...WASM, chainLimit: 0 };
const { batchDelay, otherPages: pages, otherInsns } = wasmTierDefaults;
// regions continue into other pages whatever the defaults say
beforeEach(() => { wasmTierDefaults.otherPages = 4; wasmTierDefaults.otherInsns = 768; });
afterEach(() => { Object.assign(wasmTierDefaults, { batchDelay, otherPages: pages, otherInsns }); });

/**
 * A hart in S-mode with Sv39 paging: VA page 0 -> PAGE_A, 1 -> PAGE_B1, 2 ->
 * PAGE_C, 3 -> the level-0 table itself (so the guest can remap page 1 with
 * a store to VA + 0x3008). `code` maps RAM offsets to words; it starts at VA +
 * `entry` (an mret at RAM 0 drops to S).
 */
function pagedTarget(code: Map<number, number>, entry: number, setup: (h: Hart) => void, budget: number): LockstepTarget<BareRun> {
  return bareHartTarget(
    (ram) => {
      const pte = (table: number, index: number, value: number): void => { ram.i32[(table + 8 * index) >> 2] = value | 0; ram.i32[((table + 8 * index) >> 2) + 1] = 0; };
      pte(ROOT, 1, pteOf(L1, 0x1));
      pte(L1, 0, pteOf(L0, 0x1));
      pte(L0, 0, pteOf(PAGE_A, LEAF));
      pte(L0, 1, pteOf(PAGE_B1, LEAF));
      pte(L0, 2, pteOf(PAGE_C, LEAF));
      pte(L0, 3, pteOf(L0, LEAF & ~0x8));
      ram.i32[0] = MRET | 0;
      for (const [at, w] of code) ram.i32[at >> 2] = w | 0;
    },
    0,
    (h) => {
      h.csrWrite(CSR.pmpaddr0, -1, 0x3fffff);
      h.csrWrite(CSR.pmpcfg0, 0x1f, 0);
      h.csrWrite(CSR.satp, (BARE_BASE + ROOT) >>> 12, 8 << 28);
      h.csrWrite(CSR.mstatus, 1 << 11, 0); // MPP = S
      h.csrWrite(CSR.mepc, VA + entry, 0);
      setup(h);
    },
    budget,
    (r) => ({ a0: r.hart.xLo[A0], instret: r.hart.instret, pc: r.hart.pcLo }),
  );
}

function put(code: Map<number, number>, at: number, words: number[]): void {
  words.forEach((w, i) => code.set(at + 4 * i, w));
}

/** The other RAM pages the tier's live entry points' regions continue into (a test looks inside). */
function otherPages(h: Hart): Set<number> {
  const tier = (h as unknown as { translator: { entries: Map<number, { slot: number; other: readonly number[] }> } }).translator;
  const out = new Set<number>();
  for (const e of tier.entries.values()) if (e.slot >= 0) for (const p of e.other) out.add(p);
  return out;
}

/**
 * Page A ends with a loop head whose code runs off the page end into page 1
 * (B1 or B2: the same code but for the constant added), which branches back;
 * after each inner loop, `after` (at page 1 offset 0xc) runs. The run starts
 * on page 1, so the fetch TLB maps it when page A's loop head is planned.
 */
function loopAcrossPages(code: Map<number, number>, after: number[]): void {
  put(code, PAGE_A + 0xff0, [addi(A0, A0, 1), addi(A0, A0, 0), addi(A0, A0, 2), addi(A0, A0, 0)]);
  for (const [page, k] of [[PAGE_B1, 10], [PAGE_B2, 100]]) {
    put(code, page, [addi(A0, A0, k), addi(A1, A1, -1), bne(A1, 0, -0x18), ...after]);
  }
}

describe('wasm regions across pages', () => {
  it('leave at the page edge when the fetch TLB maps the second page elsewhere (remapped and back)', () => {
    const code = new Map<number, number>();
    // after each inner loop: remap page 1 (B1 <-> B2), sfence.vma, 30 more iterations, 6 times
    loopAcrossPages(code, [
      sd(T0, T1, 0), xor(T0, T0, T3), sfenceVma(0, 0), addi(A1, 0, 30), addi(A2, A2, -1), bne(A2, 0, -0x30), jal(0, 0),
    ]);
    const setup = (h: Hart): void => {
      h.xLo[A1] = 30; h.xLo[A2] = 6;
      h.xLo[T0] = pteOf(PAGE_B2, LEAF) | 0; h.xLo[T3] = (pteOf(PAGE_B1, LEAF) ^ pteOf(PAGE_B2, LEAF)) | 0;
      h.xLo[T1] = VA + 0x3008;
    };
    for (const engine of [WASM, CHAINED]) {
      const { test } = lockstep(pagedTarget(code, 0x1000, setup, 2000), engine);
      expect(test.hart.xLo[A0]).toBe(30 * 3 * (13 + 103) - 3);
      // regions of page A took page 1's code in (either RAM page), and page 1's regions page A's
      const other = otherPages(test.hart);
      expect(other.has(PAGE_A >>> 12)).toBe(true);
      expect(other.has(PAGE_B1 >>> 12) || other.has(PAGE_B2 >>> 12)).toBe(true);
    }
  });

  it('are forgotten when code elsewhere writes the second page', () => {
    const code = new Map<number, number>();
    // after each inner loop, page 1 jumps to page 2, which rewrites page 1's first instruction
    // (the constant alternates 10 / 55) and jumps back to page A's loop, 5 times
    loopAcrossPages(code, [jal(0, 0x2000 - 0x100c)]);
    put(code, PAGE_C, [sw(T4, T5, 0), xor(T4, T4, T6), addi(A1, 0, 30), addi(A2, A2, -1), beq(A2, 0, 8), jal(0, 0xff0 - 0x2014), jal(0, 0)]);
    const setup = (h: Hart): void => {
      h.xLo[A1] = 30; h.xLo[A2] = 5;
      h.xLo[T4] = addi(A0, A0, 55) | 0; h.xLo[T6] = (addi(A0, A0, 55) ^ addi(A0, A0, 10)) | 0;
      h.xLo[T5] = VA + 0x1000;
    };
    // also in short slices, regions chained (the slice ends fall at other points of the loop)
    const t = pagedTarget(code, 0x1000, setup, 2000);
    wasmTierDefaults.batchDelay = 0;
    for (const slice of [50, 37]) {
      const m = t.build({ engine: 'wasm', hotThreshold: 0 });
      while (m.hart.instret < 2000) m.hart.run(slice);
      expect(m.hart.xLo[A0]).toBe(30 * (13 + 58 + 13 + 58 + 13) - 3);
    }
    for (const engine of [WASM, CHAINED]) {
      const { test } = lockstep(pagedTarget(code, 0x1000, setup, 2000), engine);
      expect(test.hart.xLo[A0]).toBe(30 * (13 + 58 + 13 + 58 + 13) - 3);
      expect(otherPages(test.hart).has(PAGE_A >>> 12)).toBe(true);
    }
  });

  it('are forgotten when the second page, where no block starts, is written', () => {
    const code = new Map<number, number>();
    // page A's loop runs off its page end into page 1, which jumps back: no block leader on page 1,
    // so only the tier knows that a region uses its code; after each loop page A rewrites page 1's
    // first instruction (the constant alternates 10 / 55), 5 times
    put(code, PAGE_A + 0xfe0, [addi(A1, A1, -1), beq(A1, 0, 0x100 - 0xfe4), addi(A0, A0, 1), addi(0, 0, 0), addi(0, 0, 0), addi(0, 0, 0), addi(0, 0, 0), addi(0, 0, 0)]);
    put(code, PAGE_B1, [addi(A0, A0, 10), jal(0, 0xfe0 - 0x1004)]);
    put(code, PAGE_A + 0x100, [sw(T4, T5, 0), xor(T4, T4, T6), addi(A1, 0, 30), addi(A2, A2, -1), bne(A2, 0, 0xfe0 - 0x110), jal(0, 0)]);
    const setup = (h: Hart): void => {
      h.xLo[A1] = 30; h.xLo[A2] = 5;
      h.xLo[T4] = addi(A0, A0, 55) | 0; h.xLo[T6] = (addi(A0, A0, 55) ^ addi(A0, A0, 10)) | 0;
      h.xLo[T5] = VA + 0x1000;
    };
    const t = pagedTarget(code, 0xfe0, setup, 2000);
    wasmTierDefaults.batchDelay = 0;
    // threshold 2: page A's loop head is planned on its second run, when page 1 is mapped and decoded
    for (const slice of [2000, 50, 37]) {
      const m = t.build({ engine: 'wasm', hotThreshold: 2 });
      while (m.hart.instret < 2000) m.hart.run(slice);
      expect(m.hart.xLo[A0]).toBe(29 * (11 + 56 + 11 + 56 + 11));
      expect(m.hart.engineStats().retired ?? 0).toBeGreaterThan(500);
    }
  });

  it('return from a callee on another page into the calling region, and leave when the return address was changed', () => {
    const code = new Map<number, number>();
    // page A calls f (page 1) twice per iteration; every 8th iteration (a2 & 7 == 0) it calls g,
    // which returns 4 bytes past its return address (skipping the `addi a0, a0, 100`)
    put(code, PAGE_A + 0x100, [
      jal(RA, 0x1040 - 0x100), addi(A0, A0, 100), jal(RA, 0x1040 - 0x108), addi(A2, A2, 1), rtype(0, 7, A2, 7, T0, 0x33) /* and t0, a2, t2 */,
      bne(T0, 0, 12), jal(RA, 0x1080 - 0x118), addi(A0, A0, 100),
      addi(A1, A1, -1), bne(A1, 0, -0x24), jal(0, 0),
    ]);
    put(code, PAGE_B1 + 0x40, [addi(A0, A0, 1), RET]);
    put(code, PAGE_B1 + 0x80, [addi(A0, A0, 1000), addi(RA, RA, 4), RET]);
    const setup = (h: Hart): void => { h.xLo[A1] = 400; h.xLo[T2] = 7; };
    for (const engine of [WASM, CHAINED]) {
      const { test } = lockstep(pagedTarget(code, 0x100, setup, 5000), engine);
      expect(test.hart.xLo[A0]).toBe(400 * 102 + 50 * 1000);
    }
    // chained, the loop stays in its region: the dispatcher hops far fewer times than there are calls
    wasmTierDefaults.batchDelay = 0;
    const m = pagedTarget(code, 0x100, setup, 5000).build({ engine: 'wasm', hotThreshold: 2 });
    while (m.hart.instret < 5000) m.hart.run(5000);
    expect(m.hart.xLo[A0]).toBe(400 * 102 + 50 * 1000);
    expect(m.hart.engineStats().dispatchHits ?? 0).toBeLessThan(200);
    expect(m.hart.engineStats().retired ?? 0).toBeGreaterThan(4000);
  });

  it('follow JALR targets that change from call to call', () => {
    const code = new Map<number, number>();
    // the loop calls through t0, which alternates between f (another page) and g (this page)
    put(code, PAGE_A + 0x100, [jalr(RA, T0, 0), xor(T0, T0, T2), addi(A1, A1, -1), bne(A1, 0, -12), jal(0, 0)]);
    put(code, PAGE_A + 0x800, [addi(A0, A0, 7), RET]);
    put(code, PAGE_B1 + 0x40, [addi(A0, A0, 1), addi(A0, A0, 1), RET]);
    const setup = (h: Hart): void => {
      h.xLo[A1] = 300; h.xLo[T0] = VA + 0x1040; h.xLo[T2] = (VA + 0x1040) ^ (VA + 0x800);
    };
    for (const engine of [WASM, CHAINED]) {
      const { test } = lockstep(pagedTarget(code, 0x100, setup, 3000), engine);
      expect(test.hart.xLo[A0]).toBe(150 * 2 + 150 * 7);
    }
  });
});
