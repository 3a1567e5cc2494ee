/**
 * Instrumentation hooks: what an analysis tool (src/analysis) may observe
 * while the hart runs. PANDA's callback model, narrowed to what the hart and
 * the bus already know at each point.
 *
 * Every hook is optional; the hart asks once per `run()` slice whether any
 * instrumentation is attached, so an uninstrumented machine pays one null
 * check per slice. An instrumented machine runs in the interpreter only (the
 * block translator is off and translated blocks are dropped) and, when a
 * memory hook is present, every load and store takes the slow path, where
 * the hooks are called. Hooks only observe: they never change what the guest
 * computes (a hook that throws stops the run; the machine's state is then
 * not meant to be resumed).
 *
 * Addresses and pcs are 64-bit values passed as (lo, hi) int32 pairs, as the
 * hart keeps them; `addrKey` turns a canonical Sv39 address into a safe JS
 * number for maps and sets. Privilege: 0 = U, 1 = S, 3 = M.
 *
 * The debugger's breakpoints, watchpoints and single-step are a separate
 * concern (a debug-hook file of their own); these hooks never stop the hart.
 */
export interface Instrumentation {
  /**
   * An instruction is about to execute at (pcLo, pcHi), fetched from guest
   * physical address `pa`. `insn` is the 32-bit encoding (compressed
   * instructions expanded to their 32-bit equivalent), `len` 2 or 4. An
   * instruction that raises an exception does not retire: a `trap` with
   * interrupt false follows, naming the same pc.
   */
  insn?(pcLo: number, pcHi: number, pa: number, insn: number, len: number, priv: number): void;
  /**
   * A basic block starts: the first instruction of a slice, and every
   * instruction whose pc is not the fall-through of the one before (a taken
   * branch, a jump, a trap or an xRET landed here). Called before `insn`.
   */
  block?(pcLo: number, pcHi: number, priv: number): void;
  /** A data load completed (also LR, the read half of an AMO, FP loads). `size` 1, 2, 4 or 8; value as (lo, hi). */
  memRead?(vaLo: number, vaHi: number, pa: number, size: number, valueLo: number, valueHi: number): void;
  /** A data store completed (also SC that succeeded, the write half of an AMO, FP stores). */
  memWrite?(vaLo: number, vaHi: number, pa: number, size: number, valueLo: number, valueHi: number): void;
  /**
   * A trap was taken: `cause` without the interrupt bit; epc and tval as
   * pairs; `from` the privilege it was taken from, `to` the one it entered.
   * Called after the hart switched (registers still hold the trapping
   * context's values: an ecall's arguments can be read from the hart).
   */
  trap?(cause: number, interrupt: boolean, epcLo: number, epcHi: number, tvalLo: number, tvalHi: number, from: number, to: number): void;
  /** An sret or mret returned from privilege `from` to `to` at (pcLo, pcHi). */
  xret?(from: number, to: number, pcLo: number, pcHi: number): void;
  /** A CSR write took effect (the value the instruction wrote, before WARL masking). satp writes are address-space switches. */
  csrWrite?(csr: number, lo: number, hi: number): void;
  /** A device register access by the hart: physical address, size 1/2/4, value, write or read. */
  mmio?(pa: number, size: number, value: number, write: boolean): void;
  /** A device read or wrote guest RAM directly (virtio DMA): physical address and length. */
  dma?(pa: number, length: number, write: boolean): void;
}

/** The hook names, for tools that assemble an Instrumentation from parts. */
export const INSTRUMENTATION_EVENTS = ['insn', 'block', 'memRead', 'memWrite', 'trap', 'xret', 'csrWrite', 'mmio', 'dma'] as const;
export type InstrumentationEvent = (typeof INSTRUMENTATION_EVENTS)[number];

/** A canonical Sv39/physical address as a safe integer (one definition, shared with the debug hooks). */
export { addrKey } from './debug-hooks.js';

/** `0xffffffc000201000`-style text of a (lo, hi) pair. */
export function addrHex(lo: number, hi: number): string {
  return '0x' + (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}

/** addrKey back to text (the high bits are sign-extended from bit 52). */
export function keyHex(key: number): string {
  const hi = Math.floor(key / 4294967296);
  const lo = key - hi * 4294967296;
  return addrHex(lo, hi & 0x100000 ? hi | 0xffe00000 : hi);
}
