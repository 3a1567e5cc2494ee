/**
 * The fetch TLB's hit rule (tlb.ts: the tag is the virtual page number | the
 * mode's key, and the address's high word must match) as wasm, for the three
 * places that look a pc up in it: the wasm interpreter's fetch, the
 * dispatcher's lookup of the next region, and a region's guard of an edge into
 * another page.
 */
import { TLB_MASK } from '../tlb.js';
import { type Code, Op as W } from './wasm-writer.js';

/**
 * Sets local `ti` to the byte index of the entry for the virtual page number
 * in local `ipn` and leaves "not mapped" (i32) on the stack; `key` pushes the
 * mode's fetch key, `hi` the address's high word.
 */
export function emitFetchMiss(c: Code, itLo: number, itHi: number, ipn: number, ti: number, key: () => void, hi: () => void): void {
  c.get(ipn).i32(TLB_MASK).op(W.i32_and).i32(2).op(W.i32_shl).set(ti);
  c.get(ti).mem(W.i32_load, itLo, 2).get(ipn); key(); c.op(W.i32_or).op(W.i32_ne);
  c.get(ti).mem(W.i32_load, itHi, 2); hi(); c.op(W.i32_ne).op(W.i32_or);
}
