// The buddy-allocator reader against synthetic kernel structures in a small
// RAM: it finds well-formed free blocks, and whatever a hostile guest writes
// (page tables, pointers, counts, orders) it only answers ok or "not trusted",
// never reads outside RAM and never runs long.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GuestMemory, PAGE_SIZE } from '../../src/machine/memory.js';
import type { Hart } from '../../src/machine/cpu/hart.js';
import { findLinuxFreePages } from '../../src/introspection/linux-free-pages.js';
import { parseLinuxLayout, type LinuxLayout } from '../../src/introspection/linux-layout.js';

const BASE = 0x80000000;
const RAM = 4 << 20; // 1024 pages
const KVA = 0xffffffff80000000n; // mapped by one gigapage onto BASE
const ORDERS = 11;

const layout: LinuxLayout = parseLinuxLayout({
  format: 1, image: '0'.repeat(64), release: 'synthetic',
  // data at RAM offset 0x1000 (the root page table is page 0); mem_map at 0x10000 (1024 x 64 B = 16 pages)
  symbols: { mem_map: '0xffffffff80001000', riscv_pfn_base: '0xffffffff80001008', contig_page_data: '0xffffffff80002000', system_state: '0xffffffff80001010' },
  page: { size: 64, private: 40, page_type: 48 },
  pglist_data: { node_zones: 0, node_start_pfn: 0xe00, node_spanned_pages: 0xe08 },
  zone: { size: 0x300, lock: 0x40, lock_size: 4, lock_kind: 'ticket', free_area: 0x80 },
  free_area: { size: 0x10, nr_free: 0x8 },
  constants: { MAX_NR_ZONES: 3, MAX_ORDER: ORDERS, PAGE_TYPE_BASE: 0xf0000000, PG_buddy: 0x80, SYSTEM_RUNNING: 3 },
});

const hart = { satpHi: 0x80000000 | 0, satpLo: BASE / PAGE_SIZE, priv: 1 } as unknown as Hart;

function put64(ram: GuestMemory, off: number, v: bigint): void {
  ram.i32[off >>> 2] = Number(v & 0xffffffffn) | 0;
  ram.i32[(off >>> 2) + 1] = Number(v >> 32n) | 0;
}

/** A well-formed kernel: free blocks of order 4 at pages 256.., 272..; one of order 0 at page 300. */
function kernel(): { ram: GuestMemory; free: Array<[number, number]> } {
  const ram = new GuestMemory(BASE, RAM);
  // root table: entry 510 (VA 0xffffffff80000000) -> gigapage at 0x80000000, RWX valid
  put64(ram, 510 * 8, ((BigInt(BASE) >> 12n) << 10n) | 0xfn);
  put64(ram, 0x1000, KVA + 0x10000n); // mem_map
  put64(ram, 0x1008, BigInt(BASE / PAGE_SIZE)); // riscv_pfn_base
  ram.i32[0x1010 >>> 2] = 3; // SYSTEM_RUNNING
  put64(ram, 0x2000 + 0xe00, BigInt(BASE / PAGE_SIZE)); // node_start_pfn
  put64(ram, 0x2000 + 0xe08, BigInt(RAM / PAGE_SIZE)); // node_spanned_pages
  const free: Array<[number, number]> = [[256, 4], [272, 4], [300, 0]];
  const counts = new Array<number>(ORDERS).fill(0);
  for (let p = 0; p < RAM / PAGE_SIZE; p++) ram.i32[(0x10000 + p * 64 + 48) >>> 2] = -1; // page_type: no type (_mapcount -1)
  for (const [p, o] of free) {
    ram.i32[(0x10000 + p * 64 + 48) >>> 2] = (0xf0000000 & ~0x80) | 0;
    put64(ram, 0x10000 + p * 64 + 40, BigInt(o));
    counts[o]++;
  }
  for (let o = 0; o < ORDERS; o++) put64(ram, 0x2000 + 1 * 0x300 + 0x80 + o * 0x10 + 0x8, BigInt(counts[o])); // zone 1 holds them
  return { ram, free };
}

describe('findLinuxFreePages on synthetic kernel structures', () => {
  it('finds the free buddy blocks of a well-formed kernel', () => {
    const { ram } = kernel();
    const r = findLinuxFreePages(hart, ram, layout);
    if (!r.ok) throw new Error(r.reason);
    expect(r.pages).toBe(16 + 16 + 1);
    expect([...r.runs]).toEqual([256, 32, 300, 1]);
  });

  it('refuses a held lock, a wrong count, a misaligned block, a bad order, translation off, an early boot', () => {
    const cases: Array<[string, (ram: GuestMemory) => void, RegExp]> = [
      ['lock', (ram) => { ram.i32[(0x2000 + 2 * 0x300 + 0x40) >>> 2] = 0x00080007; }, /lock is held/],
      ['count', (ram) => { put64(ram, 0x2000 + 0x80 + 0x8, 1n); }, /free blocks marked/],
      ['misaligned', (ram) => { put64(ram, 0x10000 + 300 * 64 + 40, 3n); }, /misaligned/],
      ['order', (ram) => { put64(ram, 0x10000 + 300 * 64 + 40, 11n); }, /order 11/],
      ['booting', (ram) => { ram.i32[0x1010 >>> 2] = 1; }, /system_state is 1/],
      ['outside RAM', (ram) => { put64(ram, 0x2000 + 0xe08, 1n << 40n); }, /not inside RAM/],
      ['unmapped mem_map', (ram) => { put64(ram, 0x1000, KVA + 0x3ff000n); }, /not mapped/],
    ];
    for (const [name, spoil, reason] of cases) {
      const { ram } = kernel();
      spoil(ram);
      const r = findLinuxFreePages(hart, ram, layout);
      expect(r.ok ? 'ok' : r.reason, name).toMatch(reason);
    }
    const { ram } = kernel();
    expect(findLinuxFreePages({ ...hart, satpHi: 0 } as unknown as Hart, ram, layout).ok).toBe(false);
  });

  it('hostile memory: only ok or untrusted, free pages inside RAM, bounded time', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: RAM / 4 - 2 }), fc.integer()), { minLength: 1, maxLength: 200 }),
      fc.boolean(),
      (writes, keepStructure) => {
        const ram = keepStructure ? kernel().ram : new GuestMemory(BASE, RAM);
        for (const [i, v] of writes) ram.i32[i] = v;
        if (!keepStructure) put64(ram, 510 * 8, ((BigInt(BASE) >> 12n) << 10n) | 0xfn);
        const t0 = performance.now();
        const r = findLinuxFreePages(hart, ram, layout);
        expect(performance.now() - t0).toBeLessThan(5_000); // one pass, not a loop the guest controls (generous: shared machine)
        if (r.ok) {
          let n = 0;
          for (let i = 0; i < r.runs.length; i += 2) { expect(r.runs[i] + r.runs[i + 1]).toBeLessThanOrEqual(RAM / PAGE_SIZE); n += r.runs[i + 1]; }
          expect(n).toBe(r.pages);
        }
      },
    ), { numRuns: 300 });
  });
});
