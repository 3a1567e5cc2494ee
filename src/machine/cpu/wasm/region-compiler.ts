/**
 * The WebAssembly region translator: turns a hot region of one physical code
 * page (several basic blocks, found by following branches and jumps inside
 * the page) into one wasm function, from the decoded representation
 * (decoded.ts; no decoding here).
 *
 * Shape of a region function `(label, pageLo, pageHi, budget, dKey, retired) -> retired`
 * (`retired`: instructions the dispatcher ran before this region; the budget
 * counts from the same origin): the guest registers it needs are loaded into
 * i64 locals at entry (only those the blocks reachable from the entry block
 * use or store: see planBoundary) and the ones written on the way are stored
 * back when it leaves (per block, the registers some path to it may have
 * written); the blocks sit in address order in a `loop` around a `br_table` on
 * the block label: a branch to a later block of the region is a direct `br`,
 * one to an earlier block (a loop) goes through the `br_table` (a block
 * branching to its own start has a `loop` of its own), and anything else
 * leaves with the next pc in the scratch area, for the
 * dispatcher (dispatcher.ts). The instruction budget is checked at entry and
 * before every backward branch, for the longest run until the next check
 * (else the region retires nothing, or leaves before the branch's target:
 * counting stays exact; forward branches need no check).
 * Loads and stores test the hart's TLB inline (the TLB arrays live in the same
 * memory as RAM); a miss calls the dispatcher module's slow-path helper with
 * the page offset and the count retired before the instruction, so a fault is
 * precise; a slow path that asks to stop (MMIO, a store into a code page, a
 * trap) sets the stop flag and the region leaves right after the instruction.
 *
 * Integer instructions (RV64IM, loads, stores, control transfers) are
 * translated, and the common double-precision FP ones (fp.ts: FP loads and
 * stores, fadd/fsub/fmul/fdiv.d, sign injection, moves, compares) with a
 * guard: they run only while the FP state is Dirty and, for arithmetic, the
 * result needs no fflags change and no NaN (else the region leaves before the
 * instruction and the interpreter runs it: NaNs stay canonical, fflags exact).
 * AMO, CSR and system instructions end a block and leave to the interpreter.
 */
import { Op, lenOf, opOf, rdOf, rs1Of, rs2Of, slotIndex } from '../decoded.js';
import { FpKind, FP_ARITH_DYN, FP_ARITH_RNE, FP_DIRTY, fpKind, fpRegs } from './fp.js';
import { Scratch } from './engine-area.js';
import { AluForm, aluForm, aluOpcode, emitDiv32, emitDiv64, emitMulhFixup, emitMulhu } from './int-ops.js';
import { emitFetchMiss } from './fetch-tlb.js';
import { type Code, ModuleWriter, Op as W, ValType } from './wasm-writer.js';

const I32 = ValType.I32, I64 = ValType.I64;

/** Byte addresses (in the wasm memory) of what generated code reads and writes. */
export interface WasmLayout {
  /** The hart's register halves (Int32Array(32) each). */
  readonly xLo: number;
  readonly xHi: number;
  /** The hart's FP register halves (Int32Array(32) each). */
  readonly fLo: number;
  readonly fHi: number;
  /** The hart's data TLBs (Int32Array(TLB size) each): load tags, tag high words, RAM offsets; same for stores. */
  readonly rtLo: number;
  readonly rtHi: number;
  readonly rtOff: number;
  readonly wtLo: number;
  readonly wtHi: number;
  readonly wtOff: number;
  /** TLB index mask (entries - 1). */
  readonly tlbMask: number;
  /** The hart's fetch TLB (tags, tag high words, RAM offsets): guards of edges into other pages. */
  readonly itLo: number;
  readonly itHi: number;
  readonly itOff: number;
  /** Byte offset of the scratch words (layout: engine-area.ts `Scratch`). */
  readonly scratch: number;
}

/** Returns words 0..2 of the decoded slot at page offset `d` of the region's page (op UNDECODED: cannot be translated). */
export type SlotReader = (d: number) => Int32Array;

/**
 * Another virtual page a region may continue into (a jump, call, branch or
 * fall-through across its page's end): `delta` pages from the region's own
 * page (never 0), which the fetch TLB mapped to RAM page `ram` when the
 * region was planned. The code there runs only while the fetch TLB still
 * maps it so (a guard at every edge into it); the tier forgets the region
 * when either page is written.
 */
export interface OtherPage { readonly delta: number; readonly ram: number }

/**
 * The pages around a region's own for planRegion: `page(delta)` reads the
 * RAM page `delta` pages away (its slot reader and `executed`), or null (not
 * mapped, nothing decoded); at most `maxPages` of them and `maxInsns`
 * instructions from them go into one region.
 */
export interface OtherPages {
  page(delta: number): { ram: number; slot: SlotReader; executed: (d: number) => boolean } | null;
  readonly maxPages: number;
  readonly maxInsns: number;
}

/** Limits that keep a region function small enough to compile fast. */
export const MAX_REGION_BLOCKS = 64;
export const MAX_REGION_INSNS = 768;
const MAX_BLOCK_INSNS = 64;

/** `d`: offset from the region's page base (outside 0..4095 on another page). */
interface Insn { d: number; w0: number; imm: number; /** the (expanded) instruction word */ raw: number }
interface BlockPlan { start: number; insns: Insn[]; /** true: the last insn is a control transfer; false: exit to `end`. */ transfer: boolean; end: number }

/**
 * A region: its blocks in order of their offset from the region's page base
 * (blocks on other pages: offsets outside 0..4095), block index by start
 * (`labels`; the ones on the region's own page are its entry points), and
 * the other pages it continues into.
 */
export interface RegionPlan {
  readonly blocks: BlockPlan[];
  readonly labels: Map<number, number>;
  readonly insns: number;
  readonly pages: readonly OtherPage[];
}

/** Entry points of a plan (page offset -> label): the blocks on its own page. */
export function entryLabels(plan: RegionPlan): [number, number][] {
  return [...plan.labels].filter(([d]) => d >= 0 && d < 4096);
}

/** True for the instruction in decoded slot words w[b..] when a region translates it (the rest end a block and exit to the interpreter). */
export function translatable(w: ArrayLike<number>, b: number): boolean {
  const op = opOf(w[b]);
  return (op >= Op.NOP && op <= Op.FENCE) || (op >= Op.LOAD_FP && op <= Op.FP && fpKind(op, w[b + 2]) !== FpKind.NONE);
}

function targetOf(i: Insn): number {
  return i.d + i.imm; // JAL and branches: pc-relative, in the region's frame
}

/**
 * Finds the region starting at page offset `entry`; null when its first
 * instruction cannot be translated. `executed(d)` tells whether the
 * instruction at d has run before (its slot is decoded): blocks other than
 * the entry are included only then, so cold paths stay exits instead of
 * costing compile time. With `other`, direct transfers and fall-throughs
 * into other pages continue there (within its limits).
 */
export function planRegion(slot: SlotReader, entry: number, executed: (d: number) => boolean = () => true, other: OtherPages | null = null): RegionPlan | null {
  const labels = new Map<number, number>();
  const blocks: BlockPlan[] = [];
  const queue = [entry];
  const seen = new Set<number>();
  const pages: OtherPage[] = [];
  const readers = new Map<number, { slot: SlotReader; executed: (d: number) => boolean } | null>([[0, { slot, executed }]]);
  /** The reader of the page `delta` pages away (null: not continued into). */
  const reader = (delta: number): { slot: SlotReader; executed: (d: number) => boolean } | null => {
    let r = readers.get(delta);
    if (r !== undefined) return r;
    r = null;
    if (other !== null && pages.length < other.maxPages) {
      const o = other.page(delta);
      if (o !== null) { r = o; pages.push({ delta, ram: o.ram }); }
    }
    readers.set(delta, r);
    return r;
  };
  let total = 0, otherInsns = 0;
  while (queue.length > 0 && blocks.length < MAX_REGION_BLOCKS && total < MAX_REGION_INSNS) {
    const start = queue.shift() as number;
    if (seen.has(start)) continue;
    seen.add(start);
    const rd = reader(start >> 12);
    if (rd === null) continue;
    if (start >> 12 !== 0 && otherInsns >= (other?.maxInsns ?? 0)) continue;
    const base = start & ~0xfff;
    if (start !== entry && !rd.executed(start - base)) continue;
    const insns: Insn[] = [];
    let d = start;
    let transfer = false;
    const reach = (t: number): void => { if (other !== null || (t >= 0 && t < 4096)) queue.push(t); };
    while (d < base + 4096 && insns.length < MAX_BLOCK_INSNS) {
      const w = rd.slot(d - base);
      const b = slotIndex(d - base);
      const op = opOf(w[b]);
      if (op === Op.UNDECODED || !translatable(w, b) && !endsBlockTransfer(op)) break;
      const i = { d, w0: w[b], imm: w[b + 1], raw: w[b + 2] };
      insns.push(i);
      d += lenOf(w[b]);
      if (endsBlockTransfer(op)) {
        transfer = true;
        if (op !== Op.JALR) reach(targetOf(i));
        // the fall-through: a branch's other way, or where a call returns (entered from outside)
        if (op !== Op.JAL && op !== Op.JALR || rdOf(i.w0) !== 0) reach(d);
        break;
      }
    }
    if (insns.length === 0) {
      if (start === entry) return null;
      continue; // not translatable: a branch there exits to the interpreter
    }
    // a straight run cut at MAX_BLOCK_INSNS goes on in the next block of the region (else every
    // 64 instructions of a long unrolled run would exit and warm up in the interpreter again)
    if (!transfer && insns.length === MAX_BLOCK_INSNS && d < base + 4096) queue.unshift(d);
    // a run to the page end goes on in the next page's code when it is mapped and ran before
    else if (!transfer && d === base + 4096) reach(d);
    blocks.push({ start, insns, transfer, end: d });
    total += insns.length;
    if (start >> 12 !== 0) otherInsns += insns.length;
  }
  // address order: most branches then go forward (a direct `br`, see RegionEmitter.goto); loops branch back
  blocks.sort((a, b) => a.start - b.start);
  blocks.forEach((b, i) => labels.set(b.start, i));
  // only the pages some block lies on (a page looked at may have had nothing to take)
  const used = pages.filter((pg) => blocks.some((b) => b.start >> 12 === pg.delta));
  return { blocks, labels, insns: total, pages: used };
}

/** Return points a region's `ret` (JALR x0, 0(ra or t0)) is compared with, at most. */
const MAX_RETURN_POINTS = 4;

/**
 * Blocks a block's final JALR may continue at inside the region: for a return
 * (JALR x0 through ra or t0), the region's call return points (the fall-through
 * of a JAL or JALR that links), up to MAX_RETURN_POINTS; the region compares
 * the target with each (a callee it took in from another page returns into
 * the region instead of leaving). Else none.
 */
function returnPoints(r: RegionPlan, b: BlockPlan): number[] {
  const last = b.insns[b.insns.length - 1];
  if (!b.transfer || opOf(last.w0) !== Op.JALR || rdOf(last.w0) !== 0 || (rs1Of(last.w0) !== 1 && rs1Of(last.w0) !== 5) || last.imm !== 0) return [];
  const out: number[] = [];
  for (const c of r.blocks) {
    const l = c.insns[c.insns.length - 1];
    const op = opOf(l.w0);
    if (!c.transfer || op !== Op.JAL && op !== Op.JALR || rdOf(l.w0) === 0) continue;
    const ret = l.d + lenOf(l.w0);
    if (r.labels.has(ret) && !out.includes(ret)) out.push(ret);
    if (out.length === MAX_RETURN_POINTS) break;
  }
  return out;
}

function endsBlockTransfer(op: number): boolean {
  return op === Op.JAL || op === Op.JALR || (op >= Op.BEQ && op <= Op.BGEU);
}

/** Function indices of the module's imports and helpers (imports come first). */
const F_LOAD = 0, F_STORE = 1;

/** Parameters of a region function: (label, pageLo, pageHi, budget, dKey, retired) -> retired. */
export const REGION_PARAMS = [I32, I32, I32, I32, I32, I32];

/**
 * Slow-path helpers the dispatcher module exports (dispatcher.ts):
 * lds(va, at, retired, old) -> value and sts(va, at, retired, value), where
 * at = page offset | instruction length << 12 | (load funct3, or store size) << 16
 * and retired counts the instructions before this one.
 */
export const LDS_PARAMS = [I64, I32, I32, I64];
export const STS_PARAMS = [I64, I32, I32, I64];

/**
 * Builds one module holding the given regions, exported as `r0`, `r1`, ...;
 * imports `env.mem` (the shared memory) and the dispatcher's slow-path
 * helpers `rt.lds` and `rt.sts`. A slow path that must stop (MMIO, interrupt
 * state, code write) or trapped sets the stop flag (Scratch.STOP): the region
 * leaves right after the instruction (after a trap the dispatcher's caller
 * rethrows, and the registers are those before the instruction).
 */
export function buildModule(layout: WasmLayout, regions: readonly RegionPlan[], memPages: number): Uint8Array {
  const m = new ModuleWriter();
  m.importFunc('rt', 'lds', LDS_PARAMS, [I64]);
  m.importFunc('rt', 'sts', STS_PARAMS, []);
  m.importMemory('env', 'mem', memPages, memPages, true);
  regions.forEach((r, i) => {
    const f = m.func(REGION_PARAMS, [I32]);
    new RegionEmitter(layout, r, f.code).emit();
    m.export(`r${i}`, f.index);
  });
  return m.toBytes();
}

class RegionEmitter {
  private readonly reg = new Int32Array(32).fill(-1);
  private readonly written: number[] = [];
  private readonly used: number[] = [];
  private readonly freg = new Int32Array(32).fill(-1);
  private readonly fWritten: number[] = [];
  private readonly fUsed: number[] = [];
  private readonly vbase: number;
  private readonly next: number;
  private readonly n: number;
  private readonly va: number;
  /** Per TLB (0: loads, 1: stores): the page offset's i32 address and the RAM offset of the page of its last access (-1 after a slow path). */
  private readonly vaLo: number[];
  private readonly ti: number;
  private readonly off: number[];
  /** i32 scratch locals of the 32-bit divisions. */
  private readonly d1: number;
  private readonly d2: number;
  /** Per TLB: base register and offset of the block's last access, while the base is unchanged (see tlbCheck). */
  private readonly last: ({ rs1: number; imm: number } | null)[] = [null, null];
  /** The FP mode word (fp.ts), read once at entry when the region has FP instructions (-1: none). */
  private readonly fpm: number = -1;
  private readonly t1: number;
  /** i64 scratch locals of mulhu, made on first use. */
  private m1 = -1;
  private m2 = -1;
  private m3 = -1;
  private readonly t2: number;
  /** Per block: its store group (registers written back when it leaves: see planBoundary). */
  private storeGroup = new Int32Array(0);
  private storeSets: number[] = [];
  /** Per block: its load group when the region is entered there; the groups' register sets. */
  private loadGroup = new Int32Array(0);
  private loadSets: number[] = [];
  /**
   * Per block: the most instructions a run from its start can retire before
   * the next budget check (at a backward branch) or a leave: its own plus the
   * longest chain of later blocks it reaches by forward branches.
   */
  private maxRun = new Int32Array(0);
  /** Index of the block being emitted, its page (pages from the region's own), and structured blocks opened inside its code. */
  private bi = 0;
  private pd = 0;
  private extra = 0;
  /** `extra` just inside the current block's own loop (0: it has none). */
  private selfBase = 0;

  constructor(private readonly L: WasmLayout, private readonly r: RegionPlan, private readonly c: Code) {
    const w = new Set<number>(), u = new Set<number>();
    const fw = new Set<number>(), fu = new Set<number>();
    const K = r.blocks.length;
    const bu = new Uint32Array(K), bw = new Uint32Array(K); // per block: x registers used, written (bit r)
    r.blocks.forEach((b, bi) => {
      const use = (x: number): void => { if (x !== 0) { u.add(x); bu[bi] |= 1 << x; } };
      const def = (x: number): void => { if (x !== 0) { use(x); w.add(x); bw[bi] |= 1 << x; } };
      for (const i of b.insns) {
        const op = opOf(i.w0);
        if (op >= Op.LOAD_FP && op <= Op.FP) {
          const g = fpRegs(fpKind(op, i.raw), i.raw);
          for (const x of g.xr) use(x);
          for (const x of g.xw) def(x);
          for (const f of g.fr) fu.add(f);
          for (const f of g.fw) { fu.add(f); fw.add(f); }
          continue;
        }
        const rd = rdOf(i.w0), rs1 = rs1Of(i.w0), rs2 = rs2Of(i.w0);
        if (writesRd(op)) def(rd);
        if (readsRs1(op)) use(rs1);
        if (readsRs2(op)) use(rs2);
      }
    });
    this.used = [...u].sort((a, b) => a - b);
    this.written = [...w].sort((a, b) => a - b);
    this.planBoundary(bu, bw);
    for (const x of this.used) this.reg[x] = c.local(I64);
    this.fUsed = [...fu].sort((a, b) => a - b);
    this.fWritten = [...fw].sort((a, b) => a - b);
    for (const f of this.fUsed) this.freg[f] = c.local(I64);
    if (this.fUsed.length > 0) this.fpm = c.local(I32);
    this.vbase = c.local(I64);
    this.next = c.local(I64);
    this.va = c.local(I64);
    this.t1 = c.local(I64);
    this.t2 = c.local(I64);
    this.n = c.local(I32);
    this.vaLo = [c.local(I32), c.local(I32)];
    this.ti = c.local(I32);
    this.off = [c.local(I32), c.local(I32)];
    this.d1 = c.local(I32);
    this.d2 = c.local(I32);
  }

  /**
   * Which x registers to load at each entry and store at each exit, instead of
   * every register the region uses at every entry and exit (lua leaves a
   * region every ~18 instructions). A block leaves storing AW(b) | W(b), AW(b)
   * the registers some path from some entry may have written before it
   * (forward dataflow); entering at block j loads every register used by, or
   * stored when leaving, a block reachable from j. So whatever a leave stores
   * was either written on the way or loaded at entry. Sets are bit masks;
   * beyond MAX_GROUPS distinct sets the rest share the full sets (always safe).
   */
  private planBoundary(bu: Uint32Array, bw: Uint32Array): void {
    const r = this.r, K = r.blocks.length;
    const succ: number[][] = r.blocks.map((b) => {
      const out: number[] = [];
      const to = (d: number): void => { const l = r.labels.get(d); if (l !== undefined) out.push(l); };
      const last = b.insns[b.insns.length - 1];
      const op = opOf(last.w0);
      if (!b.transfer) to(b.end);
      else if (op === Op.JAL) to(targetOf(last));
      else if (op !== Op.JALR) { to(targetOf(last)); to(last.d + lenOf(last.w0)); }
      else for (const d of returnPoints(r, b)) to(d);
      return out;
    });
    this.maxRun = new Int32Array(K);
    for (let b = K - 1; b >= 0; b--) {
      let most = 0;
      for (const s of succ[b]) if (s > b) most = Math.max(most, this.maxRun[s]);
      this.maxRun[b] = r.blocks[b].insns.length + most;
    }
    const aw = new Uint32Array(K);
    for (let changed = true; changed;) {
      changed = false;
      for (let b = 0; b < K; b++) {
        const out = (aw[b] | bw[b]) >>> 0;
        for (const s of succ[b]) if (((aw[s] | out) >>> 0) !== aw[s]) { aw[s] = (aw[s] | out) >>> 0; changed = true; }
      }
    }
    const fullStore = maskOf(this.written), fullLoad = maskOf(this.used);
    const group = (sets: number[], m: number, full: number): number => {
      let g = sets.indexOf(m);
      if (g < 0 && sets.length < MAX_GROUPS) g = sets.push(m) - 1;
      if (g < 0) { g = sets.indexOf(full); if (g < 0) g = sets.push(full) - 1; }
      return g;
    };
    this.storeGroup = new Int32Array(K);
    for (let b = 0; b < K; b++) this.storeGroup[b] = group(this.storeSets, (aw[b] | bw[b]) >>> 0, fullStore);
    this.loadGroup = new Int32Array(K);
    const seen = new Uint8Array(K);
    for (let j = 0; j < K; j++) {
      seen.fill(0);
      let m = 0;
      const stack = [j];
      seen[j] = 1;
      while (stack.length > 0) {
        const b = stack.pop() as number;
        m |= bu[b] | this.storeSets[this.storeGroup[b]];
        for (const s of succ[b]) if (seen[s] === 0) { seen[s] = 1; stack.push(s); }
      }
      this.loadGroup[j] = group(this.loadSets, m >>> 0, fullLoad);
    }
  }

  emit(): void {
    const c = this.c, L = this.L;
    const K = this.r.blocks.length;
    // vbase = page base (pageHi:pageLo)
    c.get(1).op(W.i64_extend_i32_u).get(2).op(W.i64_extend_i32_u).i64(32).op(W.i64_shl).op(W.i64_or).set(this.vbase);
    c.get(5).set(this.n); // retired before this region (the dispatcher runs regions back to back)
    if (this.fpm >= 0) c.i32(0).mem(W.i32_load, L.scratch + Scratch.FP_MODE, 2).set(this.fpm);
    for (const f of this.fUsed) {
      c.i32(0).mem(W.i64_load32_u, L.fLo + 4 * f, 2);
      c.i32(0).mem(W.i64_load32_u, L.fHi + 4 * f, 2).i64(32).op(W.i64_shl).op(W.i64_or).set(this.freg[f]);
    }
    // x registers: the entry block's load group
    const G = this.loadSets.length;
    c.block(); // $go
    for (let g = 0; g < G; g++) c.block();
    c.get(0).brTable([...this.loadGroup], this.loadGroup[0]);
    for (let g = 0; g < G; g++) {
      c.end();
      // the budget must hold the longest run from any entry of this group to its first check, else
      // the region retires nothing (the dispatcher returns; the interpreter runs the last few instructions)
      let most = 0;
      this.loadGroup.forEach((lg, j) => { if (lg === g) most = Math.max(most, this.maxRun[j]); });
      c.get(this.n).i32(most).op(W.i32_add).get(3).op(W.i32_gt_s).if().get(this.n).op(W.return).end();
      for (let x = 1; x < 32; x++) {
        if ((this.loadSets[g] >>> x & 1) === 0) continue;
        c.i32(0).mem(W.i64_load32_u, L.xLo + 4 * x, 2);
        c.i32(0).mem(W.i64_load32_u, L.xHi + 4 * x, 2).i64(32).op(W.i64_shl).op(W.i64_or).set(this.reg[x]);
      }
      if (g < G - 1) c.br(G - 1 - g);
    }
    c.end(); // $go
    const S = this.storeSets.length;
    c.block(); // $ret
    for (let g = 0; g < S; g++) c.block(); // $X(S-1) .. $X0: leave storing group g
    c.loop(); // $dispatch
    for (let i = 0; i < K; i++) c.block();
    c.get(0).brTable([...Array(K).keys()], 0);
    for (let i = 0; i < K; i++) {
      c.end();
      this.bi = i;
      this.pd = this.r.blocks[i].start >> 12;
      this.extra = 0;
      this.emitBlock(this.r.blocks[i]);
    }
    // the last block always leaves by a br; falling out of the loop is unreachable
    c.op(W.unreachable);
    c.end(); // loop
    for (let g = 0; g < S; g++) {
      c.end(); // $Xg
      for (let x = 1; x < 32; x++) {
        if ((this.storeSets[g] >>> x & 1) === 0) continue;
        c.i32(0).get(this.reg[x]).op(W.i32_wrap_i64).mem(W.i32_store, L.xLo + 4 * x, 2);
        c.i32(0).get(this.reg[x]).i64(32).op(W.i64_shr_u).op(W.i32_wrap_i64).mem(W.i32_store, L.xHi + 4 * x, 2);
      }
      if (g < S - 1) c.br(S - 1 - g);
    }
    c.end(); // $ret
    for (const f of this.fWritten) {
      c.i32(0).get(this.freg[f]).op(W.i32_wrap_i64).mem(W.i32_store, L.fLo + 4 * f, 2);
      c.i32(0).get(this.freg[f]).i64(32).op(W.i64_shr_u).op(W.i32_wrap_i64).mem(W.i32_store, L.fHi + 4 * f, 2);
    }
    // a slow path that stopped the region left the next pc and the count itself
    c.i32(0).mem(W.i32_load, L.scratch + Scratch.STOP, 2).if(I32);
    c.i32(0).mem(W.i32_load, L.scratch + Scratch.EXIT_COUNT, 2);
    c.else();
    c.i32(0).get(this.next).mem(W.i64_store, L.scratch + Scratch.NEXT_PC, 3);
    c.i32(0).get(this.n).mem(W.i32_store, L.scratch + Scratch.EXIT_COUNT, 2);
    c.get(this.n);
    c.end();
  }

  private depthLoop(): number { return this.r.blocks.length - 1 - this.bi + this.extra; }
  /** The leave that stores the current block's group (next pc in `next`, or a slow path's stop). */
  private depthExit(): number { return this.depthLoop() + 1 + this.storeGroup[this.bi]; }

  private open(kind: 'if' | 'block' | 'loop', t?: number): void {
    if (kind === 'if') this.c.if(t); else if (kind === 'loop') this.c.loop(t); else this.c.block(t);
    this.extra++;
  }

  /** Ends the block's own loop, if it has one. */
  private closeSelf(): void {
    if (this.selfBase === 0) return;
    this.close();
    this.selfBase = 0;
  }

  private close(): void {
    this.c.end();
    this.extra--;
  }

  private x(r: number): void {
    if (r === 0) this.c.i64(0); else this.c.get(this.reg[r]);
  }

  private setX(r: number): void {
    if (r === 0) this.c.op(W.drop); else this.c.set(this.reg[r]);
  }

  /** n += k */
  private addN(k: number): void {
    if (k !== 0) this.c.get(this.n).i32(k).op(W.i32_add).set(this.n);
  }

  /** Leaves the region with next pc = page base + d (d may lie outside the page). */
  private exitTo(d: number): void {
    const c = this.c;
    c.get(this.vbase).i64(d).op(W.i64_add).set(this.next).br(this.depthExit());
  }

  /** Continues at offset d: a block of the region, else an exit. `last`: at the end of the block's code. */
  private goto(d: number, last: boolean): void {
    const label = this.r.labels.get(d);
    if (label === undefined) { this.exitTo(d); return; }
    const pt = d >> 12;
    if (pt !== 0 && pt !== this.pd) this.pageGuard(pt, d);
    if (last && this.extra === 0 && label === this.bi + 1) return; // falls into the next block's code
    if (label === this.bi && this.selfBase > 0) { // the block's own loop
      this.budgetCheck(label);
      this.c.br(this.extra - this.selfBase);
      return;
    }
    // a later block: its code starts right after the end of the (label - bi)-th dispatch block still open
    if (label > this.bi) { this.c.br(label - this.bi - 1 + this.extra); return; }
    this.budgetCheck(label); // an earlier block (a loop): through the br_table
    this.c.i32(label).set(0).br(this.depthLoop());
  }

  /**
   * Before an edge into the region's code on another page (`pt` pages from
   * its own; its own page's mapping held at entry): leave to `d` unless the
   * fetch TLB maps that virtual page to the RAM page it was planned from,
   * with the same rule (key, tag) as the dispatcher's and the interpreter's
   * fetch. A miss there is the dispatcher's to handle, as for any exit.
   */
  private pageGuard(pt: number, d: number): void {
    const c = this.c, L = this.L;
    const page = this.r.pages.find((p) => p.delta === pt);
    if (page === undefined) throw new Error(`wasm tier: no page ${pt} in the region's plan`);
    const ipn = this.d1, ti = this.ti, va = this.t1;
    c.get(this.vbase).i64(pt * 4096).op(W.i64_add).tee(va).op(W.i32_wrap_i64).i32(12).op(W.i32_shr_u).set(ipn);
    emitFetchMiss(c, L.itLo, L.itHi, ipn, ti, () => { c.i32(0).mem(W.i32_load, L.scratch + Scratch.FETCH_KEY, 2); }, () => { c.get(va).i64(32).op(W.i64_shr_u).op(W.i32_wrap_i64); });
    c.get(ti).mem(W.i32_load, L.itOff, 2).i32((page.ram * 4096) | 0).op(W.i32_ne).op(W.i32_or);
    this.open('if');
    this.exitTo(d);
    this.close();
  }

  /**
   * Before a backward branch to block `label`: leave (to its start) unless the
   * budget holds every instruction that can run until the next check.
   */
  private budgetCheck(label: number): void {
    this.c.get(this.n).i32(this.maxRun[label]).op(W.i32_add).get(3).op(W.i32_gt_s);
    this.open('if');
    this.exitTo(this.r.blocks[label].start);
    this.close();
  }

  private emitBlock(b: BlockPlan): void {
    const len = b.insns.length;
    // a block that jumps or branches to its own start loops in a wasm `loop` of its own, not through the br_table
    const lastOp = opOf(b.insns[len - 1].w0);
    const self = b.transfer && lastOp !== Op.JALR && targetOf(b.insns[len - 1]) === b.start;
    if (self) {
      this.open('loop');
      this.selfBase = this.extra;
    }
    // no budget check here: at the entry and at backward branches only (budgetCheck)
    this.last[0] = this.last[1] = null; // control flow merges here: no access known
    for (let k = 0; k < len; k++) {
      const i = b.insns[k];
      if (k === len - 1 && b.transfer) this.transfer(i, len);
      else {
        this.body(i, k);
        this.forgetBase(i);
      }
    }
    if (self) {
      // a branch's fall-through follows the loop (the transfer closed it: see transfer)
      return;
    }
    if (!b.transfer) {
      this.addN(len);
      this.goto(b.end, true);
    }
  }

  /** Block-ending control transfer (the block's len-th instruction). */
  private transfer(i: Insn, len: number): void {
    const c = this.c;
    const op = opOf(i.w0), rd = rdOf(i.w0), rs1 = rs1Of(i.w0), rs2 = rs2Of(i.w0);
    const ilen = lenOf(i.w0);
    switch (op) {
      case Op.JAL:
        if (rd !== 0) { c.get(this.vbase).i64(i.d + ilen).op(W.i64_add).set(this.reg[rd]); }
        this.addN(len);
        this.goto(targetOf(i), true);
        this.closeSelf();
        return;
      case Op.JALR:
        this.x(rs1);
        c.i64(i.imm).op(W.i64_add).i64(-2).op(W.i64_and).set(this.next);
        if (rd !== 0) { c.get(this.vbase).i64(i.d + ilen).op(W.i64_add).set(this.reg[rd]); }
        this.addN(len);
        // a return to a call return point of the region continues there
        for (const d of returnPoints(this.r, this.r.blocks[this.bi])) {
          c.get(this.next).get(this.vbase).i64(d).op(W.i64_add).op(W.i64_eq);
          this.open('if');
          this.goto(d, false);
          this.close();
        }
        c.br(this.depthExit());
        return;
      default: {
        this.x(rs1);
        this.x(rs2);
        c.op([W.i64_eq, W.i64_ne, W.i64_lt_s, W.i64_ge_s, W.i64_lt_u, W.i64_ge_u][op - Op.BEQ]);
        this.addN(len);
        this.open('if');
        this.goto(targetOf(i), false);
        this.close();
        this.closeSelf();
        this.goto(i.d + ilen, true);
      }
    }
  }

  /** A non-final instruction, the block's (k+1)-th. */
  private body(i: Insn, k: number): void {
    const c = this.c;
    const op = opOf(i.w0), rd = rdOf(i.w0), rs1 = rs1Of(i.w0), rs2 = rs2Of(i.w0);
    const imm = i.imm;
    const bin = (o: W): void => { this.x(rs1); this.x(rs2); c.op(o); this.setX(rd); };
    const binI = (o: W): void => { this.x(rs1); c.i64(imm); c.op(o); this.setX(rd); };
    const cmp = (o: W, rhs: () => void): void => { this.x(rs1); rhs(); c.op(o).op(W.i64_extend_i32_u); this.setX(rd); };
    // 32-bit ops: operands wrapped, result sign-extended
    const w32 = (o: W, rhs: () => void): void => { this.x(rs1); c.op(W.i32_wrap_i64); rhs(); c.op(o).op(W.i64_extend_i32_s); this.setX(rd); };
    const rs2w = (): void => { this.x(rs2); c.op(W.i32_wrap_i64); };
    const immw = (): void => { c.i32(imm); };
    switch (aluForm(op)) {
      case AluForm.NONE: break;
      case AluForm.REG: bin(aluOpcode(op)); return;
      case AluForm.IMM: binI(aluOpcode(op)); return;
      case AluForm.CMP_REG: cmp(aluOpcode(op), () => this.x(rs2)); return;
      case AluForm.CMP_IMM: cmp(aluOpcode(op), () => c.i64(imm)); return;
      case AluForm.W_REG: w32(aluOpcode(op), rs2w); return;
      case AluForm.W_IMM: w32(aluOpcode(op), immw); return;
    }
    switch (op) {
      case Op.NOP: case Op.FENCE: return;
      case Op.LUI: c.i64(imm); this.setX(rd); return;
      case Op.AUIPC: c.get(this.vbase).i64(i.d + imm).op(W.i64_add); this.setX(rd); return;
      case Op.MULHU: this.x(rs1); c.set(this.t1); this.x(rs2); c.set(this.t2); this.mulhu(); this.setX(rd); return;
      case Op.MULH: case Op.MULHSU: {
        this.x(rs1); c.set(this.t1); this.x(rs2); c.set(this.t2);
        this.mulhu();
        emitMulhFixup(c, op, this.t1, this.t2);
        this.setX(rd);
        return;
      }
      case Op.DIV: case Op.DIVU: case Op.REM: case Op.REMU: this.div64(op, rd, rs1, rs2); return;
      case Op.DIVW: case Op.DIVUW: case Op.REMW: case Op.REMUW: this.div32(op, rd, rs1, rs2); return;
      case Op.LB: case Op.LH: case Op.LW: case Op.LD: case Op.LBU: case Op.LHU: case Op.LWU: this.load(i, k); return;
      case Op.SB: case Op.SH: case Op.SW: case Op.SD: this.store(i, k); return;
      case Op.LOAD_FP: case Op.STORE_FP: case Op.FP: this.fp(i, k); return;
      default: throw new Error(`wasm tier: op ${op} in a block body`);
    }
  }

  /** Instruction i wrote an x register: an access based on it is no longer known to hit the same page. */
  private forgetBase(i: Insn): void {
    const op = opOf(i.w0);
    const xw = op >= Op.LOAD_FP && op <= Op.FP ? fpRegs(fpKind(op, i.raw), i.raw).xw : writesRd(op) ? [rdOf(i.w0)] : [];
    for (const x of xw) for (let k = 0; k < 2; k++) if (this.last[k]?.rs1 === x) this.last[k] = null;
  }

  /** Leaves the region before instruction i (the block's (k+1)-th): the interpreter runs it. */
  private exitBefore(i: Insn, k: number): void {
    this.addN(k);
    this.exitTo(i.d);
  }

  /** Leaves before instruction i when the i32 on the stack is not zero. */
  private exitBeforeIf(i: Insn, k: number): void {
    this.open('if');
    this.exitBefore(i, k);
    this.close();
  }

  /** Leaves before instruction i unless the FP mode word has all of `bits`. */
  private fpGuard(i: Insn, k: number, bits: number): void {
    this.c.get(this.fpm).i32(bits).op(W.i32_and).i32(bits).op(W.i32_ne);
    this.exitBeforeIf(i, k);
  }

  private fp(i: Insn, k: number): void {
    const c = this.c;
    const raw = i.raw;
    const kind = fpKind(opOf(i.w0), raw);
    const rd = (raw >>> 7) & 31, rs1 = (raw >>> 15) & 31, rs2 = (raw >>> 20) & 31, f3 = (raw >>> 12) & 7;
    const f = (r: number): void => { c.get(this.freg[r]); };
    const fd = (): number => this.freg[rd];
    if (kind === FpKind.ARITH) this.fpGuard(i, k, f3 === 7 ? FP_ARITH_DYN : FP_ARITH_RNE);
    else this.fpGuard(i, k, FP_DIRTY);
    switch (kind) {
      case FpKind.LOAD_D: case FpKind.LOAD_W: {
        const w = kind === FpKind.LOAD_W;
        this.tlbCheck(rs1, i.imm, 0, w ? 4 : 8);
        this.open('if');
        this.fastAddr(0);
        if (w) c.mem(W.i64_load32_u, 0, 0).i64(0, -1).op(W.i64_or); // NaN-boxed
        else c.mem(W.i64_load, 0, 0);
        c.set(fd());
        c.else();
        if (w) {
          this.exitBefore(i, k); // the interpreter takes the slow path (a trap there keeps the register)
        } else {
          this.forgetPage();
          this.savePageBase();
          c.get(this.va);
          this.slowArgs(i, k, 3);
          f(rd);
          c.call(F_LOAD).set(fd());
          this.stopCheck();
        }
        this.close();
        return;
      }
      case FpKind.STORE_D: case FpKind.STORE_W: {
        const size = kind === FpKind.STORE_W ? 4 : 8;
        this.tlbCheck(rs1, i.imm, 1, size);
        this.open('if');
        this.fastAddr(1);
        f(rs2);
        c.mem(size === 4 ? W.i64_store32 : W.i64_store, 0, 0);
        c.else();
        this.forgetPage();
        this.savePageBase();
        c.get(this.va);
        this.slowArgs(i, k, size);
        f(rs2);
        c.call(F_STORE);
        this.stopCheck();
        this.close();
        return;
      }
      case FpKind.ARITH: {
        // t1 = the result's bits; run it only when it is a finite normal above the smallest normal
        const g = (raw >>> 27) & 3;
        f(rs1); c.op(W.f64_reinterpret_i64);
        f(rs2); c.op(W.f64_reinterpret_i64);
        c.op([W.f64_add, W.f64_sub, W.f64_mul, W.f64_div][g]).op(W.i64_reinterpret_f64).set(this.t1);
        c.get(this.t1).i64(-1, 0x7fffffff).op(W.i64_and).i64(1, 0x00100000).op(W.i64_sub).i64(-1, 0x7fdfffff).op(W.i64_ge_u);
        this.exitBeforeIf(i, k);
        c.get(this.t1).set(fd());
        return;
      }
      case FpKind.SGNJ: {
        // rm 0: sign of rs2; 1: its inverse; 2: xor of both signs (bit copies: NaNs keep their payload)
        f(rs1); c.i64(-1, 0x7fffffff).op(W.i64_and);
        if (f3 === 2) { f(rs1); f(rs2); c.op(W.i64_xor); } else if (f3 === 1) { f(rs2); c.i64(-1).op(W.i64_xor); } else f(rs2);
        c.i64(0, 0x80000000 | 0).op(W.i64_and).op(W.i64_or).set(fd());
        return;
      }
      case FpKind.CMP: {
        // a NaN operand (which may raise NV) leaves to the interpreter
        for (const r of [rs1, rs2]) {
          f(r); c.i64(-1, 0x7fffffff).op(W.i64_and).i64(0, 0x7ff00000).op(W.i64_gt_u);
          this.exitBeforeIf(i, k);
        }
        f(rs1); c.op(W.f64_reinterpret_i64);
        f(rs2); c.op(W.f64_reinterpret_i64);
        c.op([W.f64_le, W.f64_lt, W.f64_eq][f3]).op(W.i64_extend_i32_u);
        this.setX(rd);
        return;
      }
      case FpKind.MV_X_D: f(rs1); this.setX(rd); return;
      case FpKind.MV_D_X: this.x(rs1); c.set(fd()); return;
      default: throw new Error(`wasm tier: FP instruction ${raw >>> 0} is not translated`);
    }
  }

  /** mulhu(t1, t2) on the stack. */
  private mulhu(): void {
    if (this.m1 < 0) { this.m1 = this.c.local(I64); this.m2 = this.c.local(I64); this.m3 = this.c.local(I64); }
    emitMulhu(this.c, this.t1, this.t2, this.m1, this.m2, this.m3);
  }

  private div64(op: number, rd: number, rs1: number, rs2: number): void {
    const a = this.t1, b = this.t2;
    this.x(rs1); this.c.set(a); this.x(rs2); this.c.set(b);
    emitDiv64(this.c, op, a, b);
    this.setX(rd);
  }

  private div32(op: number, rd: number, rs1: number, rs2: number): void {
    const c = this.c, a = this.d1, b = this.d2;
    this.x(rs1); c.op(W.i32_wrap_i64).set(a); this.x(rs2); c.op(W.i32_wrap_i64).set(b);
    emitDiv32(c, op, a, b);
    this.setX(rd);
  }

  /**
   * va = x[rs1] + imm; vaLo[k]; leaves the fast-path condition on the stack
   * (k: 0 the load TLB, 1 the store TLB; `size` bytes). When the block's
   * previous access through the same TLB used the same base register, unchanged
   * since, and took the fast path (off[k] >= 0), the page is the same exactly
   * when its page offset plus the difference of the offsets stays inside the
   * page: then no TLB lookup (stack saves and restores, struct fields); else
   * the lookup as usual.
   */
  private tlbCheck(rs1: number, imm: number, k: number, size: number): void {
    const c = this.c;
    const vaLo = this.vaLo[k], off = this.off[k];
    const prev = this.last[k];
    this.last[k] = { rs1, imm };
    const reuse = prev !== null && prev.rs1 === rs1 && Math.abs(imm - prev.imm) < 4096;
    if (reuse) {
      c.get(vaLo).i32(0xfff).op(W.i32_and).i32(imm - prev.imm).op(W.i32_add).i32(0x1000 - size).op(W.i32_le_u);
      c.get(off).i32(0).op(W.i32_ge_s).op(W.i32_and);
    }
    this.x(rs1);
    c.i64(imm).op(W.i64_add).tee(this.va).op(W.i32_wrap_i64).set(vaLo);
    if (reuse) c.if(I32).i32(1).else();
    this.tlbLookup(k, size);
    if (reuse) c.end();
  }

  /** The TLB lookup for va (vaLo[k] set): leaves the fast-path condition, sets off[k]. */
  private tlbLookup(k: number, size: number): void {
    const c = this.c, L = this.L;
    const vaLo = this.vaLo[k], off = this.off[k];
    const tLo = k === 0 ? L.rtLo : L.wtLo, tHi = k === 0 ? L.rtHi : L.wtHi, tOff = k === 0 ? L.rtOff : L.wtOff;
    c.get(vaLo).i32(12).op(W.i32_shr_u).i32(L.tlbMask).op(W.i32_and).i32(2).op(W.i32_shl).set(this.ti);
    c.get(this.ti).mem(W.i32_load, tLo, 2).get(vaLo).i32(12).op(W.i32_shr_u).get(4).op(W.i32_or).op(W.i32_eq);
    c.get(this.ti).mem(W.i32_load, tHi, 2).get(this.va).i64(32).op(W.i64_shr_u).op(W.i32_wrap_i64).op(W.i32_eq).op(W.i32_and);
    c.get(this.ti).mem(W.i32_load, tOff, 2).tee(off).i32(0).op(W.i32_ge_s).op(W.i32_and);
    // the access must not cross the page end (a byte never does)
    if (size > 1) c.get(vaLo).i32(0xfff).op(W.i32_and).i32(0x1000 - size).op(W.i32_le_u).op(W.i32_and);
  }

  /** The fast path's RAM address (TLB k). */
  private fastAddr(k: number): void {
    this.c.get(this.off[k]).get(this.vaLo[k]).i32(0xfff).op(W.i32_and).op(W.i32_add);
  }

  /** In a slow path (which may fill or change either TLB): no last page is known to be fast any more. */
  private forgetPage(): void {
    this.c.i32(-1).set(this.off[0]).i32(-1).set(this.off[1]);
  }

  /** Leaves the page base at Scratch.PAGE_BASE for the slow-path helper (the pc of the instruction; written here, not per region call). */
  private savePageBase(): void {
    this.c.i32(0).get(this.vbase);
    if (this.pd !== 0) this.c.i64(this.pd * 4096).op(W.i64_add);
    this.c.mem(W.i64_store, this.L.scratch + Scratch.PAGE_BASE, 3);
  }

  /** The slow-path helpers' `at` (page offset, length, kind) and `retired` (the count before instruction i, the (k+1)-th of its block). */
  private slowArgs(i: Insn, k: number, kind: number): void {
    this.c.i32((i.d & 0xfff) | (lenOf(i.w0) << 12) | (kind << 16));
    this.c.get(this.n);
    if (k !== 0) this.c.i32(k).op(W.i32_add);
  }

  /** After a slow path: when it set the stop flag, leave (the helper wrote the next pc and the count). */
  private stopCheck(): void {
    this.c.i32(0).mem(W.i32_load, this.L.scratch + Scratch.STOP, 2).brIf(this.depthExit());
  }

  private load(i: Insn, k: number): void {
    const c = this.c;
    const op = opOf(i.w0), rd = rdOf(i.w0);
    const f3 = op - Op.LB;
    this.tlbCheck(rs1Of(i.w0), i.imm, 0, [1, 2, 4, 8, 1, 2, 4][f3]);
    this.open('if');
    this.fastAddr(0);
    c.mem([W.i64_load8_s, W.i64_load16_s, W.i64_load32_s, W.i64_load, W.i64_load8_u, W.i64_load16_u, W.i64_load32_u][f3], 0, 0);
    this.setX(rd);
    c.else();
    // a trap leaves the destination as it was (lds returns `old`); the hart has taken it, the caller rethrows
    this.forgetPage();
    this.savePageBase();
    c.get(this.va);
    this.slowArgs(i, k, f3);
    this.x(rd);
    c.call(F_LOAD);
    this.setX(rd);
    this.stopCheck();
    this.close();
  }

  private store(i: Insn, k: number): void {
    const c = this.c;
    const op = opOf(i.w0), rs2 = rs2Of(i.w0);
    const f3 = op - Op.SB;
    this.tlbCheck(rs1Of(i.w0), i.imm, 1, 1 << f3);
    this.open('if');
    this.fastAddr(1);
    this.x(rs2);
    c.mem([W.i64_store8, W.i64_store16, W.i64_store32, W.i64_store][f3], 0, 0);
    c.else();
    this.forgetPage();
    this.savePageBase();
    c.get(this.va);
    this.slowArgs(i, k, 1 << f3);
    this.x(rs2);
    c.call(F_STORE);
    this.stopCheck();
    this.close();
  }
}

const MAX_GROUPS = 8;

function maskOf(regs: readonly number[]): number {
  let m = 0;
  for (const x of regs) m |= 1 << x;
  return m >>> 0;
}

function writesRd(op: number): boolean {
  return (op >= Op.LUI && op <= Op.JALR) || (op >= Op.LB && op <= Op.LWU) || (op >= Op.ADDI && op <= Op.REMUW);
}

function readsRs1(op: number): boolean {
  return op === Op.JALR || (op >= Op.BEQ && op <= Op.REMUW);
}

function readsRs2(op: number): boolean {
  return (op >= Op.BEQ && op <= Op.BGEU) || (op >= Op.SB && op <= Op.SD) || (op >= Op.ADD && op <= Op.AND) || (op >= Op.ADDW && op <= Op.REMUW && op !== Op.SLLIW);
}
