/**
 * Reads guest virtual memory for a tool, without side effects: an Sv39 walk
 * that sets no A/D bits, fills no TLB and raises no fault (unmapped bytes end
 * the read). Uses the hart's current satp.
 */
import type { VirtMachine } from '../machine/board/virt-machine.js';

const TWO32 = 4294967296;

function u32(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);
}

/** Physical address of virtual address (lo, hi) under the current satp, or -1. */
export function peekTranslate(m: VirtMachine, vaLo: number, vaHi: number): number {
  const h = m.hart;
  if ((h.satpHi >>> 28) !== 8) return vaHi === 0 ? vaLo >>> 0 : -1;
  const top = vaHi >> 6;
  if (top !== 0 && top !== -1) return -1;
  const ram = m.ram;
  let a = ((h.satpHi & 0xfff) * TWO32 + (h.satpLo >>> 0)) * 4096;
  for (let level = 2; level >= 0; level--) {
    const idx = level === 2 ? (((vaHi & 0x7f) << 2) | (vaLo >>> 30)) : level === 1 ? (vaLo >>> 21) & 0x1ff : (vaLo >>> 12) & 0x1ff;
    const pte = a + idx * 8;
    if (!ram.contains(pte, 8)) return -1;
    const o = pte - ram.base;
    const lo = u32(ram.u8, o), hi = u32(ram.u8, o + 4);
    if ((lo & 1) === 0 || (lo & 6) === 4) return -1;
    const ppn = (hi & 0x3fffff) * 4194304 + (lo >>> 10);
    if ((lo & 0xa) === 0) { a = ppn * 4096; continue; }
    let page = ppn * 4096;
    if (level === 1) page += ((vaLo >>> 12) & 0x1ff) * 4096;
    else if (level === 2) page += ((vaLo >>> 12) & 0x3ffff) * 4096;
    return page + (vaLo & 0xfff);
  }
  return -1;
}

/** Up to `len` bytes at virtual address (lo, hi); shorter when a page is unmapped. */
export function peekVirtual(m: VirtMachine, vaLo: number, vaHi: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let n = 0;
  let lo = vaLo >>> 0, hi = vaHi;
  while (n < len) {
    const pa = peekTranslate(m, lo | 0, hi);
    if (pa < 0 || !m.ram.contains(pa, 1)) break;
    const chunk = Math.min(len - n, 4096 - (lo & 0xfff));
    const avail = Math.min(chunk, m.ram.base + m.ram.size - pa);
    out.set(m.ram.u8.subarray(pa - m.ram.base, pa - m.ram.base + avail), n);
    n += avail;
    if (avail < chunk) break;
    lo += chunk;
    if (lo >= TWO32) { lo -= TWO32; hi = (hi + 1) | 0; }
  }
  return out.subarray(0, n);
}
