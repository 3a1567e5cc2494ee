/**
 * Places a hart's integer registers, TLBs and the wasm dispatcher's table in the engine area of guest
 * memory (after RAM, in the same WebAssembly.Memory), so wasm regions read
 * and write them with plain loads and stores instead of copying them per call.
 * The hart calls `engineArrays(ram)` once in its constructor and uses the
 * views if it gets them; the wasm tier finds the layout again from the
 * hart's register array (`engineArraysOf(rt.xLo)`).
 */
import type { GuestMemory } from '../../memory.js';
import { TLB_SIZE } from '../tlb.js';

export interface EngineArrays {
  readonly memory: WebAssembly.Memory;
  readonly buffer: SharedArrayBuffer;
  readonly xLo: Int32Array<ArrayBuffer>;
  readonly xHi: Int32Array<ArrayBuffer>;
  /** The FP registers (regions translate common FP instructions: fp.ts). */
  readonly fLo: Int32Array<ArrayBuffer>;
  readonly fHi: Int32Array<ArrayBuffer>;
  readonly rtLo: Int32Array<ArrayBuffer>;
  readonly rtHi: Int32Array<ArrayBuffer>;
  readonly rtOff: Int32Array<ArrayBuffer>;
  readonly wtLo: Int32Array<ArrayBuffer>;
  readonly wtHi: Int32Array<ArrayBuffer>;
  readonly wtOff: Int32Array<ArrayBuffer>;
  /** The fetch TLB (the wasm dispatcher maps the next pc to a RAM offset with it). */
  readonly itLo: Int32Array<ArrayBuffer>;
  readonly itHi: Int32Array<ArrayBuffer>;
  readonly itOff: Int32Array<ArrayBuffer>;
  /**
   * The dispatcher's direct-mapped table of compiled entry points, DISPATCH_SIZE
   * entries indexed by dispatchIndex(RAM offset): tag = RAM offset
   * (-1 empty), val = table slot << 8 | block label.
   */
  readonly dTag: Int32Array<ArrayBuffer>;
  readonly dVal: Int32Array<ArrayBuffer>;
  /** Byte offset of SCRATCH_WORDS scratch words (layout: `Scratch`). */
  readonly scratch: number;
  /**
   * Hart state the wasm interpreter reads and writes inline (AMO, LR/SC,
   * sstatus): HART_STATE_WORDS words, layout `HartWord`. The hart's fields of
   * the same names are accessors over this array (hartState), so the
   * JavaScript code and the checkpoint record are unchanged.
   */
  readonly hartState: Int32Array<ArrayBuffer>;
  /** Guest physical address of RAM offset 0 (the LR reservation holds physical addresses). */
  readonly ramBase: number;
}

/** Int32 word indices in `EngineArrays.hartState`. */
export const enum HartWord {
  MSTATUS = 0, MIE = 1, MIP_SW = 2, MIP_HW = 3,
  /** The LR/SC reservation: valid (0/1), size (4/8), the value LR saw (lo, hi). */
  RES_VALID = 4, RES_SIZE = 5, RES_LO = 6, RES_HI = 7,
  /** The reservation's physical address, an i64 at words 8 (low) and 9 (high). */
  RES_ADDR_LO = 8, RES_ADDR_HI = 9,
}
export const HART_STATE_WORDS = 10;

/** A hart's private state words when it has no engine area (same layout). */
export function privateHartState(): Int32Array<ArrayBuffer> {
  return new Int32Array(HART_STATE_WORDS);
}

/**
 * Byte offsets inside the scratch words, shared by the dispatcher, the region
 * code and the tier's slow paths (which index the Int32Array by offset >> 2).
 */
export const enum Scratch {
  /** The next pc (i64) a region or slow path leaves. */
  NEXT_PC = 0,
  /** A slow load's result (i64). */
  SLOW_LOAD = 8,
  /** Set by a slow path that asks the region to stop after its instruction (1), or that trapped (2). */
  STOP = 16,
  DISPATCH_HITS = 20,
  DISPATCH_MISSES = 24,
  /** Instructions a region retired when it left. */
  EXIT_COUNT = 28,
  /** The running region's page base (pcLo at +32, pcHi at +36), written before a slow path. */
  PAGE_BASE = 32,
  PAGE_BASE_HI = 36,
  /** The FP mode word (fp.ts). */
  FP_MODE = 40,
  /** Regions the dispatcher runs before returning (0: no limit; lockstep tests set 1). */
  CHAIN_LIMIT = 44,
  /** The fetch TLB key of this dispatch (regions' guards of edges into other pages). */
  FETCH_KEY = 48,
  /** Dispatcher calls (from JavaScript and from the wasm interpreter) and the instructions they retired (i64 at +56). */
  CALLS = 52,
  RETIRED = 56,
}

/** Entries of the dispatcher's table (a power of two). */
export const DISPATCH_SIZE = 4096;
export const DISPATCH_MASK = DISPATCH_SIZE - 1;

/** Entry of RAM offset `off` in the dispatcher's table: the parcel index with page bits folded in, so page-aligned functions do not collide (the dispatcher computes the same in wasm). */
export function dispatchIndex(off: number): number {
  return ((off >>> 1) ^ (off >>> 13)) & DISPATCH_MASK;
}
export const SCRATCH_WORDS = 16;

const byRegisters = new WeakMap<Int32Array, EngineArrays>();

/** Fresh register and data-TLB arrays in `ram`'s engine area (TLB tags empty), or null without wasm memory or room. */
export function engineArrays(ram: GuestMemory): EngineArrays | null {
  const memory = ram.wasmMemory;
  if (memory === null) return null;
  const words = 4 * 32 + 9 * TLB_SIZE + 2 * DISPATCH_SIZE + SCRATCH_WORDS + HART_STATE_WORDS;
  let at: number;
  try {
    at = ram.engineArea(4 * words);
  } catch {
    return null; // area exhausted (many harts): this hart keeps private arrays and the JS tier
  }
  const b = ram.buffer;
  // typed as over an ArrayBuffer so the hart's fields (inferred Int32Array<ArrayBuffer>) accept them unchanged
  const view = (n: number): Int32Array<ArrayBuffer> => {
    const v = new Int32Array(b, at, n) as unknown as Int32Array<ArrayBuffer>;
    at += 4 * n;
    return v;
  };
  const xLo = view(32), xHi = view(32), fLo = view(32), fHi = view(32);
  const rtLo = view(TLB_SIZE).fill(-1), rtHi = view(TLB_SIZE), rtOff = view(TLB_SIZE);
  const wtLo = view(TLB_SIZE).fill(-1), wtHi = view(TLB_SIZE), wtOff = view(TLB_SIZE);
  const itLo = view(TLB_SIZE).fill(-1), itHi = view(TLB_SIZE), itOff = view(TLB_SIZE);
  const dTag = view(DISPATCH_SIZE).fill(-1), dVal = view(DISPATCH_SIZE);
  const scratch = at;
  at += 4 * SCRATCH_WORDS;
  const hartState = view(HART_STATE_WORDS);
  const a: EngineArrays = { memory, buffer: b, xLo, xHi, fLo, fHi, rtLo, rtHi, rtOff, wtLo, wtHi, wtOff, itLo, itHi, itOff, dTag, dVal, scratch, hartState, ramBase: ram.base };
  byRegisters.set(xLo, a);
  return a;
}

/** The engine arrays whose register array is `xLo` (undefined: the hart's registers are not in wasm memory). */
export function engineArraysOf(xLo: Int32Array): EngineArrays | undefined {
  return byRegisters.get(xLo);
}
