/**
 * A debugger's view of guest memory through the hart's current translation,
 * with no side effects on what the guest sees: the page-table walk sets no
 * A/D bits, fills no TLB, raises no fault, and reading never touches a
 * device (MMIO has read side effects: those addresses are refused).
 *
 * Which translation: with Sv39 on, addresses are translated through satp
 * whatever the privilege (a debugger stopped in OpenSBI or in user space
 * still reads the kernel's addresses, and permission bits are not checked);
 * in M-mode an address that is valid physical RAM is taken as physical.
 * With satp off every address is physical.
 *
 * During a lazy restore the page tables and pages read here are faulted in
 * first (GuestMemory.ensure), as for any access: a debugger attached to a
 * `retrovisor restore` sees the checkpoint's bytes, not absent zeros.
 */
import type { GuestMemory } from '../memory.js';
import type { Hart } from './hart.js';

const TWO32 = 4294967296;

/** Physical address of a virtual one (a JS number), or -1 when it does not map to RAM. */
export function debugTranslate(hart: Hart, ram: GuestMemory, vaLo: number, vaHi: number): number {
  const satpOn = (hart.satpHi >>> 28) === 8;
  const physical = (vaHi >>> 0) * TWO32 + (vaLo >>> 0);
  if (!satpOn || (hart.priv === 3 && vaHi === 0 && ram.contains(physical, 1))) return ram.contains(physical, 1) ? physical : -1;
  const top = vaHi >> 6;
  if (top !== 0 && top !== -1) return -1;
  let a = ((hart.satpHi & 0xfff) * TWO32 + (hart.satpLo >>> 0)) * 4096;
  for (let level = 2; level >= 0; level--) {
    const idx = level === 2 ? (((vaHi & 0x7f) << 2) | (vaLo >>> 30)) : level === 1 ? (vaLo >>> 21) & 0x1ff : (vaLo >>> 12) & 0x1ff;
    const pteAddr = a + idx * 8;
    if (!ram.contains(pteAddr, 8)) return -1;
    ram.ensure(pteAddr, 8);
    const po = (pteAddr - ram.base) >> 2;
    const pteLo = ram.i32[po], pteHi = ram.i32[po + 1];
    if ((pteLo & 1) === 0 || (pteLo & 6) === 4) return -1;
    const ppn = (pteHi & 0x3fffff) * 4194304 + (pteLo >>> 10);
    if ((pteLo & 0xa) === 0) {
      if (level === 0) return -1;
      a = ppn * 4096;
      continue;
    }
    let page = ppn * 4096;
    if (level === 1) page += ((vaLo >>> 12) & 0x1ff) * 4096;
    else if (level === 2) page += ((vaLo >>> 12) & 0x3ffff) * 4096;
    const pa = page + (vaLo & 0xfff);
    return ram.contains(pa, 1) ? pa : -1;
  }
  return -1;
}

function add(lo: number, hi: number, n: number): [number, number] {
  const s = (lo >>> 0) + n;
  return [s | 0, (hi + Math.floor(s / TWO32)) | 0];
}

/**
 * Reads `len` bytes at a virtual address; stops at the first byte that does
 * not map to RAM, so the result may be shorter (empty: nothing readable).
 */
export function debugRead(hart: Hart, ram: GuestMemory, vaLo: number, vaHi: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let n = 0;
  while (n < len) {
    const [lo, hi] = add(vaLo, vaHi, n);
    const pa = debugTranslate(hart, ram, lo, hi);
    if (pa < 0) break;
    const chunk = Math.min(len - n, 4096 - (lo & 0xfff));
    ram.ensure(pa, chunk);
    out.set(ram.u8.subarray(pa - ram.base, pa - ram.base + chunk), n);
    n += chunk;
  }
  return out.subarray(0, n);
}

/**
 * Writes bytes at a virtual address (the user changes the guest on purpose):
 * the pages are marked dirty and translated code on them is dropped, as for
 * any write. Returns false, writing nothing, when some byte does not map to RAM.
 */
export function debugWrite(hart: Hart, ram: GuestMemory, vaLo: number, vaHi: number, data: Uint8Array): boolean {
  const spans: Array<[number, number, number]> = [];
  let n = 0;
  while (n < data.length) {
    const [lo, hi] = add(vaLo, vaHi, n);
    const pa = debugTranslate(hart, ram, lo, hi);
    if (pa < 0) return false;
    const chunk = Math.min(data.length - n, 4096 - (lo & 0xfff));
    spans.push([pa, n, chunk]);
    n += chunk;
  }
  for (const [pa, from, len] of spans) ram.write(pa, data.subarray(from, from + len));
  return true;
}
