/**
 * Debug hooks: the narrow interface a debugger (src/debug) uses to stop the
 * hart. Everything the hart does for a debugger is behind this file's types:
 *
 * - **Breakpoints** are virtual pcs kept here, never written into guest RAM
 *   (checkpoints and replays stay clean). Fetches from a virtual page in
 *   `breakpointPages` are never cached in the fetch TLB, so each reaches the
 *   slow path, where the hart asks `breakpoint()` before executing an
 *   instruction whose pc is in `breakpoints` (also right after a trap or
 *   interrupt entered a handler there).
 * - **Watchpoints**: loads and stores that touch a virtual page in
 *   `watchPages` take the slow path (the hart does not cache translations of
 *   those pages), where `access()` is asked before the access happens, after
 *   the address translated without a fault.
 * - A hook answering true stops the hart *before* the instruction (or the
 *   access, and so before the instruction that makes it): pc and instret name
 *   that instruction, nothing of it has happened, and `VirtMachine.run`
 *   returns `{ kind: 'debug' }`. Resuming executes it normally.
 * - Single-stepping needs no hook: `run(1)` retires exactly one instruction.
 *
 * Cost: nothing while no hooks are attached (`Hart.setDebugHooks(null)`).
 * While attached the hart only interprets (the block translator is off;
 * translation never changes what the guest computes) and code on breakpoint
 * pages and data on watched pages take the slow paths, so a debugger
 * attaches hooks only while it has breakpoints or watchpoints, and calls
 * `Hart.debugHooksChanged()` when the page sets change.
 * Hooks never change guest-visible state: a run with hooks that never stop
 * computes exactly what a run without them computes.
 *
 * Addresses are 64-bit values as (lo, hi) int32 pairs, as the hart keeps
 * them; `addrKey` maps a canonical Sv39 or physical address to a safe JS
 * number for the sets.
 */
export interface DebugHooks {
  /** addrKey of every breakpoint pc. */
  readonly breakpoints: ReadonlySet<number>;
  /** pageKey of every virtual page holding a breakpoint. */
  readonly breakpointPages: ReadonlySet<number>;
  /** pageKey of every virtual page holding watched bytes. */
  readonly watchPages: ReadonlySet<number>;
  /** The instruction at pc is about to execute (pc is in `breakpoints`): true stops before it. */
  breakpoint(pcLo: number, pcHi: number): boolean;
  /** A load (`write` false) or store of `size` bytes at a virtual address on a watched page is about to happen: true stops before it. AMOs report as writes. */
  access(vaLo: number, vaHi: number, size: number, write: boolean): boolean;
}

/** Thrown through the interpreter when a hook stops the hart (one shared instance). */
export class DebugStop {
  readonly name = 'DebugStop';
}
export const DEBUG_STOP = new DebugStop();

/**
 * A canonical Sv39 or physical address as a safe integer: the low 32 bits
 * plus 21 bits of the high word, so sign-extended kernel addresses stay
 * distinct. Every address the hart can execute or access maps one to one.
 */
export function addrKey(lo: number, hi: number): number {
  return (hi & 0x1fffff) * 4294967296 + (lo >>> 0);
}

/** The virtual page of an address, as a safe integer. */
export function pageKey(lo: number, hi: number): number {
  return (hi & 0x1fffff) * 1048576 + (lo >>> 12);
}
