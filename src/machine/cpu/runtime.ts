/**
 * The typed contract between generated code (JavaScript blocks, WebAssembly
 * regions) and the hart. Generated code touches the hart only through these
 * members; the hart implements the interface (`class Hart implements
 * HartRuntime`), so renaming one is a compile error, not a silent break.
 *
 * Calling conventions:
 * - A translated block is a BlockFn (pcLo, pcHi, count, end, dKey): pc of its
 *   first instruction, instructions retired so far (`count`), the slice's
 *   budget end, the data TLB key. It returns the number of instructions it
 *   retired, 0 when `end - count` cannot hold the whole block (the budget is
 *   checked once, at entry: then the interpreter runs instead) and leaves
 *   the next pc in nextLo/nextHi.
 * - Before any call that can trap or observe the pc (slow paths, rare ops),
 *   generated code writes pcLo/pcHi (the instruction's pc) and instret
 *   (count + instructions retired before it). A trap unwinds by throwing
 *   TRAP_TAKEN with the trap already taken (precise: state is that before the
 *   faulting instruction, pc at the handler).
 * - After a slow-path load or store, the block must check `sliceStop` (MMIO
 *   or an interrupt-state change: return after this instruction) and
 *   `codeExit` (this store wrote a page holding decoded code: return after
 *   this instruction, so the next instruction is fetched and decoded anew).
 */
import type { CodeCache } from './code-cache.js';
import type { TlbArrays } from './tlb.js';

export interface HartRuntime {
  /** Integer registers as (lo, hi) int32 halves; x0 stays 0 (generated code never writes index 0). */
  readonly xLo: Int32Array;
  readonly xHi: Int32Array;
  /** FP registers as raw bit halves (NaN-boxed singles have hi = -1). */
  readonly fLo: Int32Array;
  readonly fHi: Int32Array;
  /** Written back before slow paths and rare ops. */
  pcLo: number;
  pcHi: number;
  instret: number;
  /** Next pc, written by a block before it returns (and by execSlot). */
  nextLo: number;
  nextHi: number;
  /** Ends the run slice after the current instruction (MMIO, interrupt state changed, WFI). */
  sliceStop: boolean;
  /** Set when a write reached a page with decoded code; the running block returns after the current instruction. The hart clears it. */
  codeExit: boolean;
  /**
   * instret where the counts of the running generated code start (a block's `count`, or the start of
   * the wasm interpreter's run when it calls wasm regions itself): the wasm tier's slow paths add theirs.
   */
  countBase: number;
  /** Results of loadSlow and csrRead. */
  resLo: number;
  resHi: number;

  /** Load of funct3 kind (0 lb .. 6 lwu) at va into resLo/resHi: MMIO, page crossing, misalignment, faults. */
  loadSlow(vaLo: number, vaHi: number, f3: number): void;
  /** Store of `size` bytes (1, 2, 4, 8) at va: MMIO, page crossing, dirty log, write protection, code writes, faults. */
  storeSlow(vaLo: number, vaHi: number, size: number, vLo: number, vHi: number): void;
  /** RV64M on 64-bit operands, result into x[rd] (f3 = funct3; never traps). */
  mulDiv(rd: number, aLo: number, aHi: number, bLo: number, bHi: number, f3: number): void;
  /** DIVW/DIVUW/REMW/REMUW (f3 4..7) into x[rd]. */
  mulDivW(rd: number, a: number, b: number, f3: number): void;
  /**
   * Executes one instruction of the rare kinds (LOAD_FP, STORE_FP, FP, AMO,
   * SYSTEM, CSR, FENCE_I, ILLEGAL) from decoded slot words w[i..i+3], with
   * pcLo/pcHi/instret current and nextLo/nextHi preset to the fall-through
   * pc; leaves the next pc in nextLo/nextHi. May throw TRAP_TAKEN.
   */
  execSlot(w: Int32Array, i: number): void;
  /** Takes a synchronous exception (pc/instret current) and throws TRAP_TAKEN. */
  raise(cause: number, tvalLo: number, tvalHi: number): never;
  /** CSR read into resLo/resHi (false: no such CSR or no access). */
  csrRead(csr: number): boolean;
  /** CSR write (false: no such CSR or read-only). */
  csrWrite(csr: number, lo: number, hi: number): boolean;
  /** Data TLB key for the current privilege, SUM, MXR and instrumentation (see tlb.ts). */
  dataKey(): number;
  /** Fetch TLB key for the current privilege (see tlb.ts). */
  fetchKey(): number;
  /** FP mode bits for generated code (wasm/fp.ts: FS Dirty, NX set, frm 0); constant while generated code runs. */
  fpMode(): number;
  /**
   * Before generated code that may run wasm regions (a wasm BlockFn's dispatch, a run of the wasm
   * interpreter): `countBase` = count, no stale `codeExit`, and the FP mode (fpMode) in the word the
   * regions read (wasm/engine-area.ts Scratch.FP_MODE).
   */
  enterGenerated(count: number): void;

  readonly tlb: TlbArrays;
  /** Views of guest RAM (offset 0 = RAM base). */
  readonly mem: GuestViews;
  /** Decoded instructions per physical page. */
  readonly code: CodeCache;
}

export interface GuestViews {
  readonly m8: Int8Array;
  readonly u8: Uint8Array;
  readonly m16: Int16Array;
  readonly u16: Uint16Array;
  readonly m32: Int32Array;
}

/** A translated block (see the calling conventions above). */
export type BlockFn = (pcLo: number, pcHi: number, count: number, end: number, dKey: number) => number;
