// sfence.vma with an address drops only the TLB slot that can hold that page; one inside a
// superpage translated since the last full flush drops everything (the superpage's 4 KiB pieces
// can sit in any slot). And interrupt-enable writes end the slice only when an interrupt is pending.
import { describe, expect, it } from 'vitest';
import { Bus } from '../../src/machine/bus.js';
import { GuestMemory } from '../../src/machine/memory.js';
import { Hart } from '../../src/machine/cpu/hart.js';
import { HartStat } from '../../src/machine/cpu/hart-stats.js';
import { CSR, MS_MIE, MS_MPP_SHIFT, MS_MPRV } from '../../src/machine/cpu/csr-numbers.js';
import { addi, csrrs, sfenceVma } from '../support/rv-encode.js';

const BASE = 0x80000000;
const ROOT = 0x100000, L1 = 0x101000, L0 = 0x102000; // RAM offsets of the page tables
const OLD4K = 0x10000, NEW4K = 0x11000, OLD2M = 0x200000, NEW2M = 0x400000;
const LEAF = 0x1 | 0x2 | 0x4 | 0x40 | 0x80; // V R W A D
const X11 = 11;

function machine(): { ram: GuestMemory; hart: Hart; pte: (tableOff: number, index: number, pa: number, flags: number) => void } {
  const ram = new GuestMemory(BASE, 8 << 20);
  const hart = new Hart(new Bus(ram), ram, { hartId: 0, time: () => 0, engine: 'interpreter' });
  const pte = (tableOff: number, index: number, pa: number, flags: number): void => {
    const w = (tableOff + index * 8) >> 2;
    ram.i32[w] = (((pa >>> 12) << 10) | flags) | 0;
    ram.i32[w + 1] = 0;
  };
  pte(ROOT, 1, BASE + L1, 0x1); // VA 0x40000000..: level-1 table
  pte(L1, 0, BASE + L0, 0x1); //   0x40000000: level-0 table
  pte(L0, 0, BASE + OLD4K, LEAF); //     one 4 KiB page
  pte(L1, 1, BASE + OLD2M, LEAF); //   0x40200000: a 2 MiB superpage
  ram.i32[OLD4K >> 2] = 0x1111; ram.i32[NEW4K >> 2] = 0x2222;
  ram.i32[(OLD2M + 0x5000) >> 2] = 0x3333; ram.i32[(NEW2M + 0x5000) >> 2] = 0x4444;
  hart.reset(BASE);
  // PMP: everything accessible to S (with no entry, S-mode accesses fail)
  hart.csrWrite(CSR.pmpaddr0, -1, 0x3fffff);
  hart.csrWrite(CSR.pmpcfg0, 0x1f, 0);
  // M-mode with MPRV and MPP = S: fetches are physical, data accesses translated as S
  hart.csrWrite(CSR.mstatus, MS_MPRV | (1 << MS_MPP_SHIFT), 0);
  hart.csrWrite(CSR.satp, (BASE + ROOT) >>> 12, 8 << 28);
  return { ram, hart, pte };
}

const load = (hart: Hart, va: number): number => { hart.loadSlow(va, 0, 2); return hart.resLo; };

/** Runs `sfence.vma x11, x0` with x11 = va from RAM offset 0. */
function sfence(ram: GuestMemory, hart: Hart, va: number): void {
  ram.i32[0] = sfenceVma(X11, 0) | 0;
  hart.setPc(BASE);
  hart.xLo[X11] = va | 0;
  hart.xHi[X11] = 0;
  expect(hart.run(1)).toBe(1);
}

describe('sfence.vma with an address', () => {
  it('drops the page it names (one slot, not the whole TLB)', () => {
    const { ram, hart, pte } = machine();
    expect(load(hart, 0x40000000)).toBe(0x1111);
    pte(L0, 0, BASE + NEW4K, LEAF);
    expect(load(hart, 0x40000000)).toBe(0x1111); // still cached: the fence below is what drops it
    const full = hart.stats[HartStat.tlbFlushes];
    sfence(ram, hart, 0x40000000);
    expect(hart.stats[HartStat.tlbPageFlushes]).toBe(1);
    expect(hart.stats[HartStat.tlbFlushes]).toBe(full);
    expect(load(hart, 0x40000000)).toBe(0x2222);
  });

  it('inside a cached superpage flushes everything, whichever 4 KiB piece it names', () => {
    const { ram, hart, pte } = machine();
    expect(load(hart, 0x40205000)).toBe(0x3333);
    pte(L1, 1, BASE + NEW2M, LEAF);
    expect(load(hart, 0x40205000)).toBe(0x3333);
    const full = hart.stats[HartStat.tlbFlushes];
    sfence(ram, hart, 0x40201000); // another piece of the same superpage
    expect(hart.stats[HartStat.tlbFlushes]).toBe(full + 1);
    expect(load(hart, 0x40205000)).toBe(0x4444);
  });

  it('outside every cached superpage stays a one-page flush', () => {
    const { ram, hart } = machine();
    expect(load(hart, 0x40205000)).toBe(0x3333);
    sfence(ram, hart, 0x40000000);
    expect(hart.stats[HartStat.tlbPageFlushes]).toBe(1);
  });
});

describe('slice ends on interrupt-enable writes', () => {
  function enableRun(pending: boolean): number {
    const ram = new GuestMemory(BASE, 1 << 20);
    const hart = new Hart(new Bus(ram), ram, { hartId: 0, time: () => 0, engine: 'interpreter' });
    [csrrs(0, CSR.mstatus, 5), addi(0, 0, 0), addi(0, 0, 0), addi(0, 0, 0), addi(0, 0, 0)].forEach((w, i) => { ram.i32[i] = w | 0; });
    hart.reset(BASE);
    hart.xLo[5] = MS_MIE;
    hart.csrWrite(CSR.mie, 1 << 3, 0); // MSIE
    if (pending) hart.setPending(3, true); // MSIP
    return hart.run(5);
  }

  it('ends the slice right after the write when an enabled interrupt is pending', () => {
    expect(enableRun(true)).toBe(1);
  });

  it('keeps running when nothing is pending (nothing to take between slices)', () => {
    expect(enableRun(false)).toBe(5);
  });
});
