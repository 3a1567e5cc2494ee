/**
 * A cheap architectural fingerprint of the hart: integer and FP registers,
 * pc, privilege, the trap/translation CSRs, WFI state and guest time, as
 * 64-bit fields stored in pairs of int32 (lo, hi). The recorder logs the
 * whole snapshot with each hash event so a divergence can name the register.
 */
import type { VirtMachine } from '../machine/board/virt-machine.js';
import { hashWords } from '../encoding/page-hash.js';

const X = Array.from({ length: 31 }, (_, i) => `x${i + 1}`);
const F = Array.from({ length: 32 }, (_, i) => `f${i}`);
/** Field names in snapshot order; never reorder without bumping the log version. */
export const ARCH_FIELDS: readonly string[] = [
  ...X, ...F, 'pc', 'priv', 'fflags', 'frm', 'mstatus', 'mie', 'mip', 'medeleg', 'mideleg',
  'mtvec', 'stvec', 'mepc', 'sepc', 'mcause', 'scause', 'mtval', 'stval', 'mscratch', 'sscratch', 'satp',
  'waiting', 'time',
];
/** int32 words in a snapshot (two per field, padded to the hash's 4-word blocks). */
export const ARCH_WORDS = (ARCH_FIELDS.length * 2 + 3) & ~3;

/**
 * Guest time for fingerprints and event stamps. In realtime mode reading the
 * clock is itself a recorded input, so it is left out (0).
 */
export function guestTicks(m: VirtMachine): number {
  return m.clockMode === 'virtual' ? m.now() : 0;
}

/** Fills `out` (ARCH_WORDS long) with the machine's current fingerprint. */
export function captureArch(m: VirtMachine, out: Int32Array): void {
  const h = m.hart;
  let k = 0;
  for (let i = 1; i < 32; i++) { out[k++] = h.xLo[i]; out[k++] = h.xHi[i]; }
  for (let i = 0; i < 32; i++) { out[k++] = h.fLo[i]; out[k++] = h.fHi[i]; }
  const pair = (lo: number, hi: number): void => { out[k++] = lo; out[k++] = hi; };
  pair(h.pcLo, h.pcHi);
  pair(h.priv, 0); pair(h.fflags, 0); pair(h.frm, 0); pair(h.mstatus, 0); pair(h.mie, 0);
  pair(h.mipSw | h.mipHw, 0); pair(h.medeleg, 0); pair(h.mideleg, 0);
  pair(h.mtvecLo, h.mtvecHi); pair(h.stvecLo, h.stvecHi); pair(h.mepcLo, h.mepcHi); pair(h.sepcLo, h.sepcHi);
  pair(h.mcauseLo, h.mcauseHi); pair(h.scauseLo, h.scauseHi); pair(h.mtvalLo, h.mtvalHi); pair(h.stvalLo, h.stvalHi);
  pair(h.mscratchLo, h.mscratchHi); pair(h.sscratchLo, h.sscratchHi); pair(h.satpLo, h.satpHi);
  pair(h.waiting ? 1 : 0, 0);
  const t = guestTicks(m);
  pair(t % 0x100000000 | 0, Math.floor(t / 0x100000000));
  while (k < ARCH_WORDS) out[k++] = 0;
}

const lanes = new Uint32Array(4);
export function hashArch(words: Int32Array): number {
  hashWords(words, 0, ARCH_WORDS, lanes);
  return lanes[0];
}

function hex64(lo: number, hi: number): string {
  return '0x' + (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}

/** Names the fields that differ between two snapshots, e.g. "x10 (a0): 0x… recorded, 0x… replayed". */
export function diffArch(recorded: Int32Array, replayed: Int32Array, limit = 4): string[] {
  const out: string[] = [];
  for (let f = 0; f < ARCH_FIELDS.length && out.length < limit; f++) {
    const lo = 2 * f;
    if (recorded[lo] !== replayed[lo] || recorded[lo + 1] !== replayed[lo + 1]) {
      out.push(`${ARCH_FIELDS[f]}: recorded ${hex64(recorded[lo], recorded[lo + 1])}, replayed ${hex64(replayed[lo], replayed[lo + 1])}`);
    }
  }
  return out;
}
