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
 * - a block leader that has a translated block (blkTag) or whose heat
 *   counter reaches the hot limit: JavaScript runs the block or translates.
 *
 * It never calls out, so the state at any exit is the JavaScript
 * interpreter's at the same instruction count: the guest cannot tell the
 * engines apart. It changes no TLB and no decoded page, so a page mapping it
 * looked up stays valid for the whole call. Heat counters and the block
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
import type { EngineArrays } from './engine-area.js';
import { AluForm, aluForm, aluOpcode, emitDiv32, emitDiv64, emitMulhFixup, emitMulhu } from './int-ops.js';
import { type Code, ModuleWriter, Op as W, ValType } from './wasm-writer.js';

const I32 = ValType.I32, I64 = ValType.I64;

/** Why the interpreter returned (Header.REASON). */
export const enum Exit { BUDGET = 0, FETCH = 1, NO_PAGE = 2, UNDECODED = 3, RARE = 4, LOAD = 5, STORE = 6, BLOCK = 7, HOT = 8 }
export const EXIT_NAMES = ['budget', 'fetch', 'noPage', 'undecoded', 'rare', 'load', 'store', 'block', 'hot'] as const;

/** Int32 word indices of the header (the pc as an i64 at word 0). */
export const enum Header { PC_LO = 0, PC_HI = 1, LEADER = 2, REASON = 3, RETIRED_LO = 4, RETIRED_HI = 5, CALLS = 6, EXITS = 8 }
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

export interface WasmInterpreterStats { calls: number; retired: number; exits: Record<string, number> }

/** (pcLo, pcHi, budget, dKey, iKey, leader, hotLimit) -> retired. */
export type InterpFn = (pcLo: number, pcHi: number, budget: number, dKey: number, iKey: number, leader: number, hotLimit: number) => number;

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
}

export class WasmInterpreter {
  readonly run: InterpFn;
  readonly header: Int32Array;

  constructor(ea: EngineArrays, area: InterpArea) {
    const L: Layout = {
      xLo: ea.xLo.byteOffset, xHi: ea.xHi.byteOffset,
      itLo: ea.itLo.byteOffset, itHi: ea.itHi.byteOffset, itOff: ea.itOff.byteOffset,
      rtLo: ea.rtLo.byteOffset, rtHi: ea.rtHi.byteOffset, rtOff: ea.rtOff.byteOffset,
      wtLo: ea.wtLo.byteOffset, wtHi: ea.wtHi.byteOffset, wtOff: ea.wtOff.byteOffset,
      header: area.header.byteOffset, heat: area.heat.byteOffset, blkTag: area.blkTag.byteOffset, table: area.decoded.table.byteOffset,
    };
    const bytes = buildInterpreter(L, ea.buffer.byteLength / 65536);
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem: ea.memory } });
    this.run = inst.exports.run as unknown as InterpFn;
    this.header = area.header;
  }

  /** Calls, instructions retired and exits by reason (statistics). */
  stats(): WasmInterpreterStats {
    const h = this.header;
    const exits: Record<string, number> = {};
    EXIT_NAMES.forEach((n, i) => { exits[n] = h[Header.EXITS + i] >>> 0; });
    return { calls: h[Header.CALLS] >>> 0, retired: (h[Header.RETIRED_LO] >>> 0) + (h[Header.RETIRED_HI] >>> 0) * 4294967296, exits };
  }
}

/** Ops executed inline, in the order of their blocks (every other op leaves with Exit.RARE, UNDECODED with Exit.UNDECODED). */
const INLINE: number[] = [Op.UNDECODED, Op.NOP, Op.FENCE];
for (let op = Op.LUI; op <= Op.REMUW; op++) INLINE.push(op);

/** Builds the interpreter module: imports `env.mem`, exports `run`. */
export function buildInterpreter(L: Layout, memPages: number): Uint8Array {
  const m = new ModuleWriter();
  m.importMemory('env', 'mem', memPages, memPages, true);
  const mulhu = m.func([I64, I64], [I64]);
  emitMulhu(mulhu.code, 0, 1, mulhu.code.local(I64), mulhu.code.local(I64), mulhu.code.local(I64)); // the parameters
  const f = m.func([I32, I32, I32, I32, I32, I32, I32], [I32]);
  new Emitter(L, f.code, mulhu.index).emit();
  m.export('run', f.index);
  return m.toBytes();
}

// parameters of `run`
const P_PCLO = 0, P_PCHI = 1, P_BUDGET = 2, P_DKEY = 3, P_IKEY = 4, P_LEADER = 5, P_HOT = 6;

class Emitter {
  private readonly pc: number; private readonly n: number; private readonly vpage: number;
  private readonly pageOff: number; private readonly dp: number; private readonly slot: number; private readonly w0: number;
  private readonly npc: number; private readonly rd: number; private readonly rs1: number; private readonly rs2: number;
  private readonly a: number; private readonly b: number; private readonly v: number; private readonly va: number;
  private readonly vaLo: number; private readonly ti: number; private readonly o: number; private readonly t: number;
  private readonly pl: number; private readonly reason: number; private readonly ai: number; private readonly bi: number;
  /** Structured blocks between the current code and the op's `$next` block. */
  private depth = 0;

  constructor(private readonly L: Layout, private readonly c: Code, private readonly mulhu: number) {
    this.pc = c.local(I64); this.npc = c.local(I64); this.a = c.local(I64); this.b = c.local(I64); this.v = c.local(I64); this.va = c.local(I64);
    this.n = c.local(I32); this.vpage = c.local(I64); this.pageOff = c.local(I32); this.dp = c.local(I32);
    this.slot = c.local(I32); this.w0 = c.local(I32); this.rd = c.local(I32); this.rs1 = c.local(I32); this.rs2 = c.local(I32);
    this.vaLo = c.local(I32); this.ti = c.local(I32); this.o = c.local(I32); this.t = c.local(I32); this.pl = c.local(I32);
    this.reason = c.local(I32); this.ai = c.local(I32); this.bi = c.local(I32);
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
    // the registers as i64 for the call (the hart keeps int32 pairs): copied in here, out at the exit
    for (let r = 1; r < 32; r++) {
      c.i32(0);
      c.i32(0).mem(W.i64_load32_u, L.xLo + 4 * r, 2).i32(0).mem(W.i64_load32_u, L.xHi + 4 * r, 2).i64(32).op(W.i64_shl).op(W.i64_or);
      c.mem(W.i64_store, L.header + REGS + 8 * r, 3);
    }
    c.block(); // $done
    c.loop(); // $top
    // budget: exact, before every instruction
    c.get(n).get(P_BUDGET).op(W.i32_ge_s).if(); this.exit(Exit.BUDGET, 2); c.end();
    c.get(pc).op(W.i32_wrap_i64).set(pl);
    // fetch: a page looked up in this call stays mapped (nothing here changes a TLB)
    c.get(pc).i64(12).op(W.i64_shr_u).get(vpage).op(W.i64_ne);
    c.if();
    c.get(pl).i32(12).op(W.i32_shr_u).set(t);
    c.get(t).i32(TLB_MASK).op(W.i32_and).i32(2).op(W.i32_shl).set(ti);
    c.get(ti).mem(W.i32_load, L.itLo, 2).get(t).get(P_IKEY).op(W.i32_or).op(W.i32_ne);
    c.get(ti).mem(W.i32_load, L.itHi, 2).get(pc).i64(32).op(W.i64_shr_u).op(W.i32_wrap_i64).op(W.i32_ne).op(W.i32_or);
    c.if(); this.exit(Exit.FETCH, 3); c.end();
    c.get(ti).mem(W.i32_load, L.itOff, 2).set(o);
    c.get(o).i32(10).op(W.i32_shr_u).mem(W.i32_load, L.table, 2).tee(dp).op(W.i32_eqz);
    c.if(); this.exit(Exit.NO_PAGE, 3); c.end();
    c.get(pc).i64(12).op(W.i64_shr_u).set(vpage);
    c.get(o).set(pageOff);
    c.end();
    // a block leader: a translated block or a hot one goes to JavaScript; else count it, as the JavaScript loop does
    c.get(P_LEADER).if();
    c.get(pageOff).get(pl).i32(0xfff).op(W.i32_and).op(W.i32_or).set(t);
    c.get(t).i32(1).op(W.i32_shr_u).i32(BLK_CACHE_SIZE - 1).op(W.i32_and).i32(2).op(W.i32_shl).mem(W.i32_load, L.blkTag, 2).get(t).op(W.i32_eq);
    c.if(); this.exit(Exit.BLOCK, 3); c.end();
    c.get(t).i32(1).op(W.i32_shr_u).i32(HEAT_SIZE - 1).op(W.i32_and).i32(1).op(W.i32_shl).set(ti);
    c.get(ti).mem(W.i32_load16_u, L.heat, 1).i32(1).op(W.i32_add).tee(o).get(P_HOT).op(W.i32_ge_s);
    c.if(); this.exit(Exit.HOT, 3); c.end();
    c.get(ti).get(o).mem(W.i32_store16, L.heat, 1);
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
    for (let r = 1; r < 32; r++) {
      c.i32(0).i32(0).mem(W.i64_load, L.header + REGS + 8 * r, 3).set(this.v);
      c.get(this.v).mem(W.i64_store32, L.xLo + 4 * r, 2);
      c.i32(0).get(this.v).i64(32).op(W.i64_shr_u).mem(W.i64_store32, L.xHi + 4 * r, 2);
    }
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
      default: throw new Error(`wasm interpreter: op ${op} has no inline code`);
    }
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

/** `wasm-interp`: the wasm interpreter with translation off (lockstep tests, MIPS comparisons against the JavaScript loop). */
registerEngine('wasm-interp', null);
