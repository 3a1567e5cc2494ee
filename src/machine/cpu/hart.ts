/**
 * One RV64IMAFDC hart: registers, CSRs, traps, Sv39 MMU with software TLBs,
 * and the interpreter loop.
 *
 * 64-bit values are (hi, lo) pairs of int32 so the hot path never touches
 * BigInt or boxes numbers. Every access goes through a direct-mapped TLB per
 * access kind whose tag includes the effective privilege, SUM and MXR, so
 * privilege switches and SUM toggles need no flush. A store TLB entry is
 * created only for a page already marked dirty (and not write-protected: the
 * fill runs the RAM's protection hook first), which makes the dirty log and
 * copy-on-write capture free on the store fast path; clearing the log or
 * protecting pages drops the store TLB.
 */
import type { Bus } from '../bus.js';
import type { GuestMemory } from '../memory.js';
import type { StateRecord, Stateful } from '../state.js';
import { expectVersion } from '../state.js';
import { CodeCache } from './code-cache.js';
import { HART_STAT_COUNT, HartStat } from './hart-stats.js';
import { Op, SLOT_WORDS, slotIndex } from './decoded.js';
import { decodeInto } from './decoder.js';
import { engineFactory, engineHotThreshold, resolveEngine, type EngineName, type Translator, type TranslatorFactory, type TranslatorStats } from './engines.js';
import type { BlockFn, GuestViews, HartRuntime } from './runtime.js';
import { TLB_FAST_MAX_OFFSET, TLB_MASK, TLB_SIZE, TLB_SLOW_DATA, type TlbArrays } from './tlb.js';
import { execFp, type FpContext } from './fpu.js';
import type { Instrumentation } from './instrumentation.js';
import { Pmp, PMP_PARTIAL, PMP_R, PMP_W, PMP_X } from './pmp.js';
import { r, mul64, mulh, div64 } from './int64.js';
import { Access, Cause, TRAP_TAKEN } from './trap.js';
import { DEBUG_STOP, addrKey, pageKey, type DebugHooks } from './debug-hooks.js';
import { engineArrays, HartWord, privateHartState, Scratch } from './wasm/engine-area.js';
import { BLK_CACHE_SIZE, Exit, HEAT_SIZE, Header, RUN_REGIONS, RUN_REGION_EXIT, WasmInterpreter, interpArea, type WasmInterpreterStats } from './wasm/interpreter.js';
import { fpModeOf } from './wasm/fp.js';
import './wasm/wasm-tier.js'; // registers the 'wasm' engine
import {
  CSR, MS_SIE, MS_MIE, MS_SPIE, MS_MPIE, MS_SPP, MS_MPP, MS_MPP_SHIFT, MS_FS, MS_MPRV, MS_SUM, MS_MXR,
  MS_TVM, MS_TW, MS_TSR, MSTATUS_WMASK, SSTATUS_MASK, MSTATUS_HI, SSTATUS_HI, MIP_WRITABLE, MIE_MASK,
  MEDELEG_MASK, MIDELEG_MASK, MISA_LO, MISA_HI,
} from './csr-numbers.js';

const TWO32 = 4294967296;
/** Interrupt priority order (highest first): MEI, MSI, MTI, SEI, SSI, STI. */
const IRQ_ORDER = [11, 3, 7, 9, 1, 5];
const PMP_ENTRIES = 16;
const BLOCK_CACHE_MASK = BLK_CACHE_SIZE - 1;
/** Region-key bases of 2 MiB and 1 GiB superpages (see Hart.superRegions). */
const SUPER_L1 = 1 << 27;
const SUPER_L2 = 2 << 27;
/** Executions of a block leader before it is translated. */
export const BLOCK_HOT = 20000;
/**
 * Hot limit meaning "never translate": above anything `++heat[i]` on a
 * Uint16Array can yield, and a small integer, not Infinity (a heap number in
 * the loop's comparison deoptimized it once per boot of the interpreter).
 */
const NEVER_HOT = 1 << 17;
/**
 * Initial value of number fields that later hold values beyond int32 (physical
 * addresses above 2^31): -0 is never a small integer, so V8 gives the field a
 * double representation from the start. Starting from 0 and later storing
 * 0x8000_0000 changed the field's representation, which deprecated the Hart's
 * map and threw the optimized interpreter loop away in the middle of a boot.
 */
const DOUBLE_FIELD = -0;
/** Marks a leader whose block cannot be translated (its first instruction is not translatable). */
const NO_BLOCK: BlockFn = () => 0;

export interface HartOptions {
  hartId: number;
  /** Guest time in timebase ticks, for the `time` CSR. */
  time: () => number;
  /** Translate hot blocks (default true; false is engine 'interpreter': where `new Function` is forbidden, or to compare). */
  translate?: boolean;
  /** Execution engine (engines.ts): 'interpreter', 'js', 'wasm' or another registered tier; default DEFAULT_ENGINE ('wasm' where WebAssembly has shared memory, else 'js'). */
  engine?: EngineName;
  /**
   * Executions of a block leader before it is translated (default: the
   * engine's own, see registerEngine, else BLOCK_HOT).
   * 0 translates every block at its first execution (lockstep tests). Never
   * changes what the guest computes, only how fast.
   */
  hotThreshold?: number;
}

export class Hart implements FpContext, Stateful, HartRuntime {
  readonly xLo = new Int32Array(32);
  readonly xHi = new Int32Array(32);
  readonly fLo = new Int32Array(32);
  readonly fHi = new Int32Array(32);
  fflags = 0;
  frm = 0;
  pcLo = 0;
  pcHi = 0;
  /** 0 = U, 1 = S, 3 = M. */
  priv = 3;
  /** Instructions retired: the landmark for replay. */
  instret = 0;
  /** Slow-path event counters, indexed by HartStat (hart-stats.ts); observation only. */
  readonly stats = new Float64Array(HART_STAT_COUNT);
  /** Set by WFI until an interrupt becomes pending. */
  waiting = false;
  /** Set to end the current run() slice early (interrupt state may have changed). */
  sliceStop = false;

  /**
   * State the wasm interpreter also reads and writes (AMO, LR/SC, sstatus): in
   * the engine area when the hart has one (wasm/engine-area.ts, layout
   * HartWord), behind the accessors below, so every other user is unchanged.
   */
  private readonly hs: Int32Array<ArrayBuffer>;

  // CSRs
  get mstatus(): number { return this.hs[HartWord.MSTATUS]; }
  set mstatus(v: number) { this.hs[HartWord.MSTATUS] = v; }
  medeleg = 0;
  mideleg = 0;
  get mie(): number { return this.hs[HartWord.MIE]; }
  set mie(v: number) { this.hs[HartWord.MIE] = v; }
  /** Software-writable pending bits (SSIP, STIP, SEIP). */
  get mipSw(): number { return this.hs[HartWord.MIP_SW]; }
  set mipSw(v: number) { this.hs[HartWord.MIP_SW] = v; }
  /** Pending bits driven by devices (MSIP, MTIP, MEIP, SEIP). */
  get mipHw(): number { return this.hs[HartWord.MIP_HW]; }
  set mipHw(v: number) { this.hs[HartWord.MIP_HW] = v; }
  mtvecLo = 0; mtvecHi = 0;
  stvecLo = 0; stvecHi = 0;
  mepcLo = 0; mepcHi = 0;
  sepcLo = 0; sepcHi = 0;
  mcauseLo = 0; mcauseHi = 0;
  scauseLo = 0; scauseHi = 0;
  mtvalLo = 0; mtvalHi = 0;
  stvalLo = 0; stvalHi = 0;
  mscratchLo = 0; mscratchHi = 0;
  sscratchLo = 0; sscratchHi = 0;
  satpLo = 0; satpHi = 0;
  mcounteren = 0;
  scounteren = 0;
  menvcfg = 0;
  senvcfg = 0;
  mcountinhibit = 0;
  /** Added to instret for the minstret and mcycle CSR views (guest writes move them, not the landmark). */
  instretOffset = 0;
  cycleOffset = 0;
  /** CSR values held while mcountinhibit stops a counter. */
  instretFrozen = 0;
  cycleFrozen = 0;
  /** Checked when a TLB entry is filled and on page-table accesses; CSR writes flush the TLBs. */
  readonly pmp = new Pmp(PMP_ENTRIES);
  readonly pmpcfg = this.pmp.cfg;
  readonly pmpaddrLo = this.pmp.addrLo;
  readonly pmpaddrHi = this.pmp.addrHi;

  // LR/SC reservation (physical address), in the hart state words (hs) like mstatus
  get resValid(): boolean { return this.hs[HartWord.RES_VALID] !== 0; }
  set resValid(v: boolean) { this.hs[HartWord.RES_VALID] = v ? 1 : 0; }
  /** Reservation's physical address. */
  get resAddr(): number { return (this.hs[HartWord.RES_ADDR_HI] >>> 0) * TWO32 + (this.hs[HartWord.RES_ADDR_LO] >>> 0); }
  set resAddr(v: number) { this.hs[HartWord.RES_ADDR_LO] = v % TWO32; this.hs[HartWord.RES_ADDR_HI] = Math.floor(v / TWO32); }
  /** Value seen by LR: SC compares against it, as QEMU does (a store to the word makes SC fail). */
  get resValLo(): number { return this.hs[HartWord.RES_LO]; }
  set resValLo(v: number) { this.hs[HartWord.RES_LO] = v; }
  get resValHi(): number { return this.hs[HartWord.RES_HI]; }
  set resValHi(v: number) { this.hs[HartWord.RES_HI] = v; }
  get resSize(): number { return this.hs[HartWord.RES_SIZE]; }
  set resSize(v: number) { this.hs[HartWord.RES_SIZE] = v; }

  // Derived state
  private satpPpn = DOUBLE_FIELD;
  private satpOn = false;
  private iKey = 3 << 20;
  private dKey = 3 << 20;

  // TLBs: tags are (vpn | key, vaHi); off = RAM offset of the page or -1 for MMIO.
  readonly itLo = new Int32Array(TLB_SIZE).fill(-1);
  readonly itHi = new Int32Array(TLB_SIZE);
  readonly itOff = new Int32Array(TLB_SIZE);
  readonly rtLo = new Int32Array(TLB_SIZE).fill(-1);
  readonly rtHi = new Int32Array(TLB_SIZE);
  readonly rtOff = new Int32Array(TLB_SIZE);
  private readonly rtPa = new Float64Array(TLB_SIZE);
  readonly wtLo = new Int32Array(TLB_SIZE).fill(-1);
  readonly wtHi = new Int32Array(TLB_SIZE);
  readonly wtOff = new Int32Array(TLB_SIZE);
  private readonly wtPa = new Float64Array(TLB_SIZE);

  private readonly m8: Int8Array;
  private readonly u8: Uint8Array;
  private readonly m16: Int16Array;
  private readonly u16: Uint16Array;
  private readonly m32: Int32Array;
  private readonly ramBase: number;
  private readonly ramEnd: number;
  private readonly hartId: number;
  private readonly timeFn: () => number;

  // Translated blocks, keyed by the RAM offset of their first instruction.
  private readonly blocks = new Map<number, BlockFn>();

  /** Inspection: how many translated blocks are live (tests and statistics; 0 with translation off). */
  get translatedBlocks(): number {
    return this.blocks.size;
  }
  private readonly pageBlocks = new Map<number, number[]>();
  /** One byte per RAM page: 1 when translated blocks were made from it (stores to it take the slow path). */
  private readonly codeWatch: Uint8Array;
  /** One byte per RAM page: 1 when blocks were translated from it (the leader looks blocks up only there). */
  private readonly blockPages: Uint8Array;
  /** Execution counts of block leaders (hashed by RAM offset): hot ones get translated. (In the code area with the wasm interpreter, which counts too.) */
  private readonly heat: Uint16Array;
  /** Direct-mapped cache in front of `blocks` (tag = RAM offset, -1 = empty). (In the code area with the wasm interpreter, which reads it.) */
  private readonly blkTag: Int32Array;
  /** The wasm interpreter (wasm/interpreter.ts: engine `wasm` and `wasm-interp`), null: none; used by `loop` while `winterpOn`. */
  private readonly winterp: WasmInterpreter | null = null;
  private winterpOn = false;
  /** RUN_REGIONS once the translator lets the wasm interpreter call its compiled regions (Translator.linkInterpreter), else 0. */
  private runRegions = 0;
  /** The FP mode word regions read (engine area, Scratch.FP_MODE), written by enterGenerated. */
  private readonly fpModeWord: Int32Array;
  /** instret where the running generated code's counts start (runtime.ts). */
  countBase = 0;
  private readonly blkVal: Array<BlockFn | undefined> = new Array<BlockFn | undefined>(BLOCK_CACHE_MASK + 1).fill(undefined);
  /** Decoded instructions per physical page (code-cache.ts). */
  readonly code: CodeCache;
  readonly mem: GuestViews;
  readonly tlb: TlbArrays;
  private readonly translatorFactory: TranslatorFactory | null;
  private translator: Translator | null = null;
  /** Leader executions before translation (NEVER_HOT: translation off). */
  private hotLimit: number;
  private readonly translateOption: boolean;
  private readonly hotThreshold: number;
  /** Debugger hooks (debug-hooks.ts); null: none, and no cost. */
  private debug: DebugHooks | null = null;
  /** Set when a debug hook stopped the hart; the machine reports it (`{ kind: 'debug' }`) and clears it. */
  debugStopped = false;
  /** Attached instrumentation (null: none; the run loop checks once per slice). */
  private instr: Instrumentation | null = null;
  /** ORed into the interpreter's data TLB key: nonzero makes every load and store miss the fast path (memory hooks). */
  private slowData = 0;

  // scratch results of slow-path accesses
  resLo = 0;
  resHi = 0;
  /** Physical address of the last slow-path translation. */
  private tPa = 0;

  constructor(
    private readonly bus: Bus,
    private readonly ram: GuestMemory,
    options: HartOptions,
  ) {
    // the wasm tier reads registers and data TLBs inline: they live in RAM's engine area (wasm/engine-area.ts)
    const ea = engineArrays(ram);
    const engine = resolveEngine(options); // absent: the default engine, which may be 'wasm'
    this.hs = ea !== null ? ea.hartState : privateHartState();
    this.fpModeWord = ea !== null ? new Int32Array(ea.buffer, ea.scratch + Scratch.FP_MODE, 1) : new Int32Array(1);
    this.translateOption = engine !== 'interpreter';
    // the wasm interpreter runs cold code of the wasm engines; its arrays live in the code area after the engine area
    const ia = ea !== null && (engine === 'wasm' || engine === 'wasm-interp') ? interpArea(ram) : null;
    this.heat = ia !== null ? ia.heat : new Uint16Array(HEAT_SIZE);
    this.blkTag = ia !== null ? ia.blkTag : new Int32Array(BLK_CACHE_SIZE).fill(-1);
    if (ea !== null) {
      this.xLo = ea.xLo; this.xHi = ea.xHi; this.fLo = ea.fLo; this.fHi = ea.fHi;
      this.rtLo = ea.rtLo; this.rtHi = ea.rtHi; this.rtOff = ea.rtOff;
      this.wtLo = ea.wtLo; this.wtHi = ea.wtHi; this.wtOff = ea.wtOff;
      this.itLo = ea.itLo; this.itHi = ea.itHi; this.itOff = ea.itOff;
    }
    this.m8 = new Int8Array(ram.buffer, 0, ram.size);
    this.u8 = ram.u8;
    this.m16 = new Int16Array(ram.buffer, 0, ram.size >>> 1);
    this.u16 = ram.u16;
    this.m32 = ram.i32;
    this.ramBase = ram.base;
    this.ramEnd = ram.base + ram.size;
    this.hartId = options.hartId;
    this.timeFn = options.time;
    this.hotThreshold = Math.max(1, options.hotThreshold ?? engineHotThreshold(engine) ?? BLOCK_HOT);
    this.translatorFactory = this.translateOption ? engineFactory(engine) : null;
    this.hotLimit = this.translateOption && this.translatorFactory !== null ? this.hotThreshold : NEVER_HOT;
    ram.onClearDirty(() => this.wtLo.fill(-1));
    ram.onDropTranslations(() => this.flushTlb());
    this.codeWatch = ram.codeWatch;
    this.blockPages = new Uint8Array(ram.pages);
    this.code = new CodeCache(ram, ia !== null ? ia.decoded : null);
    this.mem = { m8: this.m8, u8: this.u8, m16: this.m16, u16: this.u16, m32: this.m32 };
    this.tlb = this;
    if (ea !== null && ia !== null) {
      this.winterp = new WasmInterpreter(ea, ia);
      this.winterpOn = true;
    }
    ram.onCodeWrite((page) => this.invalidateCodePage(page));
  }

  reset(pc: number): void {
    this.xLo.fill(0);
    this.xHi.fill(0);
    this.fLo.fill(0);
    this.fHi.fill(0);
    this.fflags = 0;
    this.frm = 0;
    this.setPc(pc);
    this.priv = 3;
    this.mstatus = 0;
    this.medeleg = this.mideleg = this.mie = this.mipSw = 0;
    this.satpLo = this.satpHi = 0;
    this.mtvecLo = this.mtvecHi = 0;
    this.pmp.reset();
    this.resValid = false;
    this.waiting = false;
    this.invalidateAllCode();
    this.updateSatp();
  }

  setPc(pc: number): void {
    this.pcLo = pc | 0;
    this.pcHi = Math.floor(pc / TWO32) | 0;
  }

  /** Device interrupt line into mip. */
  setPending(bit: number, level: boolean): void {
    const m = 1 << bit;
    const before = this.mipHw;
    this.mipHw = level ? before | m : before & ~m;
    if (this.mipHw !== before) this.sliceStop = true;
  }

  get mip(): number {
    return this.mipSw | this.mipHw;
  }

  /** True when some interrupt is pending and enabled in mie (what ends WFI). */
  interruptPending(): boolean {
    return ((this.mipSw | this.mipHw) & this.mie) !== 0;
  }

  flushTlb(): void {
    this.stats[HartStat.tlbFlushes]++;
    this.superRegions.clear();
    this.itLo.fill(-1);
    this.rtLo.fill(-1);
    this.wtLo.fill(-1);
  }

  // ---------------------------------------------------------------- debug hooks

  /**
   * Attaches debugger hooks (null detaches); see debug-hooks.ts. While
   * attached the hart only interprets (translated blocks are dropped, none are
   * made), pages holding breakpoints get no fetch TLB entry, and watched pages
   * no data TLB entry, so those fetches and accesses reach the slow paths,
   * where the hooks are asked.
   */
  setDebugHooks(hooks: DebugHooks | null): void {
    this.debug = hooks;
    this.updateHotLimit();
    this.invalidateAllCode();
    this.flushTlb();
  }

  /** The hooks' breakpoint or watched pages changed: drop cached translations so fetches and accesses on them take the slow path. */
  debugHooksChanged(): void {
    this.flushTlb();
  }

  /** A fetch on a page holding breakpoints (fields pcLo/pcHi/instret are current): ask the hook if pc is one. */
  /** Translation runs only with no debugger or instrumentation attached (they need every instruction interpreted). */
  private updateHotLimit(): void {
    this.hotLimit = this.debug === null && this.instr === null && this.translateOption && this.translatorFactory !== null ? this.hotThreshold : NEVER_HOT;
    this.winterpOn = this.winterp !== null && this.debug === null && this.instr === null; // debuggers and instrumentation see every instruction in JavaScript
  }

  private debugFetch(pcLo: number, pcHi: number): void {
    const dbg = this.debug as DebugHooks;
    if (dbg.breakpoints.has(addrKey(pcLo, pcHi)) && dbg.breakpoint(pcLo, pcHi)) this.debugStop();
  }

  private debugStop(): never {
    this.debugStopped = true;
    this.sliceStop = true;
    throw DEBUG_STOP;
  }

  /** A data access on a watched page is about to happen (fields pcLo/pcHi/instret are current). */
  private debugAccess(vaLo: number, vaHi: number, size: number, write: boolean): void {
    const dbg = this.debug;
    if (dbg !== null && dbg.watchPages.has(pageKey(vaLo, vaHi)) && dbg.access(vaLo, vaHi, size, write)) this.debugStop();
  }

  // ---------------------------------------------------------------- instrumentation

  /**
   * Attaches instrumentation (null detaches). While attached the hart only
   * interprets (translated blocks are dropped: translation never changes what
   * the guest computes), and memory hooks force loads and stores onto the
   * slow path. See instrumentation.ts.
   */
  instrument(instr: Instrumentation | null): void {
    this.instr = instr;
    this.slowData = instr !== null && (instr.memRead !== undefined || instr.memWrite !== undefined) ? TLB_SLOW_DATA : 0;
    this.updateHotLimit();
    this.invalidateAllCode();
    this.fallLo = this.fallHi = -1;
  }

  get instrumentation(): Instrumentation | null {
    return this.instr;
  }

  // ---------------------------------------------------------------- interpreter

  /** Executes up to `limit` instructions; stops early when `sliceStop` is set. Returns instructions retired. */
  run(limit: number): number {
    const start = this.instret;
    const end = start + limit;
    this.sliceStop = false;
    const instr = this.instr;
    const stats = this.stats;
    stats[HartStat.runs]++;
    while (this.instret < end && !this.sliceStop) {
      try {
        if (instr === null) this.loop(end);
        else this.stepInstrumented(end, instr);
      } catch (e) {
        if (e === DEBUG_STOP) break;
        if (e !== TRAP_TAKEN) throw e;
        stats[HartStat.trapsThrown]++;
      }
    }
    if (this.instret < end) stats[HartStat.sliceStops]++;
    return this.instret - start;
  }

  /** pc the previous instrumented instruction falls through to (block detection); -1/-1: none. */
  private fallLo = -1;
  private fallHi = -1;

  /**
   * The instrumented interpreter: fetches like the loop (same TLB fills and
   * faults, in the same order), reports the instruction, then lets the loop
   * execute exactly that one instruction.
   */
  private stepInstrumented(end: number, instr: Instrumentation): void {
    while (this.instret < end && !this.sliceStop) {
      const pcLo = this.pcLo, pcHi = this.pcHi;
      const ii = (pcLo >>> 12) & TLB_MASK;
      // insnStart false: a debugger's breakpoint is asked by the loop's own fetch, once
      const off = this.itLo[ii] === ((pcLo >>> 12) | this.iKey) && this.itHi[ii] === pcHi ? this.itOff[ii] + (pcLo & 0xfff) : this.fetchFill(pcLo, pcHi, false);
      // the decoded slot gives the expanded instruction (0 for an illegal compressed parcel) and its length
      let w = this.code.pages[off >>> 12];
      let i = slotIndex(off & 0xfff);
      if (w[i] === 0) { w = this.decodeAt(off, pcLo, pcHi); i = this.decodedIndex; }
      const len = w[i] >>> 29;
      const insn = (w[i] & 0xff) === Op.ILLEGAL && len === 2 ? 0 : w[i + 2];
      if (instr.block !== undefined && (pcLo !== this.fallLo || pcHi !== this.fallHi)) instr.block(pcLo, pcHi, this.priv);
      instr.insn?.(pcLo, pcHi, this.ramBase + off, insn, len, this.priv);
      const n = (pcLo + len) | 0;
      this.fallLo = n;
      this.fallHi = (n >>> 0) < len ? (pcHi + 1) | 0 : pcHi;
      this.loop(this.instret + 1);
    }
  }

  private loop(end: number): void {
    const xl = this.xLo, xh = this.xHi;
    const cpages = this.code.pages;
    const m8 = this.m8, u8 = this.u8, m16 = this.m16, u16 = this.u16, m32 = this.m32;
    const itLo = this.itLo, itHi = this.itHi, itOff = this.itOff;
    const rtLo = this.rtLo, rtHi = this.rtHi, rtOff = this.rtOff;
    const wtLo = this.wtLo, wtHi = this.wtHi, wtOff = this.wtOff;

    // pc, instret and the TLB keys live in locals; they are written back to the
    // fields before anything that can trap or read them (slow paths, CSRs, system).
    let pcLo = this.pcLo, pcHi = this.pcHi;
    let count = this.instret;
    let iKey = this.iKey, dKey = this.dKey | this.slowData;
    let stop = false;
    // true when pc may start a block: after a jump, branch, trap, xRET or another block
    let leader = true;
    // RAM offset of pc when it follows the previous instruction in the same page, whose fetch hit
    // the TLB (so the entry still maps it: only execSlot instructions, which make a leader, change
    // mappings); -1: look pc up in the TLB
    let seq = -1;
    const blockPages = this.blockPages, heat = this.heat, blkTag = this.blkTag, blkVal = this.blkVal, hotLimit = this.hotLimit;
    // the wasm interpreter runs what it can before each instruction this loop executes (wasm/interpreter.ts)
    const wi = this.winterpOn ? this.winterp : null;
    const wh = this.winterp !== null ? this.winterp.header : blkTag;
    // with the wasm tier linked, the wasm interpreter runs compiled regions itself (runRegions, read at every
    // run: the tier is made inside this loop); a blockHook sees each
    const hookExit = this.blockHook !== null ? RUN_REGION_EXIT : 0;
    while (count < end && !stop) {
      if (wi !== null) {
        // for the regions it may call, as a BlockFn does before its dispatch (nothing here is conditional: no
        // path of this loop without type feedback)
        this.enterGenerated(count);
        const n = wi.run(pcLo, pcHi, Math.min(end - count, 0x3fffffff), dKey, iKey, leader ? 1 : 0, hotLimit, this.runRegions | hookExit);
        leader = wh[Header.LEADER] !== 0;
        if (n !== 0 || wh[Header.REASON] >= Exit.REGION) {
          count += n;
          pcLo = wh[Header.PC_LO];
          pcHi = wh[Header.PC_HI];
          seq = -1;
          // (after a trap the hook is not called, as when a block's trap is thrown: instret is the faulting instruction's)
          if (this.blockHook !== null && wh[Header.REASON] !== Exit.TRAP) { this.pcLo = pcLo; this.pcHi = pcHi; this.instret = count; this.blockHook(); }
          // Exit.REGION: a region stopped it (MMIO, interrupt state: sliceStop; a code write) or the hook wants
          // every region; Exit.TRAP: a region took a trap (pc is the handler's): the slice goes on in a fresh loop
          if (count >= end || wh[Header.REASON] >= Exit.REGION) break;
        }
      }
      // ---- fetch
      let off: number;
      let hit = true;
      if (seq >= 0) off = seq;
      else {
        const ipn = pcLo >>> 12;
        const ii = ipn & TLB_MASK;
        if (itLo[ii] === (ipn | iKey) && itHi[ii] === pcHi) off = itOff[ii] + (pcLo & 0xfff);
        else { this.pcLo = pcLo; this.pcHi = pcHi; this.instret = count; off = this.fetchFill(pcLo, pcHi) | 0; hit = false; } // | 0: a small integer, as on the TLB hit (a heap number here deoptimized the loop)
      }
      if (leader) {
        leader = false;
        let blk: BlockFn | undefined;
        if (blockPages[off >>> 12] !== 0) {
          const ci = (off >>> 1) & BLOCK_CACHE_MASK;
          blk = blkTag[ci] === off ? blkVal[ci] : this.lookupBlock(off);
        }
        if (blk === undefined) {
          const hk = (off >>> 1) & 0xffff;
          if (++heat[hk] >= hotLimit) { heat[hk] = 0; this.pcLo = pcLo; this.pcHi = pcHi; blk = this.translate(off); } // the pc: where the wasm tier looks for the pages around
        }
        if (blk !== undefined) {
          let n = blk(pcLo, pcHi, count, end, dKey);
          this.codeExit = false;
          if (n > 0) {
            // chain block to block while the next pc stays in this page: no TLB, no map
            for (;;) {
              count += n;
              const nLo = this.nextLo, nHi = this.nextHi;
              if (this.blockHook !== null) { this.pcLo = nLo; this.pcHi = nHi; this.instret = count; this.blockHook(); }
              if (this.sliceStop || count >= end || nHi !== pcHi || (nLo >>> 12) !== (pcLo >>> 12)) { pcLo = nLo; pcHi = nHi; break; }
              pcLo = nLo;
              off = (off & ~0xfff) | (nLo & 0xfff);
              const ci = (off >>> 1) & BLOCK_CACHE_MASK;
              if (blkTag[ci] !== off) break;
              n = (blkVal[ci] as BlockFn)(pcLo, pcHi, count, end, dKey);
              this.codeExit = false;
              if (n === 0) break;
            }
            stop = this.sliceStop;
            leader = true;
            seq = -1;
            continue;
          }
        }
      }
      // ---- decoded instruction (decoded.ts): decoded on first execution, cached per physical page
      let w = cpages[off >>> 12];
      let i = (off & 0xffe) << 1;
      let w0 = w[i];
      if (w0 === 0) {
        this.pcLo = pcLo; this.pcHi = pcHi; this.instret = count;
        w = this.decodeAt(off, pcLo, pcHi);
        i = this.decodedIndex;
        w0 = w[i];
      }
      const ilen = w0 >>> 29;
      let npcLo = (pcLo + ilen) | 0;
      let npcHi = pcHi;
      if ((npcLo >>> 0) < ilen) npcHi = (npcHi + 1) | 0;
      const rd = (w0 >>> 8) & 31;
      const rs1 = (w0 >>> 16) & 31;

      switch (w0 & 0xff) {
        case Op.NOP: case Op.FENCE: break;
        case Op.ADDI: {
          const s = (xl[rs1] >>> 0) + w[i + 1];
          xl[rd] = s | 0;
          xh[rd] = (xh[rs1] + (s < 0 ? -1 : s > 0xffffffff ? 1 : 0)) | 0;
          break;
        }
        case Op.SLLI: {
          const sh = w[i + 1], aLo = xl[rs1], aHi = xh[rs1];
          if (sh === 0) { xl[rd] = aLo; xh[rd] = aHi; } else if (sh < 32) { xh[rd] = (aHi << sh) | (aLo >>> (32 - sh)); xl[rd] = aLo << sh; } else { xh[rd] = aLo << (sh - 32); xl[rd] = 0; }
          break;
        }
        case Op.SLTI: {
          const imm = w[i + 1], aHi = xh[rs1], bHi = imm >> 31;
          xl[rd] = (aHi < bHi || (aHi === bHi && (xl[rs1] >>> 0) < (imm >>> 0))) ? 1 : 0;
          xh[rd] = 0;
          break;
        }
        case Op.SLTIU: {
          const imm = w[i + 1], aHi = xh[rs1], bHi = imm >> 31;
          xl[rd] = ((aHi >>> 0) < (bHi >>> 0) || (aHi === bHi && (xl[rs1] >>> 0) < (imm >>> 0))) ? 1 : 0;
          xh[rd] = 0;
          break;
        }
        case Op.XORI: { const imm = w[i + 1]; xl[rd] = xl[rs1] ^ imm; xh[rd] = xh[rs1] ^ (imm >> 31); break; }
        case Op.ORI: { const imm = w[i + 1]; xl[rd] = xl[rs1] | imm; xh[rd] = xh[rs1] | (imm >> 31); break; }
        case Op.ANDI: { const imm = w[i + 1]; xl[rd] = xl[rs1] & imm; xh[rd] = xh[rs1] & (imm >> 31); break; }
        case Op.SRLI: {
          const sh = w[i + 1], aLo = xl[rs1], aHi = xh[rs1];
          if (sh === 0) { xl[rd] = aLo; xh[rd] = aHi; } else if (sh < 32) { xl[rd] = (aLo >>> sh) | (aHi << (32 - sh)); xh[rd] = aHi >>> sh; } else { xl[rd] = aHi >>> (sh - 32); xh[rd] = 0; }
          break;
        }
        case Op.SRAI: {
          const sh = w[i + 1], aLo = xl[rs1], aHi = xh[rs1];
          if (sh === 0) { xl[rd] = aLo; xh[rd] = aHi; } else if (sh < 32) { xl[rd] = (aLo >>> sh) | (aHi << (32 - sh)); xh[rd] = aHi >> sh; } else { xl[rd] = aHi >> (sh - 32); xh[rd] = aHi >> 31; }
          break;
        }
        case Op.ADD: {
          // carry from an int32 add and an unsigned compare: a uint32 sum above 2^32 made V8 deoptimize this loop ("lost precision")
          const rs2 = (w0 >>> 24) & 31;
          const a = xl[rs1], lo = (a + xl[rs2]) | 0;
          xh[rd] = (xh[rs1] + xh[rs2] + ((lo >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
          xl[rd] = lo;
          break;
        }
        case Op.SUB: {
          const rs2 = (w0 >>> 24) & 31;
          const s = (xl[rs1] >>> 0) - (xl[rs2] >>> 0);
          xh[rd] = (xh[rs1] - xh[rs2] - (s < 0 ? 1 : 0)) | 0;
          xl[rd] = s | 0;
          break;
        }
        case Op.SLL: {
          const sh = xl[(w0 >>> 24) & 31] & 63, aLo = xl[rs1], aHi = xh[rs1];
          if (sh === 0) { xl[rd] = aLo; xh[rd] = aHi; } else if (sh < 32) { xh[rd] = (aHi << sh) | (aLo >>> (32 - sh)); xl[rd] = aLo << sh; } else { xh[rd] = aLo << (sh - 32); xl[rd] = 0; }
          break;
        }
        case Op.SLT: {
          const rs2 = (w0 >>> 24) & 31, aHi = xh[rs1], bHi = xh[rs2];
          xl[rd] = (aHi < bHi || (aHi === bHi && (xl[rs1] >>> 0) < (xl[rs2] >>> 0))) ? 1 : 0;
          xh[rd] = 0;
          break;
        }
        case Op.SLTU: {
          const rs2 = (w0 >>> 24) & 31, aHi = xh[rs1], bHi = xh[rs2];
          xl[rd] = ((aHi >>> 0) < (bHi >>> 0) || (aHi === bHi && (xl[rs1] >>> 0) < (xl[rs2] >>> 0))) ? 1 : 0;
          xh[rd] = 0;
          break;
        }
        case Op.XOR: { const rs2 = (w0 >>> 24) & 31; xh[rd] = xh[rs1] ^ xh[rs2]; xl[rd] = xl[rs1] ^ xl[rs2]; break; }
        case Op.OR: { const rs2 = (w0 >>> 24) & 31; xh[rd] = xh[rs1] | xh[rs2]; xl[rd] = xl[rs1] | xl[rs2]; break; }
        case Op.AND: { const rs2 = (w0 >>> 24) & 31; xh[rd] = xh[rs1] & xh[rs2]; xl[rd] = xl[rs1] & xl[rs2]; break; }
        case Op.SRL: {
          const sh = xl[(w0 >>> 24) & 31] & 63, aLo = xl[rs1], aHi = xh[rs1];
          if (sh === 0) { xl[rd] = aLo; xh[rd] = aHi; } else if (sh < 32) { xl[rd] = (aLo >>> sh) | (aHi << (32 - sh)); xh[rd] = aHi >>> sh; } else { xl[rd] = aHi >>> (sh - 32); xh[rd] = 0; }
          break;
        }
        case Op.SRA: {
          const sh = xl[(w0 >>> 24) & 31] & 63, aLo = xl[rs1], aHi = xh[rs1];
          if (sh === 0) { xl[rd] = aLo; xh[rd] = aHi; } else if (sh < 32) { xl[rd] = (aLo >>> sh) | (aHi << (32 - sh)); xh[rd] = aHi >> sh; } else { xl[rd] = aHi >> (sh - 32); xh[rd] = aHi >> 31; }
          break;
        }
        case Op.ADDIW: { const v = (xl[rs1] + w[i + 1]) | 0; xl[rd] = v; xh[rd] = v >> 31; break; }
        case Op.SLLIW: { const v = xl[rs1] << w[i + 1]; xl[rd] = v; xh[rd] = v >> 31; break; }
        case Op.SRLIW: { const v = xl[rs1] >>> w[i + 1]; xl[rd] = v; xh[rd] = v >> 31; break; }
        case Op.SRAIW: { const v = xl[rs1] >> w[i + 1]; xl[rd] = v; xh[rd] = v >> 31; break; }
        case Op.ADDW: { const v = (xl[rs1] + xl[(w0 >>> 24) & 31]) | 0; xl[rd] = v; xh[rd] = v >> 31; break; }
        case Op.SUBW: { const v = (xl[rs1] - xl[(w0 >>> 24) & 31]) | 0; xl[rd] = v; xh[rd] = v >> 31; break; }
        case Op.SLLW: { const v = xl[rs1] << (xl[(w0 >>> 24) & 31] & 31); xl[rd] = v; xh[rd] = v >> 31; break; }
        case Op.SRLW: { const v = xl[rs1] >>> (xl[(w0 >>> 24) & 31] & 31); xl[rd] = v; xh[rd] = v >> 31; break; }
        case Op.SRAW: { const v = xl[rs1] >> (xl[(w0 >>> 24) & 31] & 31); xl[rd] = v; xh[rd] = v >> 31; break; }
        case Op.MULW: { const v = Math.imul(xl[rs1], xl[(w0 >>> 24) & 31]); xl[rd] = v; xh[rd] = v >> 31; break; }
        case Op.MUL: case Op.MULH: case Op.MULHSU: case Op.MULHU: case Op.DIV: case Op.DIVU: case Op.REM: case Op.REMU: {
          const rs2 = (w0 >>> 24) & 31;
          this.mulDiv(rd, xl[rs1], xh[rs1], xl[rs2], xh[rs2], (w0 & 0xff) - Op.MUL);
          break;
        }
        case Op.DIVW: case Op.DIVUW: case Op.REMW: case Op.REMUW:
          this.mulDivW(rd, xl[rs1], xl[(w0 >>> 24) & 31], (w0 & 0xff) - Op.DIVW + 4);
          break;
        case Op.LUI: { const imm = w[i + 1]; xl[rd] = imm; xh[rd] = imm >> 31; break; }
        case Op.AUIPC: {
          const s = (pcLo >>> 0) + w[i + 1];
          xl[rd] = s | 0;
          xh[rd] = (pcHi + (s < 0 ? -1 : s > 0xffffffff ? 1 : 0)) | 0;
          break;
        }
        case Op.JAL: {
          if (rd !== 0) { xl[rd] = npcLo; xh[rd] = npcHi; }
          const s = (pcLo >>> 0) + w[i + 1];
          leader = true;
          npcLo = s | 0;
          npcHi = (pcHi + (s < 0 ? -1 : s > 0xffffffff ? 1 : 0)) | 0;
          break;
        }
        case Op.JALR: {
          const s = (xl[rs1] >>> 0) + w[i + 1];
          const tHi = (xh[rs1] + (s < 0 ? -1 : s > 0xffffffff ? 1 : 0)) | 0;
          if (rd !== 0) { xl[rd] = npcLo; xh[rd] = npcHi; }
          leader = true;
          npcLo = (s | 0) & ~1;
          npcHi = tHi;
          break;
        }
        case Op.BEQ: case Op.BNE: case Op.BLT: case Op.BGE: case Op.BLTU: case Op.BGEU: {
          const rs2 = (w0 >>> 24) & 31;
          const aLo = xl[rs1], aHi = xh[rs1], bLo = xl[rs2], bHi = xh[rs2];
          let take: boolean;
          switch (w0 & 0xff) {
            case Op.BEQ: take = aLo === bLo && aHi === bHi; break;
            case Op.BNE: take = aLo !== bLo || aHi !== bHi; break;
            case Op.BLT: take = aHi < bHi || (aHi === bHi && (aLo >>> 0) < (bLo >>> 0)); break;
            case Op.BGE: take = aHi > bHi || (aHi === bHi && (aLo >>> 0) >= (bLo >>> 0)); break;
            case Op.BLTU: take = (aHi >>> 0) < (bHi >>> 0) || (aHi === bHi && (aLo >>> 0) < (bLo >>> 0)); break;
            default: take = (aHi >>> 0) > (bHi >>> 0) || (aHi === bHi && (aLo >>> 0) >= (bLo >>> 0)); break;
          }
          leader = true;
          if (take) {
            const s = (pcLo >>> 0) + w[i + 1];
            npcLo = s | 0;
            npcHi = (pcHi + (s < 0 ? -1 : s > 0xffffffff ? 1 : 0)) | 0;
          }
          break;
        }
        case Op.LB: case Op.LH: case Op.LW: case Op.LD: case Op.LBU: case Op.LHU: case Op.LWU: {
          const f3 = (w0 & 0xff) - Op.LB;
          const s = (xl[rs1] >>> 0) + w[i + 1];
          const vaLo = s | 0;
          const vaHi = (xh[rs1] + (s < 0 ? -1 : s > 0xffffffff ? 1 : 0)) | 0;
          const vpn = vaLo >>> 12;
          const ti = vpn & TLB_MASK;
          let lo: number, hi: number;
          if (rtLo[ti] === (vpn | dKey) && rtHi[ti] === vaHi && rtOff[ti] >= 0 && (vaLo & 0xfff) <= TLB_FAST_MAX_OFFSET) {
            const o = rtOff[ti] + (vaLo & 0xfff);
            switch (f3) {
              case 0: lo = m8[o]; hi = lo >> 31; break;
              case 1: lo = (o & 1) === 0 ? m16[o >> 1] : ((u8[o] | (m8[o + 1] << 8))); hi = lo >> 31; break;
              case 2: lo = (o & 3) === 0 ? m32[o >> 2] : (u8[o] | (u8[o + 1] << 8) | (u8[o + 2] << 16) | (u8[o + 3] << 24)); hi = lo >> 31; break;
              case 3:
                if ((o & 3) === 0) { lo = m32[o >> 2]; hi = m32[(o >> 2) + 1]; }
                else { lo = u8[o] | (u8[o + 1] << 8) | (u8[o + 2] << 16) | (u8[o + 3] << 24); hi = u8[o + 4] | (u8[o + 5] << 8) | (u8[o + 6] << 16) | (u8[o + 7] << 24); }
                break;
              case 4: lo = u8[o]; hi = 0; break;
              case 5: lo = (o & 1) === 0 ? u16[o >> 1] : (u8[o] | (u8[o + 1] << 8)); hi = 0; break;
              default: lo = (o & 3) === 0 ? m32[o >> 2] : (u8[o] | (u8[o + 1] << 8) | (u8[o + 2] << 16) | (u8[o + 3] << 24)); hi = 0; break;
            }
          } else {
            this.pcLo = pcLo; this.pcHi = pcHi; this.instret = count; this.loadSlow(vaLo, vaHi, f3);
            lo = this.resLo; hi = this.resHi;
            stop = this.sliceStop;
            hit = false;
          }
          if (rd !== 0) { xl[rd] = lo; xh[rd] = hi; }
          break;
        }
        case Op.SB: case Op.SH: case Op.SW: case Op.SD: {
          const rs2 = (w0 >>> 24) & 31;
          const s = (xl[rs1] >>> 0) + w[i + 1];
          const vaLo = s | 0;
          const vaHi = (xh[rs1] + (s < 0 ? -1 : s > 0xffffffff ? 1 : 0)) | 0;
          const vpn = vaLo >>> 12;
          const ti = vpn & TLB_MASK;
          const vLo = xl[rs2];
          const f3 = (w0 & 0xff) - Op.SB;
          if (wtLo[ti] === (vpn | dKey) && wtHi[ti] === vaHi && wtOff[ti] >= 0 && (vaLo & 0xfff) <= TLB_FAST_MAX_OFFSET) {
            const o = wtOff[ti] + (vaLo & 0xfff);
            switch (f3) {
              case 0: u8[o] = vLo; break;
              case 1: if ((o & 1) === 0) m16[o >> 1] = vLo; else { u8[o] = vLo; u8[o + 1] = vLo >> 8; } break;
              case 2: if ((o & 3) === 0) m32[o >> 2] = vLo; else { u8[o] = vLo; u8[o + 1] = vLo >> 8; u8[o + 2] = vLo >> 16; u8[o + 3] = vLo >> 24; } break;
              default: {
                const vHi = xh[rs2];
                if ((o & 3) === 0) { m32[o >> 2] = vLo; m32[(o >> 2) + 1] = vHi; }
                else { u8[o] = vLo; u8[o + 1] = vLo >> 8; u8[o + 2] = vLo >> 16; u8[o + 3] = vLo >> 24; u8[o + 4] = vHi; u8[o + 5] = vHi >> 8; u8[o + 6] = vHi >> 16; u8[o + 7] = vHi >> 24; }
              }
            }
          } else {
            this.pcLo = pcLo; this.pcHi = pcHi; this.instret = count; this.storeSlow(vaLo, vaHi, 1 << f3, vLo, xh[rs2]);
            this.codeExit = false; // the next fetch reads the code cache anew anyway
            stop = this.sliceStop;
            hit = false;
          }
          break;
        }
        default: {
          // everything rarer goes through one call site, so its type feedback is there early
          // and deoptimizations in rare code do not throw this loop out of optimized code
          this.pcLo = pcLo; this.pcHi = pcHi; this.instret = count;
          this.nextLo = npcLo; this.nextHi = npcHi;
          this.execSlot(w, i);
          npcLo = this.nextLo; npcHi = this.nextHi;
          iKey = this.iKey; dKey = this.dKey | this.slowData;
          this.codeExit = false;
          leader = true;
          stop = this.sliceStop;
          break;
        }
      }
      seq = !leader && hit && ((npcLo ^ pcLo) >>> 12) === 0 ? off + ilen : -1;
      pcLo = npcLo;
      pcHi = npcHi;
      count++;
    }
    this.pcLo = pcLo;
    this.pcHi = pcHi;
    this.instret = count;
  }

  /** Map lookup behind the direct-mapped cache; fills the cache. */
  private lookupBlock(off: number): BlockFn | undefined {
    const blk = this.blocks.get(off);
    if (blk !== undefined) {
      const ci = (off >>> 1) & BLOCK_CACHE_MASK;
      this.blkTag[ci] = off;
      this.blkVal[ci] = blk;
    }
    return blk;
  }

  /** Leaders handed to the translator, how many it returned a block for, and the milliseconds it took (engineStats). */
  private translateCalls = 0;
  private translatedLeaders = 0;
  private translateMs = DOUBLE_FIELD;

  /**
   * Statistics of the execution engine (benchmarks, tests); all zero for the interpreter.
   * `leaders`: block leaders that reached the hot threshold and were handed to the
   * translator. `translations`: what the tier compiled: for the JS tier the blocks it
   * made (leaders whose first instruction it translates); the wasm tier reports its own
   * count, regions compiled (a region has several entry points, and queued leaders wait
   * for their batch). `compileMs`: time spent translating (the wasm tier's own figure,
   * split into planMs, emitMs, moduleMs, instantiateMs). The tier's other counters are
   * described in TranslatorStats (engines.ts). `interp`: the wasm interpreter's calls,
   * instructions retired and exits by reason (wasm engines only).
   */
  engineStats(): TranslatorStats & { leaders: number; interp?: WasmInterpreterStats } {
    const t = this.translator?.engineStats?.();
    const interp = this.winterp?.stats();
    return { translations: this.translatedLeaders, compileMs: this.translateMs + 0, ...t, leaders: this.translateCalls, ...(interp ? { interp } : {}) }; // + 0: never -0 (DOUBLE_FIELD)
  }

  /** Translates the block at RAM offset `off`; remembers failures so they are not retried. */
  private translate(off: number): BlockFn | undefined {
    if (this.translator === null) {
      if (this.translatorFactory === null) return undefined;
      this.translator = this.translatorFactory(this);
      // the wasm interpreter calls the tier's compiled regions itself
      if (this.winterp !== null && this.translator.linkInterpreter !== undefined) {
        this.translator.linkInterpreter(this.winterp);
        this.runRegions = RUN_REGIONS;
      }
    }
    const t0 = performance.now();
    try {
      return this.translateLeader(off);
    } finally {
      this.translateCalls++;
      this.translateMs += performance.now() - t0;
    }
  }

  private translateLeader(off: number): BlockFn | undefined {
    const translator = this.translator as Translator;
    // a page that PMP regions split is checked fetch by fetch, so it is never translated
    const pa = this.ramBase + (off & ~0xfff);
    const split = this.pmp.perms(pa, 4096, 0) === PMP_PARTIAL || this.pmp.perms(pa, 4096, 1) === PMP_PARTIAL || this.pmp.perms(pa, 4096, 3) === PMP_PARTIAL;
    const blk = (split ? null : translator.translate(off)) ?? NO_BLOCK;
    if (blk !== NO_BLOCK) this.translatedLeaders++;
    const page = off >>> 12;
    this.ram.watchCode(page); // stores to this page must now take the slow path, which invalidates
    this.blockPages[page] = 1;
    this.blocks.set(off, blk);
    const ci = (off >>> 1) & BLOCK_CACHE_MASK;
    this.blkTag[ci] = off;
    this.blkVal[ci] = blk;
    const list = this.pageBlocks.get(page);
    if (list) list.push(off); else this.pageBlocks.set(page, [off]);
    return blk === NO_BLOCK ? undefined : blk;
  }

  /**
   * A write reached a page holding decoded code (any hart or device wrote it):
   * drop its decoded slots and translations. A running block sees `codeExit`
   * and returns after the writing instruction.
   */
  private invalidateCodePage(page: number): void {
    this.stats[HartStat.codePageDrops]++;
    this.code.invalidate(page);
    this.codeExit = true;
    // (a wasm region may continue into this page from another: the tier hears of every decoded page)
    if (this.blockPages[page] === 0) { this.translator?.invalidatePage?.(page); return; }
    this.blockPages[page] = 0;
    const list = this.pageBlocks.get(page);
    if (list) {
      for (const off of list) {
        this.blocks.delete(off);
        const ci = (off >>> 1) & BLOCK_CACHE_MASK;
        if (this.blkTag[ci] === off) { this.blkTag[ci] = -1; this.blkVal[ci] = undefined; }
      }
    }
    this.pageBlocks.delete(page);
    this.translator?.invalidatePage?.(page);
  }

  /** Drops every decoded instruction and translated block (RAM was replaced wholesale, e.g. on restore). */
  invalidateAllCode(): void {
    this.code.invalidateAll();
    this.blocks.clear();
    this.pageBlocks.clear();
    this.blockPages.fill(0);
    this.blkTag.fill(-1);
    this.blkVal.fill(undefined);
    this.wtLo.fill(-1);
    this.translator?.invalidateAll?.();
  }

  /** Lockstep tests: called after every translated block, with pc and instret written back (must not change the hart). */
  blockHook: (() => void) | null = null;

  /** Next pc of the instruction execSlot is running (system instructions may change it); blocks leave theirs here. */
  nextLo = 0;
  nextHi = 0;
  /** Set when a code page was written (runtime.ts); whoever runs code clears it. */
  codeExit = false;

  /** Word index of the slot decodeAt returned. */
  private decodedIndex = 0;
  /** Slot for a 32-bit instruction crossing the page end (never cached: the next page may change alone). */
  private readonly crossSlot = new Int32Array(SLOT_WORDS);

  /** Decodes the instruction at RAM offset `off` (pc and instret are written back: the second half's fetch may fault). */
  private decodeAt(off: number, pcLo: number, pcHi: number): Int32Array {
    this.stats[HartStat.decodes]++;
    const po = off & 0xfff;
    const p = this.u16[off >> 1];
    if (po === 0xffe && (p & 3) === 3) {
      decodeInto(this.crossSlot, 0, p, this.fetchCross(p, pcLo, pcHi));
      this.decodedIndex = 0;
      return this.crossSlot;
    }
    this.decodedIndex = slotIndex(po);
    return this.code.decode(off);
  }

  /** Data TLB key of the current mode (runtime.ts). */
  dataKey(): number {
    return this.dKey | this.slowData;
  }

  /** Fetch TLB key of the current mode (runtime.ts). */
  fetchKey(): number {
    return this.iKey;
  }

  /** What FP instructions may run in wasm regions now (runtime.ts, wasm/fp.ts). */
  fpMode(): number {
    return fpModeOf((this.mstatus & MS_FS) >>> 13, this.fflags, this.frm);
  }

  /** runtime.ts: before generated code that may run wasm regions. */
  enterGenerated(count: number): void {
    this.countBase = count;
    this.codeExit = false;
    this.fpModeWord[0] = this.fpMode();
  }

  /**
   * The rare operations, out of the hot loop: FP loads/stores and arithmetic,
   * AMOs, FENCE.I, SYSTEM, CSRs, illegal encodings. Fields pcLo/pcHi/instret
   * are current and nextLo/nextHi hold the fall-through pc.
   */
  execSlot(w: Int32Array, i: number): void {
    this.stats[HartStat.execSlot]++;
    const w0 = w[i];
    const insn = w[i + 2];
    const rd = (w0 >>> 8) & 31;
    const rs1 = (w0 >>> 16) & 31;
    switch (w0 & 0xff) {
      case Op.LOAD_FP: {
        const f3 = (insn >> 12) & 7;
        if ((this.mstatus & MS_FS) === 0 || (f3 !== 2 && f3 !== 3)) this.illegal(insn);
        const s = (this.xLo[rs1] >>> 0) + w[i + 1];
        const vaLo = s | 0;
        const vaHi = (this.xHi[rs1] + (s < 0 ? -1 : s > 0xffffffff ? 1 : 0)) | 0;
        this.loadSlow(vaLo, vaHi, f3);
        this.fLo[rd] = this.resLo;
        this.fHi[rd] = f3 === 2 ? -1 : this.resHi;
        this.mstatus |= MS_FS;
        break;
      }
      case Op.STORE_FP: {
        const f3 = (insn >> 12) & 7;
        if ((this.mstatus & MS_FS) === 0 || (f3 !== 2 && f3 !== 3)) this.illegal(insn);
        const rs2 = (w0 >>> 24) & 31;
        const s = (this.xLo[rs1] >>> 0) + w[i + 1];
        const vaLo = s | 0;
        const vaHi = (this.xHi[rs1] + (s < 0 ? -1 : s > 0xffffffff ? 1 : 0)) | 0;
        this.storeSlow(vaLo, vaHi, 1 << f3, this.fLo[rs2], this.fHi[rs2]);
        break;
      }
      case Op.FP:
        if ((this.mstatus & MS_FS) === 0) this.illegal(insn);
        if (!execFp(this, insn)) this.illegal(insn);
        this.mstatus |= MS_FS;
        this.xLo[0] = 0; this.xHi[0] = 0;
        break;
      case Op.AMO:
        this.amo(insn, rd, rs1, (insn >> 12) & 7);
        break;
      case Op.NOP: case Op.FENCE: case Op.FENCE_I:
        // decoded code is dropped when written (code-cache.ts), so FENCE.I has nothing left to do
        break;
      case Op.SYSTEM:
        if (this.system(insn, this.nextLo, this.nextHi)) { this.nextLo = this.pcLo; this.nextHi = this.pcHi; }
        break;
      case Op.CSR:
        this.csrOp(insn, rd, rs1, (insn >> 12) & 7);
        break;
      default:
        this.illegal(insn);
    }
  }

  /** M extension on 64-bit operands (every funct3 is valid, nothing traps). */
  mulDiv(rd: number, aLo: number, aHi: number, bLo: number, bHi: number, f3: number): void {
    switch (f3) {
      case 0: mul64(aLo, aHi, bLo, bHi); break;
      case 1: mulh(aLo, aHi, bLo, bHi, true, true); break;
      case 2: mulh(aLo, aHi, bLo, bHi, true, false); break;
      case 3: mulh(aLo, aHi, bLo, bHi, false, false); break;
      default: div64(aLo, aHi, bLo, bHi, (f3 & 1) === 0, f3 >= 6); break;
    }
    if (rd !== 0) { this.xLo[rd] = r[0]; this.xHi[rd] = r[1]; }
  }

  /** DIVW/DIVUW/REMW/REMUW (funct3 4..7; the caller rejects the reserved ones). */
  mulDivW(rd: number, a: number, b: number, f3: number): void {
    let v: number;
    switch (f3) {
      case 4: v = b === 0 ? -1 : (a === -0x80000000 && b === -1) ? a : (a / b) | 0; break;
      case 5: v = b === 0 ? -1 : ((a >>> 0) / (b >>> 0)) | 0; break;
      case 6: v = b === 0 ? a : (a === -0x80000000 && b === -1) ? 0 : (a % b) | 0; break;
      default: v = b === 0 ? a : ((a >>> 0) % (b >>> 0)) | 0; break;
    }
    if (rd !== 0) { this.xLo[rd] = v; this.xHi[rd] = v >> 31; }
  }

  /** Raises an illegal-instruction trap from the interpreter loop, whose pc and count live in locals. */
  private illegalAt(insn: number, pcLo: number, pcHi: number, count: number): never {
    this.pcLo = pcLo;
    this.pcHi = pcHi;
    this.instret = count;
    return this.illegal(insn);
  }

  // ---------------------------------------------------------------- traps

  /** Raises a synchronous exception: takes the trap and unwinds the interpreter. */
  raise(cause: number, tvalLo: number, tvalHi: number): never {
    this.takeTrap(cause, false, tvalLo, tvalHi);
    throw TRAP_TAKEN;
  }

  private illegal(insn: number): never {
    return this.raise(Cause.IllegalInst, insn, 0);
  }

  private takeTrap(cause: number, interrupt: boolean, tvalLo: number, tvalHi: number): void {
    const deleg = interrupt ? this.mideleg : this.medeleg;
    const epcLo = this.pcLo, epcHi = this.pcHi;
    const from = this.priv;
    if (this.priv <= 1 && ((deleg >>> cause) & 1) !== 0) {
      this.sepcLo = epcLo; this.sepcHi = epcHi;
      this.scauseLo = cause; this.scauseHi = interrupt ? 0x80000000 | 0 : 0;
      this.stvalLo = tvalLo; this.stvalHi = tvalHi;
      let s = this.mstatus;
      s = (s & MS_SIE) !== 0 ? s | MS_SPIE : s & ~MS_SPIE;
      s = this.priv === 1 ? s | MS_SPP : s & ~MS_SPP;
      this.mstatus = s & ~MS_SIE;
      this.priv = 1;
      const vec = interrupt && (this.stvecLo & 1) !== 0 ? 4 * cause : 0;
      const base = this.stvecLo & ~3;
      const t = (base >>> 0) + vec;
      this.pcLo = t | 0;
      this.pcHi = (this.stvecHi + (t > 0xffffffff ? 1 : 0)) | 0;
    } else {
      this.mepcLo = epcLo; this.mepcHi = epcHi;
      this.mcauseLo = cause; this.mcauseHi = interrupt ? 0x80000000 | 0 : 0;
      this.mtvalLo = tvalLo; this.mtvalHi = tvalHi;
      let s = this.mstatus;
      s = (s & MS_MIE) !== 0 ? s | MS_MPIE : s & ~MS_MPIE;
      s = (s & ~MS_MPP) | (this.priv << MS_MPP_SHIFT);
      this.mstatus = s & ~MS_MIE;
      this.priv = 3;
      const vec = interrupt && (this.mtvecLo & 1) !== 0 ? 4 * cause : 0;
      const base = this.mtvecLo & ~3;
      const t = (base >>> 0) + vec;
      this.pcLo = t | 0;
      this.pcHi = (this.mtvecHi + (t > 0xffffffff ? 1 : 0)) | 0;
    }
    this.resValid = false;
    this.waiting = false;
    this.updateKeys();
    this.instr?.trap?.(cause, interrupt, epcLo, epcHi, tvalLo, tvalHi, from, this.priv);
  }

  /** Takes the highest-priority enabled pending interrupt, if any. Called between slices. */
  checkInterrupts(): boolean {
    const pending = (this.mipSw | this.mipHw) & this.mie;
    if (pending === 0) return false;
    const mEnabled = this.priv < 3 || (this.mstatus & MS_MIE) !== 0;
    const m = pending & ~this.mideleg;
    if (mEnabled && m !== 0) {
      for (const bit of IRQ_ORDER) {
        if ((m >>> bit) & 1) { this.takeTrap(bit, true, 0, 0); return true; }
      }
    }
    const sEnabled = this.priv < 1 || (this.priv === 1 && (this.mstatus & MS_SIE) !== 0);
    const s = pending & this.mideleg;
    if (sEnabled && s !== 0) {
      for (const bit of IRQ_ORDER) {
        if ((s >>> bit) & 1) { this.takeTrap(bit, true, 0, 0); return true; }
      }
    }
    return false;
  }

  /** ECALL, EBREAK, xRET, WFI, SFENCE.VMA. Returns true when it set the pc itself. */
  private system(insn: number, npcLo: number, npcHi: number): boolean {
    const f7 = insn >>> 25;
    if (((insn >> 7) & 31) !== 0) this.illegal(insn);
    if (f7 === 0x09) { // sfence.vma
      if (this.priv === 0 || (this.priv === 1 && (this.mstatus & MS_TVM) !== 0)) this.illegal(insn);
      const rs1 = (insn >> 15) & 31;
      if (rs1 === 0) this.flushTlb();
      else this.flushTlbPage(this.xLo[rs1], this.xHi[rs1]);
      return false;
    }
    if (((insn >> 15) & 31) !== 0) this.illegal(insn);
    const f12 = insn >>> 20;
    switch (f12) {
      case 0x000: // ecall
        this.raise(this.priv === 0 ? Cause.EcallU : this.priv === 1 ? Cause.EcallS : Cause.EcallM, 0, 0);
        break;
      case 0x001: // ebreak
        this.raise(Cause.Breakpoint, 0, 0); // QEMU 7.2 leaves tval 0
        break;
      case 0x102: { // sret
        if (this.priv === 0 || (this.priv === 1 && (this.mstatus & MS_TSR) !== 0)) this.illegal(insn);
        let s = this.mstatus;
        const spp = (s & MS_SPP) !== 0 ? 1 : 0;
        s = (s & MS_SPIE) !== 0 ? s | MS_SIE : s & ~MS_SIE;
        s = (s | MS_SPIE) & ~MS_SPP;
        s &= ~MS_MPRV; // SPP is never M
        this.mstatus = s;
        this.priv = spp;
        this.pcLo = this.sepcLo; this.pcHi = this.sepcHi;
        this.afterReturn();
        this.instr?.xret?.(1, spp, this.pcLo, this.pcHi);
        return true;
      }
      case 0x302: { // mret
        if (this.priv !== 3) this.illegal(insn);
        let s = this.mstatus;
        const mpp = (s & MS_MPP) >>> MS_MPP_SHIFT;
        s = (s & MS_MPIE) !== 0 ? s | MS_MIE : s & ~MS_MIE;
        s = (s | MS_MPIE) & ~MS_MPP;
        if (mpp !== 3) s &= ~MS_MPRV;
        this.mstatus = s;
        this.priv = mpp;
        this.pcLo = this.mepcLo; this.pcHi = this.mepcHi;
        this.afterReturn();
        this.instr?.xret?.(3, mpp, this.pcLo, this.pcHi);
        return true;
      }
      case 0x105: // wfi
        if (this.priv === 0 || (this.priv === 1 && (this.mstatus & MS_TW) !== 0)) this.illegal(insn);
        this.pcLo = npcLo; this.pcHi = npcHi;
        if (!this.interruptPending()) this.waiting = true;
        this.sliceStop = true;
        return true;
      default:
        this.illegal(insn);
    }
    return false;
  }

  /**
   * Region keys (level * 2^27 + the VPN's bits above that level) of the
   * superpages translated since the last full flush: their 4 KiB pieces may
   * sit in any TLB slot, so an sfence.vma naming an address inside one must
   * flush everything.
   */
  private readonly superRegions = new Set<number>();

  /**
   * sfence.vma with an address: drops only the TLB entries that can hold its
   * translation (one slot per TLB), as QEMU flushes one page. Linux issues
   * this for every single-page PTE change; flushing everything made each one
   * cost dozens of page walks.
   */
  private flushTlbPage(vaLo: number, vaHi: number): void {
    const regions = this.superRegions;
    if (regions.size !== 0) {
      const vpn = ((vaHi & 0x7f) << 20) | (vaLo >>> 12);
      if (regions.has(SUPER_L1 + (vpn >>> 9)) || regions.has(SUPER_L2 + (vpn >>> 18))) { this.flushTlb(); return; }
    }
    this.stats[HartStat.tlbPageFlushes]++;
    const ii = (vaLo >>> 12) & TLB_MASK;
    this.itLo[ii] = -1;
    this.rtLo[ii] = -1;
    this.wtLo[ii] = -1;
  }

  private afterReturn(): void {
    this.resValid = false;
    this.updateKeys();
    this.interruptsChanged();
  }

  /**
   * Interrupt enables, delegation or software-pending bits changed: end the
   * slice only when some interrupt is pending and enabled in mie, so the
   * machine's checkInterrupts (between slices) can take it at this exact
   * instruction. With nothing pending it would take nothing; a device raising
   * a line later stops the slice itself (setPending), so no interrupt is
   * taken later than before. (Ending every slice here cost ~32 000 slice
   * ends per boot, mostly one per local_irq_enable.)
   */
  private interruptsChanged(): void {
    if (((this.mipSw | this.mipHw) & this.mie) !== 0) this.sliceStop = true;
  }

  // ---------------------------------------------------------------- MMU

  private updateSatp(): void {
    this.satpOn = (this.satpHi >>> 28) === 8;
    this.satpPpn = (this.satpHi & 0xfff) * TWO32 + (this.satpLo >>> 0);
    this.flushTlb();
    this.updateKeys();
  }

  private updateKeys(): void {
    const s = this.mstatus;
    let dp = this.priv;
    if (dp === 3 && (s & MS_MPRV) !== 0) dp = (s & MS_MPP) >>> MS_MPP_SHIFT;
    this.iKey = this.priv << 20;
    this.dKey = (dp | ((s & MS_SUM) !== 0 ? 4 : 0) | ((s & MS_MXR) !== 0 ? 8 : 0)) << 20;
  }

  private dataPriv(): number {
    const s = this.mstatus;
    if (this.priv === 3 && (s & MS_MPRV) !== 0) return (s & MS_MPP) >>> MS_MPP_SHIFT;
    return this.priv;
  }

  /**
   * Translates a virtual address to a physical page address (multiple of 4096),
   * raising page or access faults. Sets A (and D for stores) bits as QEMU does.
   */
  private translatePage(vaLo: number, vaHi: number, access: Access, priv: number): number {
    if (priv === 3 || !this.satpOn) {
      if (vaHi !== 0) this.accessFault(access, vaLo, vaHi);
      return (vaLo >>> 0) - (vaLo & 0xfff);
    }
    this.stats[HartStat.pageWalks]++;
    const top = vaHi >> 6;
    if (top !== 0 && top !== -1) this.pageFault(access, vaLo, vaHi);
    let a = this.satpPpn * 4096;
    const m32 = this.m32;
    for (let level = 2; level >= 0; level--) {
      const idx = level === 2 ? (((vaHi & 0x7f) << 2) | (vaLo >>> 30)) : level === 1 ? (vaLo >>> 21) & 0x1ff : (vaLo >>> 12) & 0x1ff;
      const pteAddr = a + idx * 8;
      if (pteAddr < this.ramBase || pteAddr + 8 > this.ramEnd) this.accessFault(access, vaLo, vaHi);
      // implicit page-table accesses are S-mode accesses for PMP
      const pteRights = this.pmp.perms(pteAddr, 8, 1);
      if ((pteRights & PMP_R) === 0) this.accessFault(access, vaLo, vaHi);
      const po = (pteAddr - this.ramBase) >> 2;
      if (this.ram.absentCount !== 0 && this.ram.absent[po >>> 10] !== 0) this.ram.fault(po >>> 10);
      const pteLo = m32[po];
      const pteHi = m32[po + 1];
      if ((pteLo & 1) === 0 || (pteLo & 6) === 4 || (pteHi >>> 22) !== 0) this.pageFault(access, vaLo, vaHi);
      const ppn = (pteHi & 0x3fffff) * 4194304 + (pteLo >>> 10);
      if ((pteLo & 0xa) === 0) { // pointer to next level
        if (level === 0) this.pageFault(access, vaLo, vaHi);
        a = ppn * 4096;
        continue;
      }
      // leaf: permissions
      if ((pteLo & 0x10) !== 0) {
        if (priv === 1 && (access === Access.Fetch || (this.mstatus & MS_SUM) === 0)) this.pageFault(access, vaLo, vaHi);
      } else if (priv === 0) this.pageFault(access, vaLo, vaHi);
      if (access === Access.Fetch) { if ((pteLo & 8) === 0) this.pageFault(access, vaLo, vaHi); }
      else if (access === Access.Load) { if ((pteLo & 2) === 0 && ((this.mstatus & MS_MXR) === 0 || (pteLo & 8) === 0)) this.pageFault(access, vaLo, vaHi); }
      else if ((pteLo & 4) === 0) this.pageFault(access, vaLo, vaHi);
      if (level > 0 && ((pteLo >>> 10) & (level === 2 ? 0x3ffff : 0x1ff)) !== 0) this.pageFault(access, vaLo, vaHi);
      const want = pteLo | 0x40 | (access === Access.Store ? 0x80 : 0);
      if (want !== pteLo) {
        // the A/D update is a PMP-checked write (spec; QEMU 7.2 skips the check, pmp.S 46 accepts both)
        if ((pteRights & PMP_W) === 0) this.accessFault(access, vaLo, vaHi);
        this.stats[HartStat.pteUpdates]++;
        this.ram.markDirty(pteAddr, 8);
        m32[po] = want;
      }
      let page = ppn * 4096;
      if (level !== 0) {
        const vpn = ((vaHi & 0x7f) << 20) | (vaLo >>> 12);
        this.superRegions.add(level === 1 ? SUPER_L1 + (vpn >>> 9) : SUPER_L2 + (vpn >>> 18));
        page += (level === 1 ? (vaLo >>> 12) & 0x1ff : (vaLo >>> 12) & 0x3ffff) * 4096;
      }
      return page;
    }
    return this.pageFault(access, vaLo, vaHi);
  }

  private pageFault(access: Access, vaLo: number, vaHi: number): never {
    return this.raise(access === Access.Fetch ? Cause.InstPageFault : access === Access.Load ? Cause.LoadPageFault : Cause.StorePageFault, vaLo, vaHi);
  }

  private accessFault(access: Access, vaLo: number, vaHi: number): never {
    return this.raise(access === Access.Fetch ? Cause.InstAccessFault : access === Access.Load ? Cause.LoadAccessFault : Cause.StoreAccessFault, vaLo, vaHi);
  }

  /** Fetch TLB miss: fills the entry and returns the RAM offset of the pc. */
  private fetchFill(pcLo: number, pcHi: number, insnStart = true): number {
    this.stats[HartStat.fetchFills]++;
    const page = this.translatePage(pcLo, pcHi, Access.Fetch, this.priv);
    if (this.debug !== null && this.debug.breakpointPages.has(pageKey(pcLo, pcHi))) {
      // a page with breakpoints is never cached, so every fetch from it comes here
      if ((this.pmp.perms(page + (pcLo & 0xffe), 2, this.priv) & PMP_X) === 0 || page < this.ramBase || page + 4096 > this.ramEnd) this.accessFault(Access.Fetch, pcLo, pcHi);
      if (insnStart) this.debugFetch(pcLo, pcHi);
      return page - this.ramBase + (pcLo & 0xfff);
    }
    if (page < this.ramBase || page + 4096 > this.ramEnd) this.accessFault(Access.Fetch, pcLo, pcHi);
    if (this.ram.absentCount !== 0 && this.ram.absent[(page - this.ramBase) >>> 12] !== 0) this.ram.fault((page - this.ramBase) >>> 12);
    const rights = this.pmp.perms(page, 4096, this.priv);
    if (rights === PMP_PARTIAL) {
      // PMP regions split this page: check this parcel and leave the TLB empty so every fetch comes here
      if ((this.pmp.perms(page + (pcLo & 0xffe), 2, this.priv) & PMP_X) === 0) this.accessFault(Access.Fetch, pcLo, pcHi);
      return page - this.ramBase + (pcLo & 0xfff);
    }
    if ((rights & PMP_X) === 0) this.accessFault(Access.Fetch, pcLo, pcHi);
    const ii = (pcLo >>> 12) & TLB_MASK;
    this.itLo[ii] = (pcLo >>> 12) | this.iKey;
    this.itHi[ii] = pcHi;
    this.itOff[ii] = page - this.ramBase;
    return page - this.ramBase + (pcLo & 0xfff);
  }

  /** A 32-bit instruction whose upper half lies on the next page. */
  private fetchCross(low: number, pcLo: number, pcHi: number): number {
    const nLo = (pcLo + 2) | 0;
    const nHi = (nLo >>> 0) < 2 ? (pcHi + 1) | 0 : pcHi;
    let off: number;
    const ii = (nLo >>> 12) & TLB_MASK;
    if (this.itLo[ii] === ((nLo >>> 12) | this.iKey) && this.itHi[ii] === nHi) off = this.itOff[ii] + (nLo & 0xfff);
    else off = this.fetchFill(nLo, nHi, false); // a fault reports this instruction's pc (this.pcLo is unchanged)
    return low | (this.u16[off >> 1] << 16);
  }

  /** Physical address for a data access of `size` bytes that stays within one page. */
  private dataPa(vaLo: number, vaHi: number, access: Access, size: number): number {
    this.stats[access === Access.Load ? HartStat.loadFills : HartStat.storeFills]++;
    const priv = this.dataPriv();
    const page = this.translatePage(vaLo, vaHi, access, priv);
    if (this.ram.absentCount !== 0 && page >= this.ramBase && page < this.ramEnd && this.ram.absent[(page - this.ramBase) >>> 12] !== 0) this.ram.fault((page - this.ramBase) >>> 12);
    const need = access === Access.Load ? PMP_R : PMP_W;
    const rights = this.pmp.perms(page, 4096, priv);
    if (rights === PMP_PARTIAL) {
      // PMP regions split this page: check this access only and cache nothing, so the next one comes here too
      const pa = page + (vaLo & 0xfff);
      if ((this.pmp.perms(pa, size, priv) & need) === 0) this.accessFault(access, vaLo, vaHi);
      return pa;
    }
    if ((rights & need) === 0) this.accessFault(access, vaLo, vaHi);
    // watched pages are never cached, so every access to them comes here and meets the hook
    if (this.debug !== null && this.debug.watchPages.has(pageKey(vaLo, vaHi))) return page + (vaLo & 0xfff);
    const inRam = page >= this.ramBase && page + 4096 <= this.ramEnd;
    const ti = (vaLo >>> 12) & TLB_MASK;
    const off = inRam ? page - this.ramBase : -1;
    if (access === Access.Load) {
      this.rtLo[ti] = (vaLo >>> 12) | this.dKey; this.rtHi[ti] = vaHi; this.rtOff[ti] = off; this.rtPa[ti] = page;
    } else {
      if (inRam) {
        if (this.ram.writeProtect[off >>> 12] !== 0) this.ram.protectedWrite(off >>> 12);
        this.ram.dirty[off >>> 12] = 1;
      }
      // pages holding translated code keep stores on the slow path, which invalidates the blocks
      const fast = inRam && this.codeWatch[off >>> 12] === 0 ? off : -1;
      this.wtLo[ti] = (vaLo >>> 12) | this.dKey; this.wtHi[ti] = vaHi; this.wtOff[ti] = fast; this.wtPa[ti] = page;
    }
    return page + (vaLo & 0xfff);
  }

  private lookupPa(vaLo: number, vaHi: number, access: Access, size: number): number {
    const vpn = vaLo >>> 12;
    const ti = vpn & TLB_MASK;
    if (access === Access.Load) {
      if (this.rtLo[ti] === (vpn | this.dKey) && this.rtHi[ti] === vaHi) return this.rtPa[ti] + (vaLo & 0xfff);
    } else if (this.wtLo[ti] === (vpn | this.dKey) && this.wtHi[ti] === vaHi) return this.wtPa[ti] + (vaLo & 0xfff);
    return this.dataPa(vaLo, vaHi, access, size);
  }

  /** Loads with funct3 encoding (0 lb .. 6 lwu) into tLo/tHi; handles MMIO, page crossing and misalignment. */
  loadSlow(vaLo: number, vaHi: number, f3: number): void {
    this.stats[HartStat.loadSlow]++;
    const size = 1 << (f3 & 3);
    let lo = 0, hi = 0;
    let pa: number;
    if ((vaLo & 0xfff) + size > 4096) {
      // crosses a page: byte by byte, each translated
      if (this.debug !== null) this.debugAccess(vaLo, vaHi, size, false);
      let aLo = vaLo, aHi = vaHi;
      pa = -1;
      for (let i = 0; i < size; i++) {
        const bpa = this.lookupPa(aLo, aHi, Access.Load, 1);
        if (i === 0) pa = bpa;
        const b = this.readPhys(bpa, 1, vaLo, vaHi, Access.Load);
        if (i < 4) lo |= b << (8 * i); else hi |= b << (8 * (i - 4));
        aLo = (aLo + 1) | 0;
        if (aLo === 0) aHi = (aHi + 1) | 0;
      }
    } else {
      pa = this.lookupPa(vaLo, vaHi, Access.Load, size);
      if (this.debug !== null) this.debugAccess(vaLo, vaHi, size, false);
      if (size === 8) {
        lo = this.readPhys(pa, 4, vaLo, vaHi, Access.Load);
        hi = this.readPhys(pa + 4, 4, vaLo, vaHi, Access.Load);
      } else lo = this.readPhys(pa, size, vaLo, vaHi, Access.Load);
    }
    switch (f3) {
      case 0: lo = (lo << 24) >> 24; hi = lo >> 31; break;
      case 1: lo = (lo << 16) >> 16; hi = lo >> 31; break;
      case 2: lo |= 0; hi = lo >> 31; break;
      case 3: lo |= 0; hi |= 0; break;
      default: lo |= 0; hi = 0;
    }
    this.resLo = lo;
    this.resHi = hi;
    this.instr?.memRead?.(vaLo, vaHi, pa, size, lo, hi);
  }

  storeSlow(vaLo: number, vaHi: number, size: number, vLo: number, vHi: number): void {
    this.stats[HartStat.storeSlow]++;
    if ((vaLo & 0xfff) + size > 4096) {
      // translate every byte before writing any, so a fault leaves memory unchanged
      const pas: number[] = [];
      let aLo = vaLo, aHi = vaHi;
      for (let i = 0; i < size; i++) {
        pas.push(this.lookupPa(aLo, aHi, Access.Store, 1));
        aLo = (aLo + 1) | 0;
        if (aLo === 0) aHi = (aHi + 1) | 0;
      }
      if (this.debug !== null) this.debugAccess(vaLo, vaHi, size, true);
      for (let i = 0; i < size; i++) this.writePhys(pas[i], 1, i < 4 ? vLo >>> (8 * i) : vHi >>> (8 * (i - 4)), vaLo, vaHi);
      this.instr?.memWrite?.(vaLo, vaHi, pas[0], size, size === 1 ? vLo & 0xff : size === 2 ? vLo & 0xffff : vLo, size === 8 ? vHi : 0);
      return;
    }
    const pa = this.lookupPa(vaLo, vaHi, Access.Store, size);
    if (this.debug !== null) this.debugAccess(vaLo, vaHi, size, true);
    if (size === 8) {
      this.writePhys(pa, 4, vLo, vaLo, vaHi);
      this.writePhys(pa + 4, 4, vHi, vaLo, vaHi);
    } else this.writePhys(pa, size, vLo, vaLo, vaHi);
    this.instr?.memWrite?.(vaLo, vaHi, pa, size, size === 1 ? vLo & 0xff : size === 2 ? vLo & 0xffff : vLo, size === 8 ? vHi : 0);
  }

  private readPhys(pa: number, size: number, vaLo: number, vaHi: number, access: Access): number {
    if (pa >= this.ramBase && pa + size <= this.ramEnd) {
      const o = pa - this.ramBase;
      const u8 = this.u8;
      if (size === 1) return u8[o];
      if (size === 2) return u8[o] | (u8[o + 1] << 8);
      return u8[o] | (u8[o + 1] << 8) | (u8[o + 2] << 16) | (u8[o + 3] << 24);
    }
    const region = this.bus.find(pa, size);
    if (region === null) return this.accessFault(access, vaLo, vaHi);
    this.stats[HartStat.mmioReads]++;
    if (region.device.keepsSlice !== true) this.sliceStop = true;
    const v = region.device.read(pa - region.base, size as 1 | 2 | 4);
    this.instr?.mmio?.(pa, size, v, false);
    return v;
  }

  private writePhys(pa: number, size: number, v: number, vaLo: number, vaHi: number): void {
    if (pa >= this.ramBase && pa + size <= this.ramEnd) {
      const o = pa - this.ramBase;
      const u8 = this.u8;
      if (this.ram.writeProtect[o >>> 12] !== 0) this.ram.protectedWrite(o >>> 12);
      u8[o] = v;
      if (size >= 2) u8[o + 1] = v >>> 8;
      if (size === 4) { u8[o + 2] = v >>> 16; u8[o + 3] = v >>> 24; }
      this.ram.dirty[o >>> 12] = 1;
      if (this.codeWatch[o >>> 12] !== 0) this.ram.codeWritten(o >>> 12);
      return;
    }
    const region = this.bus.find(pa, size);
    if (region === null) return this.accessFault(Access.Store, vaLo, vaHi);
    this.stats[HartStat.mmioWrites]++;
    if (region.device.keepsSlice !== true) this.sliceStop = true;
    const mask = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    this.instr?.mmio?.(pa, size, (v & mask) >>> 0, true);
    region.device.write(pa - region.base, size as 1 | 2 | 4, (v & mask) >>> 0);
  }

  // ---------------------------------------------------------------- atomics

  private amo(insn: number, rd: number, rs1: number, f3: number): void {
    if (f3 !== 2 && f3 !== 3) this.illegal(insn);
    const f5 = insn >>> 27;
    const rs2 = (insn >> 20) & 31;
    const xl = this.xLo, xh = this.xHi;
    const vaLo = xl[rs1], vaHi = xh[rs1];
    const size = f3 === 2 ? 4 : 8;
    if (f5 === 2) { // lr
      if (rs2 !== 0) this.illegal(insn);
      if ((vaLo & (size - 1)) !== 0) this.raise(Cause.LoadMisaligned, vaLo, vaHi);
      const pa = this.lookupPa(vaLo, vaHi, Access.Load, size);
      if (pa < this.ramBase || pa + size > this.ramEnd) this.accessFault(Access.Load, vaLo, vaHi);
      if (this.debug !== null) this.debugAccess(vaLo, vaHi, size, false);
      const o = (pa - this.ramBase) >> 2;
      const lo = this.m32[o];
      const hi = size === 8 ? this.m32[o + 1] : lo >> 31;
      this.resValid = true;
      this.resAddr = pa;
      this.resSize = size;
      this.resValLo = lo;
      this.resValHi = hi;
      if (rd !== 0) { xl[rd] = lo; xh[rd] = hi; }
      this.instr?.memRead?.(vaLo, vaHi, pa, size, lo, hi);
      return;
    }
    const misaligned = (vaLo & (size - 1)) !== 0;
    if (f5 === 3 && (!this.resValid || misaligned)) {
      // as on QEMU 7.2: an SC that cannot match the reservation fails before any
      // translation, so it never faults (even unmapped, read-only or misaligned)
      this.resValid = false;
      if (rd !== 0) { xl[rd] = 1; xh[rd] = 0; }
      return;
    }
    if (misaligned) this.raise(Cause.StoreMisaligned, vaLo, vaHi);
    const pa = this.lookupPa(vaLo, vaHi, Access.Store, size);
    if (pa < this.ramBase || pa + size > this.ramEnd) this.accessFault(Access.Store, vaLo, vaHi);
    if (this.debug !== null) this.debugAccess(vaLo, vaHi, size, true);
    const o = (pa - this.ramBase) >> 2;
    const m32 = this.m32;
    if (this.ram.writeProtect[(pa - this.ramBase) >>> 12] !== 0) this.ram.protectedWrite((pa - this.ramBase) >>> 12);
    this.ram.dirty[(pa - this.ramBase) >>> 12] = 1;
    if (this.codeWatch[(pa - this.ramBase) >>> 12] !== 0) this.ram.codeWritten((pa - this.ramBase) >>> 12);
    const bLo = xl[rs2], bHi = xh[rs2];
    if (f5 === 3) { // sc
      const ok = this.resValid && this.resAddr === pa && this.resSize === size && m32[o] === this.resValLo &&
        (size === 4 || m32[o + 1] === this.resValHi);
      this.resValid = false;
      if (ok) { m32[o] = bLo; if (size === 8) m32[o + 1] = bHi; }
      if (rd !== 0) { xl[rd] = ok ? 0 : 1; xh[rd] = 0; }
      if (ok) this.instr?.memWrite?.(vaLo, vaHi, pa, size, bLo, size === 8 ? bHi : 0);
      return;
    }
    const aLo = m32[o];
    const aHi = size === 8 ? m32[o + 1] : aLo >> 31;
    let nLo: number, nHi: number;
    if (size === 4) {
      switch (f5) {
        case 0x01: nLo = bLo; break;
        case 0x00: nLo = (aLo + bLo) | 0; break;
        case 0x04: nLo = aLo ^ bLo; break;
        case 0x0c: nLo = aLo & bLo; break;
        case 0x08: nLo = aLo | bLo; break;
        case 0x10: nLo = aLo < bLo ? aLo : bLo; break;
        case 0x14: nLo = aLo > bLo ? aLo : bLo; break;
        case 0x18: nLo = (aLo >>> 0) < (bLo >>> 0) ? aLo : bLo; break;
        case 0x1c: nLo = (aLo >>> 0) > (bLo >>> 0) ? aLo : bLo; break;
        default: return this.illegal(insn);
      }
      m32[o] = nLo;
    } else {
      const lt = aHi < bHi || (aHi === bHi && (aLo >>> 0) < (bLo >>> 0));
      const ltu = (aHi >>> 0) < (bHi >>> 0) || (aHi === bHi && (aLo >>> 0) < (bLo >>> 0));
      switch (f5) {
        case 0x01: nLo = bLo; nHi = bHi; break;
        case 0x00: { const s = (aLo >>> 0) + (bLo >>> 0); nLo = s | 0; nHi = (aHi + bHi + (s > 0xffffffff ? 1 : 0)) | 0; break; }
        case 0x04: nLo = aLo ^ bLo; nHi = aHi ^ bHi; break;
        case 0x0c: nLo = aLo & bLo; nHi = aHi & bHi; break;
        case 0x08: nLo = aLo | bLo; nHi = aHi | bHi; break;
        case 0x10: nLo = lt ? aLo : bLo; nHi = lt ? aHi : bHi; break;
        case 0x14: nLo = lt ? bLo : aLo; nHi = lt ? bHi : aHi; break;
        case 0x18: nLo = ltu ? aLo : bLo; nHi = ltu ? aHi : bHi; break;
        case 0x1c: nLo = ltu ? bLo : aLo; nHi = ltu ? bHi : aHi; break;
        default: return this.illegal(insn);
      }
      m32[o] = nLo;
      m32[o + 1] = nHi;
    }
    if (rd !== 0) { xl[rd] = aLo; xh[rd] = aHi; }
    const instr = this.instr;
    if (instr !== null) {
      instr.memRead?.(vaLo, vaHi, pa, size, aLo, aHi);
      instr.memWrite?.(vaLo, vaHi, pa, size, m32[o], size === 8 ? m32[o + 1] : 0);
    }
  }

  // ---------------------------------------------------------------- CSRs

  private csrOp(insn: number, rd: number, rs1: number, f3: number): void {
    const csr = insn >>> 20;
    if (f3 === 4) this.illegal(insn);
    const imm = (f3 & 4) !== 0;
    const srcLo = imm ? rs1 : this.xLo[rs1];
    const srcHi = imm ? 0 : this.xHi[rs1];
    const op = f3 & 3;
    const writes = op === 1 || rs1 !== 0;
    if (((csr >>> 8) & 3) > this.priv) this.illegal(insn);
    if (writes && (csr >>> 10) === 3) this.illegal(insn);
    // reading has no side effects, so it also serves as the existence check for csrrw with rd = x0
    if (!this.csrRead(csr)) this.illegal(insn);
    const oldLo = this.resLo, oldHi = this.resHi;
    if (writes) {
      let nLo: number, nHi: number;
      // the interrupt controller's SEIP is read but never written back by csrrs/csrrc (privileged spec 3.1.9)
      const baseLo = csr === CSR.mip ? oldLo & ~(this.mipHw & ~this.mipSw) : oldLo;
      if (op === 1) { nLo = srcLo; nHi = srcHi; }
      else if (op === 2) { nLo = baseLo | srcLo; nHi = oldHi | srcHi; }
      else { nLo = baseLo & ~srcLo; nHi = oldHi & ~srcHi; }
      if (!this.csrWrite(csr, nLo, nHi)) this.illegal(insn);
      this.instr?.csrWrite?.(csr, nLo, nHi);
    }
    if (rd !== 0) { this.xLo[rd] = oldLo; this.xHi[rd] = oldHi; }
  }

  private counterAllowed(bit: number): boolean {
    if (this.priv === 3) return true;
    if (((this.mcounteren >>> bit) & 1) === 0) return false;
    if (this.priv === 0 && ((this.scounteren >>> bit) & 1) === 0) return false;
    return true;
  }

  private setT(v: number): true {
    this.resLo = v % TWO32 | 0;
    this.resHi = Math.floor(v / TWO32) | 0;
    return true;
  }

  /** The value the last successful csrRead produced, as (lo, hi) (for tools such as a debugger). */
  csrResult(): [number, number] {
    return [this.resLo, this.resHi];
  }

  /** Reads a CSR into tLo/tHi; false when it does not exist or is not accessible. */
  csrRead(csr: number): boolean {
    this.resHi = 0;
    switch (csr) {
      case CSR.fflags: if ((this.mstatus & MS_FS) === 0) return false; this.resLo = this.fflags; return true;
      case CSR.frm: if ((this.mstatus & MS_FS) === 0) return false; this.resLo = this.frm; return true;
      case CSR.fcsr: if ((this.mstatus & MS_FS) === 0) return false; this.resLo = (this.frm << 5) | this.fflags; return true;
      case CSR.sstatus: {
        const s = this.mstatus;
        this.resLo = s & SSTATUS_MASK;
        this.resHi = SSTATUS_HI | ((s & MS_FS) === MS_FS ? 0x80000000 | 0 : 0);
        return true;
      }
      case CSR.sie: this.resLo = this.mie & this.mideleg; return true;
      case CSR.stvec: this.resLo = this.stvecLo; this.resHi = this.stvecHi; return true;
      case CSR.scounteren: this.resLo = this.scounteren; return true;
      case CSR.senvcfg: this.resLo = this.senvcfg; return true;
      case CSR.sscratch: this.resLo = this.sscratchLo; this.resHi = this.sscratchHi; return true;
      case CSR.sepc: this.resLo = this.sepcLo; this.resHi = this.sepcHi; return true;
      case CSR.scause: this.resLo = this.scauseLo; this.resHi = this.scauseHi; return true;
      case CSR.stval: this.resLo = this.stvalLo; this.resHi = this.stvalHi; return true;
      case CSR.sip: this.resLo = (this.mipSw | this.mipHw) & this.mideleg; return true;
      case CSR.satp:
        if (this.priv === 1 && (this.mstatus & MS_TVM) !== 0) return false;
        this.resLo = this.satpLo; this.resHi = this.satpHi; return true;
      case CSR.mstatus: {
        const s = this.mstatus;
        this.resLo = s;
        this.resHi = MSTATUS_HI | ((s & MS_FS) === MS_FS ? 0x80000000 | 0 : 0);
        return true;
      }
      case CSR.misa: this.resLo = MISA_LO; this.resHi = MISA_HI; return true;
      case CSR.medeleg: this.resLo = this.medeleg; return true;
      case CSR.mideleg: this.resLo = this.mideleg; return true;
      case CSR.mie: this.resLo = this.mie; return true;
      case CSR.mtvec: this.resLo = this.mtvecLo; this.resHi = this.mtvecHi; return true;
      case CSR.mcounteren: this.resLo = this.mcounteren; return true;
      case CSR.menvcfg: this.resLo = this.menvcfg; return true;
      case CSR.mcountinhibit: this.resLo = this.mcountinhibit; return true;
      case CSR.mscratch: this.resLo = this.mscratchLo; this.resHi = this.mscratchHi; return true;
      case CSR.mepc: this.resLo = this.mepcLo; this.resHi = this.mepcHi; return true;
      case CSR.mcause: this.resLo = this.mcauseLo; this.resHi = this.mcauseHi; return true;
      case CSR.mtval: this.resLo = this.mtvalLo; this.resHi = this.mtvalHi; return true;
      case CSR.mip: this.resLo = this.mipSw | this.mipHw; return true;
      case CSR.mcycle: return this.setT(this.cycleCsr());
      case CSR.minstret: return this.setT(this.instretCsr());
      case CSR.cycle: if (!this.counterAllowed(0)) return false; return this.setT(this.cycleCsr());
      case CSR.time: if (!this.counterAllowed(1)) return false; return this.setT(this.timeFn());
      case CSR.instret: if (!this.counterAllowed(2)) return false; return this.setT(this.instretCsr());
      case CSR.mvendorid: case CSR.mconfigptr: this.resLo = 0; return true;
      case CSR.marchid: case CSR.mimpid: this.resLo = 0x70216; return true; // the values QEMU 7.2 reports
      case CSR.mhartid: this.resLo = this.hartId; return true;
    }
    if (csr >= CSR.pmpcfg0 && csr < CSR.pmpcfg0 + 16) {
      const n = csr - CSR.pmpcfg0;
      if ((n & 1) !== 0 || n >= PMP_ENTRIES / 4) { if (n & 1) return false; this.resLo = 0; return true; }
      const c = this.pmpcfg;
      const b = n * 4;
      this.resLo = c[b] | (c[b + 1] << 8) | (c[b + 2] << 16) | (c[b + 3] << 24);
      this.resHi = c[b + 4] | (c[b + 5] << 8) | (c[b + 6] << 16) | (c[b + 7] << 24);
      return true;
    }
    if (csr >= CSR.pmpaddr0 && csr < CSR.pmpaddr0 + 64) {
      const n = csr - CSR.pmpaddr0;
      if (n >= PMP_ENTRIES) { this.resLo = 0; return true; }
      this.resLo = this.pmpaddrLo[n]; this.resHi = this.pmpaddrHi[n];
      return true;
    }
    // unimplemented hardware performance monitors read as zero
    if ((csr >= 0xb03 && csr <= 0xb1f) || (csr >= 0x323 && csr <= 0x33f)) { this.resLo = 0; return true; }
    if (csr >= 0xc03 && csr <= 0xc1f) { if (!this.counterAllowed(csr - 0xc00)) return false; this.resLo = 0; return true; }
    return false;
  }

  csrWrite(csr: number, lo: number, hi: number): boolean {
    switch (csr) {
      case CSR.fflags: this.fflags = lo & 0x1f; this.mstatus |= MS_FS; return true;
      case CSR.frm: this.frm = lo & 7; this.mstatus |= MS_FS; return true;
      case CSR.fcsr: this.fflags = lo & 0x1f; this.frm = (lo >>> 5) & 7; this.mstatus |= MS_FS; return true;
      case CSR.sstatus: this.writeMstatus((this.mstatus & ~SSTATUS_MASK) | (lo & SSTATUS_MASK)); return true;
      case CSR.sie: this.mie = (this.mie & ~this.mideleg) | (lo & this.mideleg & MIE_MASK); this.interruptsChanged(); return true;
      case CSR.stvec: if ((lo & 3) < 2) { this.stvecLo = lo; this.stvecHi = hi; } return true; // reserved modes: write ignored (QEMU)
      case CSR.scounteren: this.scounteren = lo & 7; return true;
      case CSR.senvcfg: this.senvcfg = lo & 1; return true;
      case CSR.sscratch: this.sscratchLo = lo; this.sscratchHi = hi; return true;
      case CSR.sepc: this.sepcLo = lo & ~1; this.sepcHi = hi; return true;
      case CSR.scause: this.scauseLo = lo; this.scauseHi = hi; return true;
      case CSR.stval: this.stvalLo = lo; this.stvalHi = hi; return true;
      case CSR.sip: {
        const m = this.mideleg & 0x2; // only SSIP is writable through sip
        this.mipSw = (this.mipSw & ~m) | (lo & m);
        this.interruptsChanged();
        return true;
      }
      case CSR.satp: {
        if (this.priv === 1 && (this.mstatus & MS_TVM) !== 0) return false;
        const mode = hi >>> 28;
        if (mode !== 0 && mode !== 8) return true; // unsupported mode: write ignored
        this.satpLo = lo;
        this.satpHi = hi;
        this.updateSatp();
        return true;
      }
      case CSR.mstatus: this.writeMstatus((this.mstatus & ~MSTATUS_WMASK) | (lo & MSTATUS_WMASK)); return true;
      case CSR.misa: return true;
      case CSR.medeleg: this.medeleg = lo & MEDELEG_MASK; return true;
      case CSR.mideleg: this.mideleg = lo & MIDELEG_MASK; this.interruptsChanged(); return true;
      case CSR.mie: this.mie = lo & MIE_MASK; this.interruptsChanged(); return true;
      case CSR.mtvec: if ((lo & 3) < 2) { this.mtvecLo = lo; this.mtvecHi = hi; } return true;
      case CSR.mcounteren: this.mcounteren = lo & 7; return true;
      case CSR.menvcfg: this.menvcfg = lo & 1; return true;
      case CSR.mcountinhibit: {
        const v = lo & 5;
        const c = this.cycleCsr(), i = this.instretCsr();
        this.mcountinhibit = v;
        this.setCycle(c);
        this.setInstret(i);
        return true;
      }
      case CSR.mscratch: this.mscratchLo = lo; this.mscratchHi = hi; return true;
      case CSR.mepc: this.mepcLo = lo & ~1; this.mepcHi = hi; return true;
      case CSR.mcause: this.mcauseLo = lo; this.mcauseHi = hi; return true;
      case CSR.mtval: this.mtvalLo = lo; this.mtvalHi = hi; return true;
      case CSR.mip: this.mipSw = (this.mipSw & ~MIP_WRITABLE) | (lo & MIP_WRITABLE); this.interruptsChanged(); return true;
      case CSR.mcycle: this.setCycle((hi >>> 0) * TWO32 + (lo >>> 0)); return true;
      case CSR.minstret: this.setInstret((hi >>> 0) * TWO32 + (lo >>> 0)); return true;
      case CSR.mvendorid: case CSR.marchid: case CSR.mimpid: case CSR.mhartid: case CSR.mconfigptr:
        return false;
    }
    if (csr >= CSR.pmpcfg0 && csr < CSR.pmpcfg0 + 16) {
      const n = csr - CSR.pmpcfg0;
      if ((n & 1) !== 0) return false;
      if (n >= PMP_ENTRIES / 4) return true;
      const b = n * 4;
      for (let i = 0; i < 8; i++) this.pmp.writeCfg(b + i, i < 4 ? lo >>> (8 * i) : hi >>> (8 * (i - 4)));
      this.pmpChanged();
      return true;
    }
    if (csr >= CSR.pmpaddr0 && csr < CSR.pmpaddr0 + 64) {
      const n = csr - CSR.pmpaddr0;
      if (n >= PMP_ENTRIES) return true;
      this.pmp.writeAddr(n, lo, hi);
      this.pmpChanged();
      return true;
    }
    if ((csr >= 0xb03 && csr <= 0xb1f) || (csr >= 0x323 && csr <= 0x33f)) return true;
    return false;
  }

  /** PMP decisions are cached in the TLBs (checked at fill time). */
  private pmpChanged(): void {
    this.pmp.update();
    this.flushTlb();
  }

  private cycleCsr(): number {
    return (this.mcountinhibit & 1) !== 0 ? this.cycleFrozen : this.instret + this.cycleOffset;
  }

  private instretCsr(): number {
    return (this.mcountinhibit & 4) !== 0 ? this.instretFrozen : this.instret + this.instretOffset;
  }

  // the writing instruction itself still counts afterwards (as on QEMU)
  private setCycle(v: number): void {
    this.cycleFrozen = v;
    this.cycleOffset = v - this.instret;
  }

  private setInstret(v: number): void {
    this.instretFrozen = v;
    this.instretOffset = v - this.instret;
  }

  private writeMstatus(v: number): void {
    const old = this.mstatus;
    // MPP=2 is reserved: keep the old value
    if ((v & MS_MPP) === (2 << MS_MPP_SHIFT)) v = (v & ~MS_MPP) | (old & MS_MPP);
    this.mstatus = v;
    if (((old ^ v) & (MS_SUM | MS_MXR | MS_MPRV | MS_MPP)) !== 0) this.updateKeys();
    if (((v & ~old) & (MS_SIE | MS_MIE)) !== 0) this.interruptsChanged();
  }

  // ---------------------------------------------------------------- state

  saveState(): StateRecord {
    const csr = {
      mstatus: this.mstatus, medeleg: this.medeleg, mideleg: this.mideleg, mie: this.mie, mipSw: this.mipSw, mipHw: this.mipHw,
      mtvec: [this.mtvecLo, this.mtvecHi], stvec: [this.stvecLo, this.stvecHi], mepc: [this.mepcLo, this.mepcHi], sepc: [this.sepcLo, this.sepcHi],
      mcause: [this.mcauseLo, this.mcauseHi], scause: [this.scauseLo, this.scauseHi], mtval: [this.mtvalLo, this.mtvalHi], stval: [this.stvalLo, this.stvalHi],
      mscratch: [this.mscratchLo, this.mscratchHi], sscratch: [this.sscratchLo, this.sscratchHi], satp: [this.satpLo, this.satpHi],
      mcounteren: this.mcounteren, scounteren: this.scounteren, menvcfg: this.menvcfg, senvcfg: this.senvcfg, mcountinhibit: this.mcountinhibit,
      counters: [this.instretOffset, this.cycleOffset, this.instretFrozen, this.cycleFrozen],
    };
    return {
      version: 1,
      hartId: this.hartId,
      x: [Array.from(this.xLo), Array.from(this.xHi)],
      f: [Array.from(this.fLo), Array.from(this.fHi)],
      fflags: this.fflags, frm: this.frm,
      pc: [this.pcLo, this.pcHi],
      priv: this.priv,
      instret: this.instret,
      waiting: this.waiting,
      reservation: this.resValid ? [this.resAddr, this.resSize, this.resValLo, this.resValHi] : null,
      csr,
      pmpcfg: this.pmpcfg.slice(),
      pmpaddr: [Array.from(this.pmpaddrLo), Array.from(this.pmpaddrHi)],
    };
  }

  loadState(rec: StateRecord): void {
    expectVersion(rec, 'hart', 1);
    const s = rec as unknown as {
      x: number[][]; f: number[][]; fflags: number; frm: number; pc: number[]; priv: number; instret: number; waiting: boolean;
      reservation: number[] | null; csr: Record<string, number | number[]>; pmpcfg: Uint8Array; pmpaddr: number[][];
    };
    this.xLo.set(s.x[0]); this.xHi.set(s.x[1]);
    this.fLo.set(s.f[0]); this.fHi.set(s.f[1]);
    this.fflags = s.fflags; this.frm = s.frm;
    this.pcLo = s.pc[0]; this.pcHi = s.pc[1];
    this.priv = s.priv;
    this.instret = s.instret;
    this.waiting = s.waiting;
    this.resValid = s.reservation !== null;
    [this.resAddr, this.resSize, this.resValLo, this.resValHi] = s.reservation ?? [0, 0, 0, 0];
    const c = s.csr;
    const pair = (k: string): number[] => c[k] as number[];
    const num = (k: string): number => c[k] as number;
    this.mstatus = num('mstatus'); this.medeleg = num('medeleg'); this.mideleg = num('mideleg'); this.mie = num('mie');
    this.mipSw = num('mipSw'); this.mipHw = num('mipHw');
    [this.mtvecLo, this.mtvecHi] = pair('mtvec'); [this.stvecLo, this.stvecHi] = pair('stvec');
    [this.mepcLo, this.mepcHi] = pair('mepc'); [this.sepcLo, this.sepcHi] = pair('sepc');
    [this.mcauseLo, this.mcauseHi] = pair('mcause'); [this.scauseLo, this.scauseHi] = pair('scause');
    [this.mtvalLo, this.mtvalHi] = pair('mtval'); [this.stvalLo, this.stvalHi] = pair('stval');
    [this.mscratchLo, this.mscratchHi] = pair('mscratch'); [this.sscratchLo, this.sscratchHi] = pair('sscratch');
    [this.satpLo, this.satpHi] = pair('satp');
    this.mcounteren = num('mcounteren'); this.scounteren = num('scounteren');
    this.menvcfg = num('menvcfg'); this.senvcfg = num('senvcfg'); this.mcountinhibit = num('mcountinhibit');
    [this.instretOffset, this.cycleOffset, this.instretFrozen, this.cycleFrozen] = pair('counters');
    this.pmpcfg.set(s.pmpcfg);
    this.pmpaddrLo.set(s.pmpaddr[0]); this.pmpaddrHi.set(s.pmpaddr[1]);
    this.pmp.update();
    this.invalidateAllCode();
    this.updateSatp();
  }
}
