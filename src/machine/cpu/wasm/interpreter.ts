/**
 * The wasm interpreter: one WebAssembly function that executes decoded slots
 * (decoded.ts) of code the wasm tier has not compiled, with 64-bit registers
 * as native i64 (the JavaScript loop works on int32 pairs) and no per-block
 * compile cost. The wasm engine's `Hart.loop` calls it before each
 * instruction; it runs until something needs JavaScript and returns the
 * instructions it retired, with the pc, the leader flag and the reason in
 * its header:
 *
 * - the budget is used up (exact: checked before every instruction);
 * - a fetch, load or store misses the TLB fast path (JavaScript then runs
 *   that instruction with its slow path, so faults stay precise and MMIO,
 *   page crossing, dirty log and the code watch stay in one place);
 * - the pc's page has no decoded array in wasm memory, or its slot is not
 *   decoded yet (JavaScript decodes it);
 * - an operation it does not implement (FP, AMO, CSR, SYSTEM, FENCE.I,
 *   ILLEGAL): JavaScript runs it;
 * - a block leader that has a translated block (blkTag) but no compiled
 *   entry in the wasm dispatcher's table, or whose heat counter reaches the
 *   hot limit: JavaScript runs the block or translates;
 * - a compiled region it called stopped (a slow path's stop flag: MMIO,
 *   interrupt state, a code write), or any region returned while
 *   JavaScript wants to see every one (`blockHook`): Exit.REGION; a region
 *   took a trap: Exit.TRAP.
 *
 * At a leader with a compiled entry in the dispatcher's table (dTag/dVal,
 * the lookup the dispatcher makes) it calls the dispatcher itself, a
 * wasm-to-wasm call through its link table (slot 0, filled by the wasm tier
 * once it exists: `WasmInterpreter.link`), with its registers written back to
 * the hart's xLo/xHi around the call (regions read and write those), and
 * goes on interpreting at the next pc. The hart sets `countBase` (the count
 * at the run's start, which the regions' slow paths add to) and the FP mode
 * word before each run. A trap in a region leaves with Exit.TRAP at the
 * handler's pc with the count before the faulting instruction (the hart has
 * taken it).
 *
 * Apart from the dispatcher it never calls out, so the state at any exit is
 * the JavaScript interpreter's at the same instruction count: the guest
 * cannot tell the engines apart. It changes no TLB and no decoded page, so a
 * page mapping it looked up stays valid until it calls a region (it looks the
 * pc up again after one). Heat counters and the block
 * cache tags are the hart's own arrays, placed in the code area, so tier-up
 * decisions are the ones the JavaScript loop makes.
 *
 * To add an instruction: give its op a case in `emitOp` (registers are read
 * with `x`, written with `setX`; `rd`/`rs1`/`rs2` hold byte offsets into the
 * call's i64 register file); ops without a case leave to JavaScript (Exit.RARE).
 */
import { CODE_AREA_FIXED, CODE_AREA_PAGES, DECODED_PAGE_BYTES, type GuestMemory } from '../../memory.js';
import { DECODED_PAGE_WORDS, isBranch, isStore, Op, OP_COUNT } from '../decoded.js';
import type { DecodedArea } from '../code-cache.js';
import { registerEngine } from '../engines.js';
import { TLB_MASK } from '../tlb.js';
import { DISPATCH_MASK, HartWord, Scratch, type EngineArrays } from './engine-area.js';
import { CSR, MS_FS, MS_MXR, MS_SIE, MS_SUM, SSTATUS_HI, SSTATUS_MASK } from '../csr-numbers.js';
import { DISPATCH_PARAMS } from './dispatcher.js';
import { AluForm, aluForm, aluOpcode, emitDiv32, emitDiv64, emitMulhFixup, emitMulhu } from './int-ops.js';
import { emitFetchMiss } from './fetch-tlb.js';
import { type Code, ModuleWriter, Op as W, ValType } from './wasm-writer.js';

const I32 = ValType.I32, I64 = ValType.I64;

/** Why the interpreter returned (Header.REASON). */
export const enum Exit { BUDGET = 0, FETCH = 1, NO_PAGE = 2, UNDECODED = 3, RARE = 4, LOAD = 5, STORE = 6, BLOCK = 7, HOT = 8, REGION = 9, TRAP = 10 }
export const EXIT_NAMES = ['budget', 'fetch', 'noPage', 'undecoded', 'rare', 'load', 'store', 'block', 'hot', 'region', 'trap'] as const;

/** Int32 word indices of the header (the pc as an i64 at word 0). */
export const enum Header { PC_LO = 0, PC_HI = 1, LEADER = 2, REASON = 3, RETIRED_LO = 4, RETIRED_HI = 5, CALLS = 6, EXITS = 8, REGION_CALLS = 40, REGION_RETIRED = 42 }
/** Header bytes: the words above, then (at REGS) the i64 register file the interpreter works on during a call. */
const HEADER_BYTES = 512;
const REGS = 256;

/** Entries of the hart's heat table (Uint16) and block-cache tag table (Int32); the hart hashes with these masks. */
export const HEAT_SIZE = 1 << 16;
export const BLK_CACHE_SIZE = 1 << 14;
// memory.ts sizes the code area from these bounds (codeAreaBytes): keep them true
if (HEADER_BYTES + 2 * HEAT_SIZE + 4 * BLK_CACHE_SIZE > CODE_AREA_FIXED || 4 * DECODED_PAGE_WORDS !== DECODED_PAGE_BYTES) {
  throw new Error('wasm interpreter: the code area layout outgrew memory.ts codeAreaBytes');
}

/** The interpreter's arrays in the code area of one hart's memory. */
export interface InterpArea {
  readonly header: Int32Array;
  readonly heat: Uint16Array;
  readonly blkTag: Int32Array;
  readonly decoded: DecodedArea;
}

/** `regionCalls`: dispatcher calls it made at leaders with a compiled entry (their instructions are the tier's `retired`, not in `retired` here). */
export interface WasmInterpreterStats { calls: number; retired: number; regionCalls: number; exits: Record<string, number> }

/** (pcLo, pcHi, budget, dKey, iKey, leader, hotLimit, flags) -> retired (flags: RUN_REGIONS, RUN_REGION_EXIT). */
export type InterpFn = (pcLo: number, pcHi: number, budget: number, dKey: number, iKey: number, leader: number, hotLimit: number, flags: number) => number;
/** `run` flags: call compiled regions at leaders (the tier is linked: WasmInterpreter.link); leave after each region call (the hart's blockHook wants to see it). */
export const RUN_REGIONS = 1, RUN_REGION_EXIT = 2;

/** Reserves the interpreter's arrays in `ram`'s code area; null without wasm memory or room. */
export function interpArea(ram: GuestMemory): InterpArea | null {
  const table = 4 * ram.pages;
  const count = Math.min(CODE_AREA_PAGES, ram.pages); // a page of RAM has at most one decoded array
  const at = ram.codeArea(HEADER_BYTES + 2 * HEAT_SIZE + 4 * BLK_CACHE_SIZE + table + 4 * DECODED_PAGE_WORDS * count);
  if (at < 0) return null;
  const b = ram.buffer;
  let p = at;
  const header = new Int32Array(b, p, HEADER_BYTES >> 2); p += HEADER_BYTES;
  const heat = new Uint16Array(b, p, HEAT_SIZE); p += 2 * HEAT_SIZE;
  const blkTag = new Int32Array(b, p, BLK_CACHE_SIZE).fill(-1); p += 4 * BLK_CACHE_SIZE;
  const tab = new Int32Array(b, p, ram.pages); p += table;
  return { header, heat, blkTag, decoded: { buffer: b, first: p, count, table: tab } };
}

/** Byte addresses the interpreter reads and writes. */
interface Layout {
  xLo: number; xHi: number;
  itLo: number; itHi: number; itOff: number;
  rtLo: number; rtHi: number; rtOff: number;
  wtLo: number; wtHi: number; wtOff: number;
  header: number; heat: number; blkTag: number; table: number;
  /** The hart state words (engine-area.ts HartWord) and RAM's physical base (the reservation address). */
  hs: number; ramBase: number;
  /** The FP registers (int32 halves; FLW/FLD/FSW/FSD read and write them in place). */
  fLo: number; fHi: number;
  /** The wasm dispatcher's entry table and scratch words (engine-area.ts). */
  dTag: number; dVal: number; scratch: number;
}

export class WasmInterpreter {
  readonly run: InterpFn;
  readonly header: Int32Array;
  /** Slot 0: the wasm dispatcher the interpreter calls at leaders with a compiled entry (null until `link`). */
  private readonly linkTable: WebAssembly.Table;

  constructor(ea: EngineArrays, area: InterpArea) {
    const L: Layout = {
      xLo: ea.xLo.byteOffset, xHi: ea.xHi.byteOffset,
      itLo: ea.itLo.byteOffset, itHi: ea.itHi.byteOffset, itOff: ea.itOff.byteOffset,
      rtLo: ea.rtLo.byteOffset, rtHi: ea.rtHi.byteOffset, rtOff: ea.rtOff.byteOffset,
      wtLo: ea.wtLo.byteOffset, wtHi: ea.wtHi.byteOffset, wtOff: ea.wtOff.byteOffset,
      header: area.header.byteOffset, heat: area.heat.byteOffset, blkTag: area.blkTag.byteOffset, table: area.decoded.table.byteOffset,
      hs: ea.hartState.byteOffset, ramBase: ea.ramBase, fLo: ea.fLo.byteOffset, fHi: ea.fHi.byteOffset,
      dTag: ea.dTag.byteOffset, dVal: ea.dVal.byteOffset, scratch: ea.scratch,
    };
    const bytes = buildInterpreter(L, ea.buffer.byteLength / 65536);
    this.linkTable = new WebAssembly.Table({ element: 'anyfunc', initial: 1 });
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem: ea.memory, link: this.linkTable } });
    this.run = inst.exports.run as unknown as InterpFn;
    this.header = area.header;
  }

  /** Lets the interpreter call `dispatch` (the wasm tier's dispatcher export, type DispatchFn) at leaders with a compiled entry (when run with RUN_REGIONS). */
  link(dispatch: unknown): void {
    this.linkTable.set(0, dispatch as () => number);
  }

  /** Calls, instructions retired and exits by reason (statistics). */
  stats(): WasmInterpreterStats {
    const h = this.header;
    const exits: Record<string, number> = {};
    EXIT_NAMES.forEach((n, i) => { exits[n] = h[Header.EXITS + i] >>> 0; });
    const i64 = (w: number): number => (h[w] >>> 0) + (h[w + 1] >>> 0) * 4294967296;
    return { calls: h[Header.CALLS] >>> 0, retired: i64(Header.RETIRED_LO) - i64(Header.REGION_RETIRED), regionCalls: h[Header.REGION_CALLS] >>> 0, exits };
  }
}

/** Ops executed inline, in the order of their blocks (every other op leaves with Exit.RARE, UNDECODED with Exit.UNDECODED). */
const INLINE: number[] = [Op.UNDECODED, Op.NOP, Op.FENCE];
for (let op = Op.LUI; op <= Op.REMUW; op++) INLINE.push(op);
// the frequent rare ops, inline when exact without JavaScript (else Exit.RARE from inside their code): see amo, csr
INLINE.push(Op.AMO, Op.CSR, Op.LOAD_FP, Op.STORE_FP);

/** Builds the interpreter module: imports `env.mem` and `env.link` (a funcref table: slot 0 the dispatcher), exports `run`. */
export function buildInterpreter(L: Layout, memPages: number): Uint8Array {
  const m = new ModuleWriter();
  m.importMemory('env', 'mem', memPages, memPages, true);
  m.importTable('env', 'link', 1);
  const dispatchType = m.type(DISPATCH_PARAMS, [I32]);
  const mulhu = m.func([I64, I64], [I64]);
  emitMulhu(mulhu.code, 0, 1, mulhu.code.local(I64), mulhu.code.local(I64), mulhu.code.local(I64)); // the parameters
  // the registers as i64 for a call (the hart keeps int32 pairs): copied in at the start and after a region, out at the exit and before a region
  const fill = m.func([], []);
  for (let r = 1; r < 32; r++) {
    const c = fill.code;
    c.i32(0);
    c.i32(0).mem(W.i64_load32_u, L.xLo + 4 * r, 2).i32(0).mem(W.i64_load32_u, L.xHi + 4 * r, 2).i64(32).op(W.i64_shl).op(W.i64_or);
    c.mem(W.i64_store, L.header + REGS + 8 * r, 3);
  }
  const spill = m.func([], []);
  const v = spill.code.local(I64);
  for (let r = 1; r < 32; r++) {
    const c = spill.code;
    c.i32(0).i32(0).mem(W.i64_load, L.header + REGS + 8 * r, 3).set(v);
    c.get(v).mem(W.i64_store32, L.xLo + 4 * r, 2);
    c.i32(0).get(v).i64(32).op(W.i64_shr_u).mem(W.i64_store32, L.xHi + 4 * r, 2);
  }
  const f = m.func([I32, I32, I32, I32, I32, I32, I32, I32], [I32]);
  new Emitter(L, f.code, mulhu.index, { fill: fill.index, spill: spill.index, dispatchType }).emit();
  m.export('run', f.index);
  return m.toBytes();
}

// parameters of `run`
const P_PCLO = 0, P_PCHI = 1, P_BUDGET = 2, P_DKEY = 3, P_IKEY = 4, P_LEADER = 5, P_HOT = 6, P_FLAGS = 7;

/** Function indices and the dispatcher's type the leader path uses. */
interface RegionCalls { fill: number; spill: number; dispatchType: number }

class Emitter {
  private readonly pc: number; private readonly n: number; private readonly vpage: number;
  private readonly pageOff: number; private readonly dp: number; private readonly slot: number; private readonly w0: number;
  private readonly npc: number; private readonly rd: number; private readonly rs1: number; private readonly rs2: number;
  private readonly a: number; private readonly b: number; private readonly v: number; private readonly va: number;
  private readonly vaLo: number; private readonly ti: number; private readonly o: number; private readonly t: number;
  private readonly pl: number; private readonly reason: number; private readonly ai: number; private readonly bi: number;
  /** AMO: 1 for the D forms, 0 for W. */
  private readonly wide: number;
  /** Structured blocks between the current code and the op's `$next` block. */
  private depth = 0;

  constructor(private readonly L: Layout, private readonly c: Code, private readonly mulhu: number, private readonly rc: RegionCalls) {
    this.pc = c.local(I64); this.npc = c.local(I64); this.a = c.local(I64); this.b = c.local(I64); this.v = c.local(I64); this.va = c.local(I64);
    this.n = c.local(I32); this.vpage = c.local(I64); this.pageOff = c.local(I32); this.dp = c.local(I32);
    this.slot = c.local(I32); this.w0 = c.local(I32); this.rd = c.local(I32); this.rs1 = c.local(I32); this.rs2 = c.local(I32);
    this.vaLo = c.local(I32); this.ti = c.local(I32); this.o = c.local(I32); this.t = c.local(I32); this.pl = c.local(I32);
    this.reason = c.local(I32); this.ai = c.local(I32); this.bi = c.local(I32);
    this.wide = c.local(I32);
  }

  /** x[r] (r: a local holding the byte offset r * 8 into the call's i64 register file) as i64. */
  private x(r: number): void {
    this.c.get(r).mem(W.i64_load, this.L.header + REGS, 3);
  }

  /** Low word of x[r] as i32. */
  private x32(r: number): void {
    this.c.get(r).mem(W.i32_load, this.L.header + REGS, 2);
  }

  /** x[rd] = the i64 on the stack. */
  private setX(): void {
    const c = this.c;
    c.set(this.v);
    c.get(this.rd).get(this.v).mem(W.i64_store, this.L.header + REGS, 3);
  }

  /** x[rd] = the i64 on the stack, unless rd is x0 (loads, JAL, JALR: the decoder turns ALU writes of x0 into NOP). */
  private setXUnless0(): void {
    const c = this.c;
    c.set(this.a).get(this.rd).if();
    c.get(this.a);
    this.setX();
    c.end();
  }

  private imm64(): void { this.c.get(this.slot).mem(W.i64_load32_s, 4, 2); }
  private imm32(): void { this.c.get(this.slot).mem(W.i32_load, 4, 2); }

  /** Leaves with `reason` (the instruction at pc not executed); `extra`: structured blocks opened inside the op's code. */
  private exit(reason: number, toDone: number): void {
    this.c.i32(reason).set(this.reason).br(toDone);
  }

  emit(): void {
    const c = this.c, L = this.L;
    const { pc, n, vpage, pageOff, dp, slot, w0, npc, rd, rs1, rs2, ti, o, t, pl } = this;
    c.get(P_PCLO).op(W.i64_extend_i32_u).get(P_PCHI).op(W.i64_extend_i32_u).i64(32).op(W.i64_shl).op(W.i64_or).set(pc);
    c.i64(-1).set(vpage); // pc >>> 12 is never all ones
    c.call(this.rc.fill);
    c.block(); // $done
    c.loop(); // $top
    // budget: exact, before every instruction
    c.get(n).get(P_BUDGET).op(W.i32_ge_s).if(); this.exit(Exit.BUDGET, 2); c.end();
    c.get(pc).op(W.i32_wrap_i64).set(pl);
    // fetch: a page looked up in this call stays mapped (nothing here changes a TLB)
    c.get(pc).i64(12).op(W.i64_shr_u).get(vpage).op(W.i64_ne);
    c.if();
    c.get(pl).i32(12).op(W.i32_shr_u).set(t);
    emitFetchMiss(c, L.itLo, L.itHi, t, ti, () => { c.get(P_IKEY); }, () => { c.get(pc).i64(32).op(W.i64_shr_u).op(W.i32_wrap_i64); });
    c.if(); this.exit(Exit.FETCH, 3); c.end();
    c.get(ti).mem(W.i32_load, L.itOff, 2).set(o);
    c.get(o).i32(10).op(W.i32_shr_u).mem(W.i32_load, L.table, 2).tee(dp).op(W.i32_eqz);
    c.if(); this.exit(Exit.NO_PAGE, 3); c.end();
    c.get(pc).i64(12).op(W.i64_shr_u).set(vpage);
    c.get(o).set(pageOff);
    c.end();
    // a block leader: a compiled entry runs here (the dispatcher); a translated block or a hot one goes to
    // JavaScript; else count it, as the JavaScript loop does
    c.get(P_LEADER).if();
    c.get(pageOff).get(pl).i32(0xfff).op(W.i32_and).op(W.i32_or).set(t);
    c.block(); // $lead
    this.regionCall();
    c.get(t).i32(1).op(W.i32_shr_u).i32(BLK_CACHE_SIZE - 1).op(W.i32_and).i32(2).op(W.i32_shl).mem(W.i32_load, L.blkTag, 2).get(t).op(W.i32_eq);
    c.if(); this.exit(Exit.BLOCK, 4); c.end();
    c.get(t).i32(1).op(W.i32_shr_u).i32(HEAT_SIZE - 1).op(W.i32_and).i32(1).op(W.i32_shl).set(ti);
    c.get(ti).mem(W.i32_load16_u, L.heat, 1).i32(1).op(W.i32_add).tee(o).get(P_HOT).op(W.i32_ge_s);
    c.if(); this.exit(Exit.HOT, 4); c.end();
    c.get(ti).get(o).mem(W.i32_store16, L.heat, 1);
    c.end(); // $lead
    c.i32(0).set(P_LEADER);
    c.end();
    // the slot
    c.get(dp).get(pl).i32(0xffe).op(W.i32_and).i32(3).op(W.i32_shl).op(W.i32_add).tee(slot).mem(W.i32_load, 0, 2).set(w0);
    c.get(pc).get(w0).i32(29).op(W.i32_shr_u).op(W.i64_extend_i32_u).op(W.i64_add).set(npc);
    c.block(); // $next
    c.block(); // $rare
    const M = INLINE.length;
    for (let k = 0; k < M; k++) c.block();
    const targets = new Array<number>(OP_COUNT).fill(M);
    INLINE.forEach((op, k) => { targets[op] = k; });
    c.get(w0).i32(0xff).op(W.i32_and).brTable(targets, M);
    for (let k = 0; k < M; k++) {
      c.end();
      // open here: blocks k+1..M-1, $rare, $next, $top, $done
      const toNext = M - k;
      this.depth = toNext;
      // register fields as byte offsets into the i64 register file, extracted only by the ops that use them
      const op = INLINE[k];
      if (op >= Op.LUI && !isBranch(op) && !isStore(op)) c.get(w0).i32(5).op(W.i32_shr_u).i32(0xf8).op(W.i32_and).set(rd);
      if (op >= Op.JALR && op !== Op.LUI && op !== Op.AUIPC) c.get(w0).i32(13).op(W.i32_shr_u).i32(0xf8).op(W.i32_and).set(rs1);
      if (isBranch(op) || isStore(op) || (op >= Op.ADD && op <= Op.AND) || (op >= Op.ADDW && op <= Op.REMUW)) c.get(w0).i32(21).op(W.i32_shr_u).i32(0xf8).op(W.i32_and).set(rs2);
      this.emitOp(op, toNext + 2);
      c.br(this.depth);
    }
    c.end(); // $rare
    this.exit(Exit.RARE, 2);
    c.end(); // $next
    c.get(npc).set(pc);
    c.get(n).i32(1).op(W.i32_add).set(n);
    c.br(0);
    c.end(); // $top
    c.end(); // $done
    c.call(this.rc.spill);
    // header: pc, leader, reason, statistics
    const h = L.header;
    c.i32(0).get(pc).mem(W.i64_store, h, 3);
    c.i32(0).get(P_LEADER).mem(W.i32_store, h + 4 * Header.LEADER, 2);
    c.i32(0).get(this.reason).mem(W.i32_store, h + 4 * Header.REASON, 2);
    c.i32(0).i32(0).mem(W.i64_load, h + 4 * Header.RETIRED_LO, 3).get(n).op(W.i64_extend_i32_u).op(W.i64_add).mem(W.i64_store, h + 4 * Header.RETIRED_LO, 3);
    c.i32(0).i32(0).mem(W.i32_load, h + 4 * Header.CALLS, 2).i32(1).op(W.i32_add).mem(W.i32_store, h + 4 * Header.CALLS, 2);
    c.get(this.reason).i32(2).op(W.i32_shl).tee(t).get(t).mem(W.i32_load, h + 4 * Header.EXITS, 2).i32(1).op(W.i32_add).mem(W.i32_store, h + 4 * Header.EXITS, 2);
    c.get(n);
  }

  /**
   * At a leader (RAM offset in `t`; open: $lead, the leader's if, $top, $done), with RUN_REGIONS: when
   * the dispatcher's table has a compiled entry there (the dispatcher's own lookup), writes the registers
   * back, calls the dispatcher with the budget and the count so far, reloads the registers and goes on at
   * the pc it returns as a leader, or leaves (Exit.REGION) when a slow path stopped it or RUN_REGION_EXIT
   * asks to. A call that retired nothing (the budget cannot hold the region's first run) falls through to
   * interpret the leader without counting its heat (a block exists), as the JavaScript loop does.
   */
  private regionCall(): void {
    const c = this.c, L = this.L, { t, ti, o, n, pc } = this;
    c.get(P_FLAGS).i32(RUN_REGIONS).op(W.i32_and).if();
    c.get(t).i32(1).op(W.i32_shr_u).get(t).i32(13).op(W.i32_shr_u).op(W.i32_xor).i32(DISPATCH_MASK).op(W.i32_and).i32(2).op(W.i32_shl).set(ti);
    c.get(ti).mem(W.i32_load, L.dTag, 2).get(t).op(W.i32_eq).if();
    // open: dTag if, RUN_REGIONS if, $lead, leader if, $top, $done
    c.get(ti).mem(W.i32_load, L.dVal, 2).set(o);
    c.call(this.rc.spill);
    c.get(o).i32(8).op(W.i32_shr_u).get(o).i32(0xff).op(W.i32_and);
    c.get(this.pl).get(pc).i64(32).op(W.i64_shr_u).op(W.i32_wrap_i64);
    c.get(P_BUDGET).get(P_DKEY).get(P_IKEY).get(n);
    c.i32(0).callIndirect(this.rc.dispatchType).set(t);
    c.call(this.rc.fill);
    c.i64(-1).set(this.vpage); // a slow path may have changed the TLBs: look the pc up again
    c.i32(0).mem(W.i32_load, L.scratch + Scratch.STOP, 2);
    c.get(t).get(n).op(W.i32_ne).op(W.i32_or).if();
    c.i32(0).mem(W.i64_load, L.scratch + Scratch.NEXT_PC, 3).set(pc);
    c.i32(0).i32(0).mem(W.i32_load, L.header + 4 * Header.REGION_CALLS, 2).i32(1).op(W.i32_add).mem(W.i32_store, L.header + 4 * Header.REGION_CALLS, 2);
    c.i32(0).i32(0).mem(W.i64_load, L.header + 4 * Header.REGION_RETIRED, 3).get(t).get(n).op(W.i32_sub).op(W.i64_extend_i32_u).op(W.i64_add).mem(W.i64_store, L.header + 4 * Header.REGION_RETIRED, 3);
    c.get(t).set(n);
    c.i32(0).mem(W.i32_load, L.scratch + Scratch.STOP, 2).get(P_FLAGS).i32(RUN_REGION_EXIT).op(W.i32_and).op(W.i32_or).if();
    // the stop flag is 2 after a trap (Exit.TRAP), else 1 or 0 (Exit.REGION)
    c.i32(Exit.REGION).i32(0).mem(W.i32_load, L.scratch + Scratch.STOP, 2).i32(1).op(W.i32_shr_u).op(W.i32_add).set(this.reason).br(7);
    c.end();
    c.br(5); // $top: the next pc, a leader
    c.end();
    c.br(2); // nothing retired: interpret the leader ($lead)
    c.end();
    c.end();
  }

  /** The op's code; `toDone` is the br depth of $done from the op's code. */
  private emitOp(op: number, toDone: number): void {
    const c = this.c;
    const { pc, npc, rs1, rs2 } = this;
    const bin = (o: W): void => { this.x(rs1); this.x(rs2); c.op(o); this.setX(); };
    const binI = (o: W): void => { this.x(rs1); this.imm64(); c.op(o); this.setX(); };
    const w32 = (o: W): void => { this.x32(rs1); this.x32(rs2); c.op(o).op(W.i64_extend_i32_s); this.setX(); };
    const w32I = (o: W): void => { this.x32(rs1); this.imm32(); c.op(o).op(W.i64_extend_i32_s); this.setX(); };
    const cmp = (o: W, imm: boolean): void => {
      this.x(rs1); if (imm) this.imm64(); else this.x(rs2);
      c.op(o).op(W.i64_extend_i32_u); this.setX();
    };
    const branch = (o: W): void => {
      this.x(rs1); this.x(rs2); c.op(o).if().get(pc); this.imm64(); c.op(W.i64_add).set(npc).end();
      c.i32(1).set(P_LEADER);
    };
    switch (aluForm(op)) {
      case AluForm.NONE: break;
      case AluForm.REG: bin(aluOpcode(op)); return;
      case AluForm.IMM: binI(aluOpcode(op)); return;
      case AluForm.CMP_REG: cmp(aluOpcode(op), false); return;
      case AluForm.CMP_IMM: cmp(aluOpcode(op), true); return;
      case AluForm.W_REG: w32(aluOpcode(op)); return;
      case AluForm.W_IMM: w32I(aluOpcode(op)); return;
    }
    switch (op) {
      case Op.UNDECODED: this.exit(Exit.UNDECODED, toDone); return;
      case Op.NOP: case Op.FENCE: return;
      case Op.LUI: this.imm64(); this.setX(); return;
      case Op.AUIPC: c.get(pc); this.imm64(); c.op(W.i64_add); this.setX(); return;
      case Op.JAL:
        c.get(npc); this.setXUnless0();
        c.get(pc); this.imm64(); c.op(W.i64_add).set(npc);
        c.i32(1).set(P_LEADER);
        return;
      case Op.JALR:
        this.x(rs1); this.imm64(); c.op(W.i64_add).i64(-2).op(W.i64_and).set(this.b); // the target first: rd may be rs1
        c.get(npc); this.setXUnless0();
        c.get(this.b).set(npc);
        c.i32(1).set(P_LEADER);
        return;
      case Op.BEQ: branch(W.i64_eq); return;
      case Op.BNE: branch(W.i64_ne); return;
      case Op.BLT: branch(W.i64_lt_s); return;
      case Op.BGE: branch(W.i64_ge_s); return;
      case Op.BLTU: branch(W.i64_lt_u); return;
      case Op.BGEU: branch(W.i64_ge_u); return;
      case Op.LB: this.load(W.i64_load8_s, toDone); return;
      case Op.LH: this.load(W.i64_load16_s, toDone); return;
      case Op.LW: this.load(W.i64_load32_s, toDone); return;
      case Op.LD: this.load(W.i64_load, toDone); return;
      case Op.LBU: this.load(W.i64_load8_u, toDone); return;
      case Op.LHU: this.load(W.i64_load16_u, toDone); return;
      case Op.LWU: this.load(W.i64_load32_u, toDone); return;
      case Op.SB: this.store(W.i64_store8, toDone); return;
      case Op.SH: this.store(W.i64_store16, toDone); return;
      case Op.SW: this.store(W.i64_store32, toDone); return;
      case Op.SD: this.store(W.i64_store, toDone); return;
      case Op.MULHU: this.x(rs1); this.x(rs2); c.call(this.mulhu); this.setX(); return;
      case Op.MULH: case Op.MULHSU: {
        const a = this.a, b = this.b;
        this.x(rs1); c.set(a); this.x(rs2); c.set(b);
        c.get(a).get(b).call(this.mulhu);
        emitMulhFixup(c, op, a, b);
        this.setX();
        return;
      }
      case Op.DIV: case Op.DIVU: case Op.REM: case Op.REMU: {
        const a = this.a, b = this.b;
        this.x(rs1); c.set(a); this.x(rs2); c.set(b);
        emitDiv64(c, op, a, b);
        this.setX();
        return;
      }
      case Op.DIVW: case Op.DIVUW: case Op.REMW: case Op.REMUW: {
        const a = this.ai, b = this.bi;
        this.x32(rs1); c.set(a); this.x32(rs2); c.set(b);
        emitDiv32(c, op, a, b);
        this.setX();
        return;
      }
      case Op.AMO: this.amo(toDone); return;
      case Op.CSR: this.csr(toDone); return;
      case Op.LOAD_FP: case Op.STORE_FP: this.fpLoadStore(op === Op.STORE_FP, toDone); return;
      default: throw new Error(`wasm interpreter: op ${op} has no inline code`);
    }
  }

  /**
   * AMO*.W/D, LR and SC (Hart.amo's semantics) on the TLB fast path: LR through
   * the load TLB, SC and the read-modify-writes through the store TLB (a fast
   * store entry means a RAM page already dirty, not write-protected and holding
   * no decoded code, so nothing else is due). The reservation lives in the hart
   * state words, shared with JavaScript. Everything else (misaligned, TLB miss,
   * MMIO, reserved encodings that trap) leaves with Exit.RARE before any change.
   */
  private amo(toDone: number): void {
    const c = this.c, L = this.L, { ai: insn, bi: f5, wide, o, t, a, b, v } = this;
    const hs = L.hs;
    const rare = (depth: number): void => this.exit(Exit.RARE, toDone + depth);
    c.get(this.slot).mem(W.i32_load, 8, 2).tee(insn).i32(27).op(W.i32_shr_u).set(f5);
    c.get(insn).i32(12).op(W.i32_shr_u).i32(7).op(W.i32_and).i32(2).op(W.i32_sub).tee(wide).i32(1).op(W.i32_gt_u);
    c.if(); rare(1); c.end();
    // SC without a reservation fails before any translation (as in JavaScript, even misaligned)
    c.get(f5).i32(3).op(W.i32_eq).i32(0).mem(W.i32_load, hs + 4 * HartWord.RES_VALID, 2).op(W.i32_eqz).op(W.i32_and);
    c.if(); c.i64(1); this.setXUnless0(); c.i32(1).set(P_LEADER); c.br(this.depth + 1); c.end();
    // misaligned: JavaScript traps (or fails the SC)
    this.x32(this.rs1); c.i32(7).i32(3).get(wide).op(W.select).op(W.i32_and);
    c.if(); rare(1); c.end();
    c.get(f5).i32(2).op(W.i32_eq);
    c.if(); // LR
    c.get(this.w0).i32(24).op(W.i32_shr_u).i32(31).op(W.i32_and); // rs2 must be 0
    c.if(); rare(2); c.end();
    this.tlb(L.rtLo, L.rtHi, L.rtOff);
    c.op(W.i32_eqz).if(); rare(2); c.end();
    c.get(o).get(t).op(W.i32_add).set(o);
    c.get(o).mem(W.i64_load, 0, 0).get(o).mem(W.i64_load32_s, 0, 0).get(wide).op(W.select).set(v);
    c.i32(0).i32(1).mem(W.i32_store, hs + 4 * HartWord.RES_VALID, 2);
    c.i32(0); physical(c, L.ramBase, o); c.mem(W.i64_store, hs + 4 * HartWord.RES_ADDR_LO, 2);
    c.i32(0).i32(8).i32(4).get(wide).op(W.select).mem(W.i32_store, hs + 4 * HartWord.RES_SIZE, 2);
    c.i32(0).get(v).mem(W.i64_store, hs + 4 * HartWord.RES_LO, 2);
    c.get(v); this.setXUnless0();
    c.i32(1).set(P_LEADER);
    c.br(this.depth + 1);
    c.end();
    this.tlb(L.wtLo, L.wtHi, L.wtOff);
    c.op(W.i32_eqz).if(); rare(1); c.end();
    c.get(o).get(t).op(W.i32_add).set(o);
    c.get(this.w0).i32(21).op(W.i32_shr_u).i32(0xf8).op(W.i32_and).set(this.rs2);
    this.x(this.rs2); this.x32(this.rs2); c.op(W.i64_extend_i32_s).get(wide).op(W.select).set(b);
    c.get(f5).i32(3).op(W.i32_eq);
    c.if(); // SC with a reservation: compare address, size and the value LR saw (QEMU's semantics)
    c.i32(0).mem(W.i64_load, hs + 4 * HartWord.RES_ADDR_LO, 2); physical(c, L.ramBase, o); c.op(W.i64_eq);
    c.i32(0).mem(W.i32_load, hs + 4 * HartWord.RES_SIZE, 2).i32(8).i32(4).get(wide).op(W.select).op(W.i32_eq).op(W.i32_and);
    c.get(o).mem(W.i64_load, 0, 0).get(o).mem(W.i64_load32_u, 0, 0).get(wide).op(W.select);
    c.i32(0).mem(W.i64_load, hs + 4 * HartWord.RES_LO, 2).i64(-1).i64(-1, 0).get(wide).op(W.select).op(W.i64_and).op(W.i64_eq).op(W.i32_and);
    c.i32(0).i32(0).mem(W.i32_store, hs + 4 * HartWord.RES_VALID, 2);
    c.if(I64);
    this.storeWide(o, b);
    c.i64(0);
    c.else();
    c.i64(1);
    c.end();
    this.setXUnless0();
    c.i32(1).set(P_LEADER);
    c.br(this.depth + 1);
    c.end();
    // read-modify-write: the W forms work on sign-extended values (their low words, and the signed and
    // unsigned orders, are the 32-bit ones), and store the low word
    c.get(o).mem(W.i64_load, 0, 0).get(o).mem(W.i64_load32_s, 0, 0).get(wide).op(W.select).set(a);
    c.block(); // $rmw: v = the new value
    const rmw: Array<[number, () => void]> = [
      [0x01, () => { c.get(b); }],
      [0x00, () => { c.get(a).get(b).op(W.i64_add); }],
      [0x04, () => { c.get(a).get(b).op(W.i64_xor); }],
      [0x0c, () => { c.get(a).get(b).op(W.i64_and); }],
      [0x08, () => { c.get(a).get(b).op(W.i64_or); }],
      [0x10, () => { c.get(a).get(b).get(a).get(b).op(W.i64_lt_s).op(W.select); }],
      [0x14, () => { c.get(a).get(b).get(a).get(b).op(W.i64_gt_s).op(W.select); }],
      [0x18, () => { c.get(a).get(b).get(a).get(b).op(W.i64_lt_u).op(W.select); }],
      [0x1c, () => { c.get(a).get(b).get(a).get(b).op(W.i64_gt_u).op(W.select); }],
    ];
    for (const [k, emit] of rmw) {
      c.get(f5).i32(k).op(W.i32_eq).if();
      emit();
      c.set(v).br(1);
      c.end();
    }
    rare(1); // a reserved funct5: JavaScript raises the illegal-instruction trap
    c.end();
    this.storeWide(o, v);
    c.get(a); this.setXUnless0();
    c.i32(1).set(P_LEADER); // as after any rare op in JavaScript (execSlot): the next instruction is a block leader
  }

  /** mem[o] = value, 8 bytes when `wide`, else its low 4. */
  private storeWide(o: number, value: number): void {
    const c = this.c;
    c.get(this.wide).if();
    c.get(o).get(value).mem(W.i64_store, 0, 0);
    c.else();
    c.get(o).get(value).mem(W.i64_store32, 0, 0);
    c.end();
  }

  /**
   * CSR instructions on sstatus in S or M mode (Linux's interrupt enable and
   * disable) when the write changes nothing but SIE, SPIE and SPP, and enabling
   * SIE finds no interrupt pending and enabled (then JavaScript would end the
   * slice: Hart.interruptsChanged). Every other CSR or case leaves with
   * Exit.RARE before the instruction.
   */
  private csr(toDone: number): void {
    const c = this.c, L = this.L, { ai: old, bi: nw, t, rs1 } = this;
    const hs = L.hs;
    const rare = (depth: number): void => this.exit(Exit.RARE, toDone + depth);
    c.get(this.slot).mem(W.i32_load, 4, 2).i32(CSR.sstatus).op(W.i32_ne);
    c.get(P_IKEY).i32(20).op(W.i32_shr_u).op(W.i32_eqz).op(W.i32_or); // sstatus needs S or M mode
    c.if(); rare(1); c.end();
    c.get(this.slot).mem(W.i32_load, 8, 2).i32(12).op(W.i32_shr_u).i32(7).op(W.i32_and).set(t); // funct3 (1..3, 5..7)
    c.i32(0).mem(W.i32_load, hs + 4 * HartWord.MSTATUS, 2).set(old);
    // writes: csrrw(i) always, csrrs(i)/csrrc(i) when the rs1 field is not 0
    c.get(t).i32(3).op(W.i32_and).i32(1).op(W.i32_eq).get(rs1).op(W.i32_or);
    c.if();
    // the source: the register's low word (sstatus's writable bits are all there), or the field as an immediate
    c.get(rs1).i32(3).op(W.i32_shr_u); this.x32(rs1); c.get(t).i32(4).op(W.i32_and).op(W.select).set(nw);
    c.get(t).i32(3).op(W.i32_and).i32(1).op(W.i32_eq);
    c.if(); c.get(nw).set(this.o); c.else();
    c.get(t).i32(3).op(W.i32_and).i32(2).op(W.i32_eq);
    c.if(I32); c.get(old).get(nw).op(W.i32_or); c.else(); c.get(old).get(nw).i32(-1).op(W.i32_xor).op(W.i32_and); c.end();
    c.set(this.o);
    c.end();
    c.get(old).i32(~SSTATUS_MASK).op(W.i32_and).get(this.o).i32(SSTATUS_MASK).op(W.i32_and).op(W.i32_or).set(nw);
    // SUM, MXR (TLB keys) and FS (the wasm tier's FP mode) changes, or an interrupt that enabling SIE makes deliverable: JavaScript
    c.get(old).get(nw).op(W.i32_xor).i32(MS_SUM | MS_MXR | MS_FS).op(W.i32_and);
    c.get(nw).get(old).i32(-1).op(W.i32_xor).op(W.i32_and).i32(MS_SIE).op(W.i32_and).i32(0).op(W.i32_ne);
    c.i32(0).mem(W.i32_load, hs + 4 * HartWord.MIP_SW, 2).i32(0).mem(W.i32_load, hs + 4 * HartWord.MIP_HW, 2).op(W.i32_or);
    c.i32(0).mem(W.i32_load, hs + 4 * HartWord.MIE, 2).op(W.i32_and).i32(0).op(W.i32_ne).op(W.i32_and).op(W.i32_or);
    c.if(); rare(2); c.end();
    c.i32(0).get(nw).mem(W.i32_store, hs + 4 * HartWord.MSTATUS, 2);
    c.end();
    // rd = the old sstatus: its bits of mstatus, UXL, and SD when FS is dirty
    c.get(old).i32(SSTATUS_MASK).op(W.i32_and).op(W.i64_extend_i32_u);
    c.get(old).i32(MS_FS).op(W.i32_and).i32(MS_FS).op(W.i32_eq).i32(31).op(W.i32_shl).i32(SSTATUS_HI).op(W.i32_or).op(W.i64_extend_i32_u);
    c.i64(32).op(W.i64_shl).op(W.i64_or);
    this.setXUnless0();
    c.i32(1).set(P_LEADER); // as after any rare op in JavaScript (execSlot)
  }

  /**
   * FLW/FLD/FSW/FSD on the TLB fast path (execSlot's semantics: FLW NaN-boxes).
   * A load sets mstatus.FS to Dirty in JavaScript, so it runs here only when FS
   * is Dirty already (nothing changes the FP mode the wasm tier keys on); a
   * store needs FS not Off. Otherwise, and on a TLB miss, Exit.RARE.
   */
  private fpLoadStore(store: boolean, toDone: number): void {
    const c = this.c, L = this.L, { wide, o, t, v } = this;
    const rare = (depth: number): void => this.exit(Exit.RARE, toDone + depth);
    c.get(this.slot).mem(W.i32_load, 8, 2).i32(12).op(W.i32_shr_u).i32(7).op(W.i32_and).i32(2).op(W.i32_sub).tee(wide).i32(1).op(W.i32_gt_u);
    c.i32(0).mem(W.i32_load, L.hs + 4 * HartWord.MSTATUS, 2).i32(MS_FS).op(W.i32_and);
    if (store) c.op(W.i32_eqz); else c.i32(MS_FS).op(W.i32_ne);
    c.op(W.i32_or);
    c.if(); rare(1); c.end();
    if (store) this.tlb(L.wtLo, L.wtHi, L.wtOff); else this.tlb(L.rtLo, L.rtHi, L.rtOff);
    c.op(W.i32_eqz).if(); rare(1); c.end();
    c.get(o).get(t).op(W.i32_add).set(o);
    if (store) {
      const r2 = this.rs2;
      c.get(this.w0).i32(22).op(W.i32_shr_u).i32(0x7c).op(W.i32_and).set(r2); // rs2 * 4: an index into fLo/fHi
      c.get(r2).mem(W.i64_load32_u, L.fLo, 2).get(r2).mem(W.i64_load32_u, L.fHi, 2).i64(32).op(W.i64_shl).op(W.i64_or).set(v);
      this.storeWide(o, v);
    } else {
      c.get(o).mem(W.i64_load, 0, 0).get(o).mem(W.i64_load32_u, 0, 0).i64(0, -1).op(W.i64_or).get(wide).op(W.select).set(v);
      c.get(this.rd).i32(1).op(W.i32_shr_u).set(t); // rd * 4
      c.get(t).get(v).mem(W.i64_store32, L.fLo, 2);
      c.get(t).get(v).i64(32).op(W.i64_shr_u).mem(W.i64_store32, L.fHi, 2);
    }
    c.i32(1).set(P_LEADER); // as after any rare op in JavaScript (execSlot)
  }

  /** va = x[rs1] + imm; leaves the TLB fast-path condition (tlb.ts) on the stack and the RAM address in `o`. */
  private tlb(tLo: number, tHi: number, tOff: number): void {
    const c = this.c, { va, vaLo, ti, o } = this;
    this.x(this.rs1); this.imm64();
    c.op(W.i64_add).tee(va).op(W.i32_wrap_i64).tee(vaLo);
    c.i32(12).op(W.i32_shr_u).i32(TLB_MASK).op(W.i32_and).i32(2).op(W.i32_shl).set(ti);
    c.get(ti).mem(W.i32_load, tLo, 2).get(vaLo).i32(12).op(W.i32_shr_u).get(P_DKEY).op(W.i32_or).op(W.i32_eq);
    c.get(ti).mem(W.i32_load, tHi, 2).get(va).i64(32).op(W.i64_shr_u).op(W.i32_wrap_i64).op(W.i32_eq).op(W.i32_and);
    c.get(ti).mem(W.i32_load, tOff, 2).tee(o).i32(0).op(W.i32_ge_s).op(W.i32_and);
    c.get(vaLo).i32(0xfff).op(W.i32_and).tee(this.t).i32(0xff8).op(W.i32_le_u).op(W.i32_and);
  }

  private load(o: W, toDone: number): void {
    const c = this.c, L = this.L;
    this.tlb(L.rtLo, L.rtHi, L.rtOff);
    c.op(W.i32_eqz).if(); this.exit(Exit.LOAD, toDone + 1); c.end();
    c.get(this.o).get(this.t).op(W.i32_add).mem(o, 0, 0);
    this.setXUnless0();
  }

  private store(o: W, toDone: number): void {
    const c = this.c, L = this.L;
    this.tlb(L.wtLo, L.wtHi, L.wtOff);
    c.op(W.i32_eqz).if(); this.exit(Exit.STORE, toDone + 1); c.end();
    c.get(this.o).get(this.t).op(W.i32_add);
    this.x(this.rs2);
    c.mem(o, 0, 0);
  }
}

/** The physical address of RAM offset `o` (i32 local) as i64, on the stack. */
function physical(c: Code, ramBase: number, o: number): void {
  c.get(o).op(W.i64_extend_i32_u).i64(ramBase % 4294967296 | 0, Math.floor(ramBase / 4294967296)).op(W.i64_add);
}

/** `wasm-interp`: the wasm interpreter with translation off (lockstep tests, MIPS comparisons against the JavaScript loop). */
registerEngine('wasm-interp', null);
