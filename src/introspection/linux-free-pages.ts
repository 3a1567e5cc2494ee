/**
 * Free-page discovery without the guest's help: reads the Linux kernel's own
 * page allocator state out of guest RAM, through the kernel's page tables and
 * a layout file made when the kernel was built (linux-layout.ts).
 *
 * Linux 6.1, FLATMEM, one node: every page frame of the node has a `struct
 * page` in the array `mem_map` (pfn_to_page(pfn) = mem_map + pfn - riscv_pfn_base). A page at the head of a free buddy block is marked
 * PageBuddy (`page_type & (PAGE_TYPE_BASE | PG_buddy) == PAGE_TYPE_BASE`) and
 * holds the block's order in `private`; the 2^order frames from it are free.
 * Those are the pages returned here.
 *
 * When the structures cannot be trusted, nothing is returned (`ok: false`)
 * and the caller excludes no page at this instant. Trust requires:
 *  - translation on (satp Sv39) and every structure mapped to RAM;
 *  - `system_state == SYSTEM_RUNNING` (before that, mem_map may be
 *    uninitialised memory and boot code frees pages without the usual order);
 *  - the node's page frames inside the board's RAM (the layout fits this board);
 *  - no zone lock held: the buddy lists and PageBuddy marks only change under
 *    `zone->lock`, so a held lock means the hart stopped inside the allocator
 *    (or in code that interrupted a lock holder) with the lists half-updated;
 *  - for every order, the PageBuddy heads found equal the sum of the zones'
 *    `free_area[order].nr_free`, and every head is aligned to its order and
 *    inside RAM: a cross-check of two independent records of the same state.
 * A hostile or corrupted guest can make the check fail (no exclusion) but
 * cannot make it read outside RAM (all reads go through bounds-checked
 * translation) or loop for long (one pass over the struct pages of RAM).
 */
import type { GuestMemory } from '../machine/memory.js';
import { PAGE_SIZE } from '../machine/memory.js';
import type { Hart } from '../machine/cpu/hart.js';
import { debugTranslate } from '../machine/cpu/debug-memory.js';
import type { LinuxLayout } from './linux-layout.js';

export type LinuxFreePages =
  | { readonly ok: true; /** One byte per RAM page, 1 = free. */ readonly free: Uint8Array; readonly pages: number; /** Pairs (first page, count). */ readonly runs: Uint32Array }
  | { readonly ok: false; readonly reason: string };

const TWO32 = 4294967296n;
const MASK64 = (1n << 64n) - 1n;

class Untrusted extends Error {}

/** Reads the guest kernel's virtual memory, side-effect free, failing (Untrusted) on anything unmapped. */
class KernelReader {
  constructor(private readonly hart: Hart, private readonly ram: GuestMemory) {}

  /** Physical address of `len` bytes at `va` (which must not cross a page). */
  pa(va: bigint, len: number, what: string): number {
    va &= MASK64;
    if (Number(va & 0xfffn) + len > PAGE_SIZE) throw new Untrusted(`${what} crosses a page`);
    const pa = debugTranslate(this.hart, this.ram, Number(va & 0xffffffffn) | 0, Number(va / TWO32) | 0);
    if (pa < 0 || !this.ram.contains(pa, len)) throw new Untrusted(`${what} at 0x${va.toString(16)} is not mapped to RAM`);
    this.ram.ensure(pa, len); // a lazily restored page is loaded first
    return pa;
  }

  u32(va: bigint, what: string): number {
    const pa = this.pa(va, 4, what);
    if ((pa & 3) !== 0) throw new Untrusted(`${what} is misaligned`);
    return this.ram.i32[(pa - this.ram.base) >>> 2] >>> 0;
  }

  u64(va: bigint, what: string): bigint {
    const pa = this.pa(va, 8, what);
    if ((pa & 7) !== 0) throw new Untrusted(`${what} is misaligned`);
    const i = (pa - this.ram.base) >>> 2;
    return (BigInt(this.ram.i32[i + 1] >>> 0) << 32n) | BigInt(this.ram.i32[i] >>> 0);
  }
}

export function findLinuxFreePages(hart: Hart, ram: GuestMemory, layout: LinuxLayout): LinuxFreePages {
  try {
    return scan(hart, ram, layout);
  } catch (e) {
    if (e instanceof Untrusted) return { ok: false, reason: e.message };
    throw e;
  }
}

function scan(hart: Hart, ram: GuestMemory, L: LinuxLayout): LinuxFreePages {
  if ((hart.satpHi >>> 28) !== 8) throw new Untrusted('translation is off (the kernel is not running yet)');
  const k = new KernelReader(hart, ram);
  const C = L.constants;
  const state = k.u32(L.symbols.system_state, 'system_state');
  if (state !== C.SYSTEM_RUNNING) throw new Untrusted(`system_state is ${state}, not SYSTEM_RUNNING`);
  const memMap = k.u64(L.symbols.mem_map, 'mem_map');
  const pfnBase = k.u64(L.symbols.riscv_pfn_base, 'riscv_pfn_base');
  const node = L.symbols.contig_page_data;
  const startPfn = k.u64(node + BigInt(L.pglist_data.node_start_pfn), 'node_start_pfn');
  const spanned = k.u64(node + BigInt(L.pglist_data.node_spanned_pages), 'node_spanned_pages');
  const ramPfn = BigInt(Math.floor(ram.base / PAGE_SIZE));
  if (startPfn < ramPfn || startPfn + spanned > ramPfn + BigInt(ram.pages)) throw new Untrusted(`the node's page frames 0x${startPfn.toString(16)}+${spanned} are not inside RAM`);

  // the zones: no lock held, and their free counts per order
  const nrFree = new Array<number>(C.MAX_ORDER).fill(0);
  for (let z = 0; z < C.MAX_NR_ZONES; z++) {
    const zone = L.symbols.contig_page_data + BigInt(L.pglist_data.node_zones + z * L.zone.size);
    // a ticket lock: next ticket (high half) != owner (low half) while someone holds it
    const lock = k.u32(zone + BigInt(L.zone.lock), 'zone lock');
    if ((lock >>> 16) !== (lock & 0xffff)) throw new Untrusted(`zone ${z}'s lock is held (the allocator is working on its free lists)`);
    for (let o = 0; o < C.MAX_ORDER; o++) {
      const n = k.u64(zone + BigInt(L.zone.free_area + o * L.free_area.size + L.free_area.nr_free), 'nr_free');
      if (n > BigInt(ram.pages)) throw new Untrusted(`zone ${z} claims ${n} free blocks of order ${o}`);
      nrFree[o] += Number(n);
    }
  }

  // one pass over the node's struct pages (RAM page p is page frame ramPfn + p), in plain numbers:
  // byte offsets from the first one's virtual address. Struct pages may straddle pages of
  // mem_map, so each field is located on its own, through a translation cached per page.
  const first = Number(startPfn - ramPfn), pages = first + Number(spanned), size = L.page.size, i32 = ram.i32;
  const baseVa = memMap + (ramPfn + BigInt(first) - pfnBase) * BigInt(size);
  const baseLow = Number(baseVa & 0xfffn), basePage = baseVa & ~0xfffn;
  const free = new Uint8Array(ram.pages);
  const heads = new Array<number>(C.MAX_ORDER).fill(0);
  const typeMask = (C.PAGE_TYPE_BASE | C.PG_buddy) >>> 0;
  let freeCount = 0;
  let cachedIdx = -1, cachedOff = 0;
  /** Index into ram.i32 of the aligned field of `len` bytes `rel` bytes after the first struct page. */
  const field = (rel: number, len: number): number => {
    const x = baseLow + rel;
    const idx = Math.floor(x / PAGE_SIZE);
    if (idx !== cachedIdx) { cachedIdx = idx; cachedOff = k.pa(basePage + BigInt(idx) * BigInt(PAGE_SIZE), PAGE_SIZE, 'mem_map') - ram.base; }
    const off = cachedOff + (x - idx * PAGE_SIZE);
    if ((off & (len - 1)) !== 0) throw new Untrusted('a struct page field is misaligned');
    return off >>> 2;
  };
  const typeAt = L.page.page_type, privateAt = L.page.private;
  for (let p = first; p < pages;) {
    const rel = (p - first) * size;
    const type = i32[field(rel + typeAt, 4)] >>> 0;
    if (((type & typeMask) >>> 0) !== (C.PAGE_TYPE_BASE >>> 0)) { p++; continue; }
    const o = field(rel + privateAt, 8);
    const orderLo = i32[o] >>> 0, orderHi = i32[o + 1];
    if (orderHi !== 0 || orderLo >= C.MAX_ORDER) throw new Untrusted(`page frame ${p} is free with order ${orderLo}`);
    const n = 1 << orderLo;
    const pfn = Number(ramPfn) + p;
    if (pfn % n !== 0 || p + n > pages) throw new Untrusted(`free block at page frame ${p} of order ${orderLo} is misaligned or beyond RAM`);
    heads[orderLo]++;
    free.fill(1, p, p + n);
    freeCount += n;
    p += n;
  }
  for (let o = 0; o < C.MAX_ORDER; o++) {
    if (heads[o] !== nrFree[o]) throw new Untrusted(`order ${o}: ${heads[o]} free blocks marked, the zones count ${nrFree[o]}`);
  }
  return { ok: true, free, pages: freeCount, runs: toRuns(free) };
}

/** Pairs (first, count) of the runs of 1s. */
export function toRuns(bits: Uint8Array): Uint32Array {
  const out: number[] = [];
  for (let p = 0; p < bits.length;) {
    if (bits[p] === 0) { p++; continue; }
    const first = p;
    while (p < bits.length && bits[p] !== 0) p++;
    out.push(first, p - first);
  }
  return Uint32Array.from(out);
}
