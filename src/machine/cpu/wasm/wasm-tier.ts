/**
 * The WebAssembly tier's runtime: which regions exist, batching hot regions
 * into modules, running them, and dropping them when their code changes.
 *
 * A hot block leader is queued; queued regions are planned (from the decoded
 * representation) and compiled together into one module when the batch is
 * full, when queued leaders keep running (WAIT_CALLS calls), or when the
 * oldest has waited `batchDelay` instructions, so the fixed cost of a module
 * is shared. At most MAX_MODULES modules are live; the oldest is
 * evicted (its regions are forgotten, V8 frees the code). A write to a code
 * page (reported by the RAM's code watch) forgets that page's regions; when
 * the page is the one a region is running from, the region stops right
 * after the store (the slow path returns "stop").
 *
 * Regions are keyed by RAM offset, like the JS block tier, and take the
 * virtual page base at run time, so one translation serves every mapping.
 */
import { Op, opOf, slotIndex } from '../decoded.js';
import { engineFactory, registerEngine, type Translator, type TranslatorStats } from '../engines.js';
import type { BlockFn, HartRuntime } from '../runtime.js';
import { TLB_MASK } from '../tlb.js';
import { buildDispatcher, type DispatchFn, type DispatcherExports } from './dispatcher.js';
import { dispatchIndex, engineArraysOf, Scratch, SCRATCH_WORDS, type EngineArrays } from './engine-area.js';
import { buildModule, entryLabels, planRegion, translatable, type OtherPages, type RegionPlan, type WasmLayout } from './region-compiler.js';
import type { WasmCompileClient, WasmCompileService } from './compile-service.js';
import { packPlans } from './plan-codec.js';

interface LiveModule { live: number; readonly slots: number[] }

/** A batch whose module a compile service is compiling: its regions, their leaders and the code generation of their pages (own, then other) when emitted. */
interface InFlight { readonly plans: RegionPlan[]; readonly offs: number[]; readonly gens: number[][] }

/** One entry point of a region: its table slot (-1 until compiled, or once dropped) and the label of its block. */
interface Entry {
  slot: number;
  label: number;
  module: LiveModule | null;
  /** Its batch is being compiled by the compile service. */
  compiling: boolean;
  readonly off: number;
  /** RAM pages of other pages its region continues into (their writes forget it too). */
  other: readonly number[];
  /** Virtual pc (lo, hi) and fetch key when the hart handed the leader over: where the planner looks for the pages around it. */
  vLo: number;
  vHi: number;
  vKey: number;
  /** The BlockFn handed to the hart for this leader. */
  readonly block: BlockFn;
}

/** Live modules before the oldest is evicted. */
export const MAX_MODULES = 256;

export interface WasmTierOptions {
  /** Instructions a queued region may wait for the rest of its batch (0: compile at once). */
  batchDelay?: number;
  /** Regions per module before a batch is compiled. */
  batch?: number;
  /** Calls of queued leaders' blocks before their batch is compiled anyway. */
  waitCalls?: number;
  /** Where modules are compiled (null: `new WebAssembly.Module` on this thread, at once). */
  compileService?: WasmCompileService | null;
  /** Other virtual pages a region may continue into (0: none), and instructions it may take from them. */
  otherPages?: number;
  otherInsns?: number;
}

/**
 * Default limits of regions across pages (wasmTierDefaults.otherPages,
 * otherInsns): one other page, 40 instructions from it. Measured on lua
 * (docs/benchmarks.md, "Regions across pages"): without a limit the region
 * hops halved but the module bytes more than doubled and V8's compiles of
 * the larger functions cost more than the hops saved; this small setting
 * cut a third of the hops for 30% more bytes.
 */
export const OTHER_PAGES = 1;
export const OTHER_INSNS = 40;

/**
 * Defaults tests and benchmarks change: the tier-up policy (batch delay, regions
 * per module, waiting calls) and the dispatcher's chain limit (0: regions chain
 * inside wasm without limit; 1: control returns to JavaScript after every
 * region, so lockstep tests compare after each).
 */
export const wasmTierDefaults: { batchDelay: number; batch: number; waitCalls: number; chainLimit: number; compileService: WasmCompileService | null; pollInterval: number; otherPages: number; otherInsns: number } = {
  batchDelay: 200_000, batch: 16, waitCalls: 64, chainLimit: 0,
  /**
   * Regions across pages (region-compiler.ts, OtherPage): how many other
   * virtual pages one region may continue into, and how many instructions it
   * may take from them. See docs/benchmarks.md ("Regions across pages").
   */
  otherPages: OTHER_PAGES, otherInsns: OTHER_INSNS,
  /** Compiles on another thread (compile-service.ts); null: synchronous (exact, repeatable tier statistics). */
  compileService: null,
  /** With a compile service: instructions between two looks for finished modules while compiles are in flight. */
  pollInterval: 20_000,
};

/**
 * The wasm engine's default hot threshold (block executions before a leader
 * is queued), registered with the engine so it can differ from the hart's
 * BLOCK_HOT. The sweep in docs/benchmarks.md ("Where tier-up and the boot's
 * run phase go"), with compiles on a worker thread: 5000 cut compute's
 * main-thread CPU by 15-20% and left the boot's about unchanged, but the real
 * programs then made three times the regions and their peak RSS grew from
 * about 200 to 310-330 MiB (10 000 and 5000), with no clear time gain on a
 * loaded machine; so it stays at 20 000 until that memory is understood.
 * Re-tune with `--hot-threshold` (bench:tier-up, bench:boot, bench:programs).
 */
export const WASM_HOT_THRESHOLD = 20_000;

/** Tiers whose dispatcher counters `wasmTierStats.retired` has not summed up yet. */
const liveTiers = new Set<WeakRef<WasmTier>>();
let retiredSummed = 0;

/**
 * Process-wide statistics of every WasmTier (benchmarks and tests read them; never reset by the tier).
 * `retired` (instructions retired in regions) sums the live tiers' dispatcher counters when read (the
 * dispatcher counts in wasm, whoever called it); what a tier retired after the last read is lost when
 * it is collected.
 */
export const wasmTierStats = {
  regions: 0, modules: 0, evicted: 0, bytes: 0, compileMs: 0,
  get retired(): number {
    for (const ref of liveTiers) {
      const t = ref.deref();
      if (t === undefined) liveTiers.delete(ref);
      else retiredSummed += t.takeRetired();
    }
    return retiredSummed;
  },
};

export class WasmTier implements Translator {
  private readonly entries = new Map<number, Entry>();
  private readonly pageEntries = new Map<number, number[]>();
  private readonly pending: number[] = [];
  private pendingSince = -1;
  private waits = 0;
  private readonly modules: LiveModule[] = [];
  private readonly scratch: Int32Array;
  private readonly layout: WasmLayout;
  private readonly memPages: number;
  private readonly batchDelay: number;
  private readonly batch: number;
  private readonly waitCalls: number;
  private readonly imports: WebAssembly.Imports;
  private readonly dTag: Int32Array;
  private readonly dVal: Int32Array;
  private readonly itLo: Int32Array;
  private readonly itHi: Int32Array;
  private readonly itOff: Int32Array;
  /** Every compiled region function, by slot; the dispatcher calls through it. */
  private readonly table: WebAssembly.Table;
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;
  private readonly dispatch: DispatchFn;
  /** What a slow path threw (a trap), rethrown once the dispatcher has returned to a BlockFn. */
  private fault: unknown = null;
  /** Background compiles (null: compile synchronously), the batches in flight by ticket, and when the tier last looked for finished ones. */
  private readonly compiler: WasmCompileClient | null;
  private readonly inFlight = new Map<number, InFlight>();
  /** Entry points of the regions in flight (RAM offset -> batches): a leader among them waits for its batch instead of making a region of its own. */
  private readonly inFlightLabels = new Map<number, number>();
  private readonly pollInterval: number;
  private readonly otherPageLimit: number;
  private readonly otherInsnLimit: number;
  private lastPoll = 0;
  /** Code generation of each page (bumped when its code changes while batches are in flight): a finished compile of older code is dropped. */
  private readonly pageGen = new Map<number, number>();
  private readonly stats = { translations: 0, modules: 0, compileMs: 0, planMs: 0, emitMs: 0, moduleMs: 0, instantiateMs: 0, submitMs: 0, pollMs: 0, backgroundMs: 0, dropped: 0, bytes: 0, evicted: 0 };
  /** The part of the dispatcher's retired counter wasmTierStats.retired has summed. */
  private retiredTaken = 0;

  constructor(private readonly rt: HartRuntime, area: EngineArrays, options: WasmTierOptions = {}) {
    this.layout = {
      xLo: area.xLo.byteOffset, xHi: area.xHi.byteOffset, fLo: area.fLo.byteOffset, fHi: area.fHi.byteOffset,
      rtLo: area.rtLo.byteOffset, rtHi: area.rtHi.byteOffset, rtOff: area.rtOff.byteOffset,
      wtLo: area.wtLo.byteOffset, wtHi: area.wtHi.byteOffset, wtOff: area.wtOff.byteOffset,
      itLo: area.itLo.byteOffset, itHi: area.itHi.byteOffset, itOff: area.itOff.byteOffset,
      tlbMask: TLB_MASK, scratch: area.scratch,
    };
    this.itLo = area.itLo; this.itHi = area.itHi; this.itOff = area.itOff;
    this.memPages = area.buffer.byteLength / 65536;
    this.scratch = new Int32Array(area.buffer, area.scratch, SCRATCH_WORDS);
    this.dTag = area.dTag;
    this.dVal = area.dVal;
    this.batchDelay = options.batchDelay ?? wasmTierDefaults.batchDelay;
    this.batch = options.batch ?? wasmTierDefaults.batch;
    this.waitCalls = options.waitCalls ?? wasmTierDefaults.waitCalls;
    this.compiler = (options.compileService !== undefined ? options.compileService : wasmTierDefaults.compileService)?.open() ?? null;
    this.pollInterval = wasmTierDefaults.pollInterval;
    this.otherPageLimit = options.otherPages ?? wasmTierDefaults.otherPages;
    this.otherInsnLimit = options.otherInsns ?? wasmTierDefaults.otherInsns;
    this.scratch[Scratch.CHAIN_LIMIT >> 2] = wasmTierDefaults.chainLimit;
    this.table = new WebAssembly.Table({ element: 'anyfunc', initial: 64 });
    const s = this.scratch;
    const slowPaths = {
        load: (vaLo: number, vaHi: number, f3: number, pcLo: number, pcHi: number, k: number): number => {
          rt.pcLo = pcLo; rt.pcHi = pcHi; rt.instret = rt.countBase + k;
          try {
            rt.loadSlow(vaLo, vaHi, f3);
          } catch (e) {
            return this.trapped(e); // a trap (taken): the region leaves at once
          }
          s[Scratch.SLOW_LOAD >> 2] = rt.resLo;
          s[(Scratch.SLOW_LOAD >> 2) + 1] = rt.resHi;
          if (rt.sliceStop || rt.codeExit) { s[Scratch.STOP >> 2] = 1; return 1; }
          return 0;
        },
        store: (vaLo: number, vaHi: number, size: number, vLo: number, vHi: number, pcLo: number, pcHi: number, k: number): number => {
          rt.pcLo = pcLo; rt.pcHi = pcHi; rt.instret = rt.countBase + k;
          try {
            rt.storeSlow(vaLo, vaHi, size, vLo, vHi);
          } catch (e) {
            return this.trapped(e);
          }
          if (rt.sliceStop || rt.codeExit) { s[Scratch.STOP >> 2] = 1; return 1; }
          return 0;
        },
    };
    const disp = buildDispatcher({
      itLo: area.itLo.byteOffset, itHi: area.itHi.byteOffset, itOff: area.itOff.byteOffset,
      dTag: area.dTag.byteOffset, dVal: area.dVal.byteOffset, scratch: area.scratch,
    }, this.memPages);
    const ex = new WebAssembly.Instance(new WebAssembly.Module(disp), { env: { mem: area.memory, table: this.table, ...slowPaths } }).exports as unknown as DispatcherExports;
    this.dispatch = ex.dispatch;
    // regions call the slow paths through the dispatcher's wasm helpers: no JavaScript imports per module
    this.imports = { env: { mem: area.memory }, rt: { lds: ex.lds, sts: ex.sts } } as unknown as WebAssembly.Imports;
    liveTiers.add(new WeakRef(this));
  }

  /**
   * A slow path trapped (the hart has taken the trap: pc is the handler's, instret the count before the
   * instruction): the region leaves with the stop flag and, for a caller that goes on in wasm (the wasm
   * interpreter), the trap's pc and count as its next pc and count; a BlockFn rethrows instead.
   */
  private trapped(e: unknown): number {
    const s = this.scratch, rt = this.rt;
    this.fault = e;
    s[Scratch.STOP >> 2] = 2; // 2: a trap (the wasm interpreter leaves with Exit.TRAP)
    s[Scratch.NEXT_PC >> 2] = rt.pcLo;
    s[(Scratch.NEXT_PC >> 2) + 1] = rt.pcHi;
    s[Scratch.EXIT_COUNT >> 2] = rt.instret - rt.countBase;
    return 2;
  }

  /**
   * Lets the hart's wasm interpreter call the dispatcher at leaders with a compiled entry (a wasm-to-wasm
   * call: `interp.link` puts it in the interpreter's table). The hart calls `enterGenerated` before each
   * run of the interpreter, as a BlockFn does before its dispatch.
   */
  linkInterpreter(interp: { link(dispatch: unknown): void }): void {
    interp.link(this.dispatch);
  }

  /** Dispatcher calls (from JavaScript and the wasm interpreter) and the instructions they retired. */
  private dispatchCounts(): { calls: number; retired: number } {
    const s = this.scratch;
    return { calls: s[Scratch.CALLS >> 2] >>> 0, retired: (s[Scratch.RETIRED >> 2] >>> 0) + (s[(Scratch.RETIRED >> 2) + 1] >>> 0) * 4294967296 };
  }

  /** Instructions retired in regions since the last call (wasmTierStats.retired). */
  takeRetired(): number {
    const r = this.dispatchCounts().retired;
    const d = r - this.retiredTaken;
    this.retiredTaken = r;
    return d;
  }

  /** Number of live entry points (statistics, tests). */
  get entryCount(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.slot >= 0) n++;
    return n;
  }

  get liveModules(): number {
    return this.modules.length;
  }

  /** This tier's counters (Translator.stats). */
  engineStats(): TranslatorStats {
    const st = this.stats;
    return {
      translations: st.translations, compileMs: st.compileMs, modules: st.modules, liveModules: this.modules.length,
      planMs: st.planMs, emitMs: st.emitMs, moduleMs: st.moduleMs, instantiateMs: st.instantiateMs,
      submitMs: st.submitMs, pollMs: st.pollMs, backgroundMs: st.backgroundMs, inFlight: this.inFlight.size, dropped: st.dropped,
      bytes: st.bytes, evicted: st.evicted, ...this.dispatchCounts(),
      dispatchHits: this.scratch[Scratch.DISPATCH_HITS >> 2] >>> 0, dispatchMisses: this.scratch[Scratch.DISPATCH_MISSES >> 2] >>> 0,
    };
  }

  /**
   * The BlockFn for the leader at RAM offset `off`: runs the region entered
   * there once it is compiled; until then it returns 0 (the interpreter runs)
   * and compiles the batch when it has waited long enough.
   */
  translate(off: number): BlockFn | null {
    const known = this.entries.get(off);
    if (known !== undefined) return known.block;
    if (!translatable(this.slotAt(off), slotIndex(off & 0xfff))) return null;
    const e = this.newEntry(off);
    // the hart writes the leader's pc before handing it over (hart.ts translate)
    e.vLo = this.rt.pcLo; e.vHi = this.rt.pcHi; e.vKey = this.rt.fetchKey();
    this.entries.set(off, e);
    this.listPage(off);
    if (this.inFlightLabels.has(off)) { e.compiling = true; return e.block; }
    if (this.pending.length === 0) this.pendingSince = this.rt.instret;
    this.pending.push(off);
    if (this.pending.length >= this.batch || this.batchDelay === 0) this.flush();
    return e.block;
  }

  private newEntry(off: number): Entry {
    const rt = this.rt;
    const h = dispatchIndex(off);
    const e: Entry = {
      slot: -1, label: 0, module: null, compiling: false, off, other: [], vLo: 0, vHi: 0, vKey: -1,
      block: (pcLo, pcHi, count, end, dKey) => {
        const slot = e.slot;
        if (slot < 0) {
          const cur = this.entries.get(off);
          if (cur !== e) {
            // evicted (the hart still holds this BlockFn): a newer entry runs, else this one is queued again
            if (cur !== undefined) return cur.block(pcLo, pcHi, count, end, dKey);
            this.entries.set(off, e);
            this.listPage(off);
            e.compiling = false; // a compile it was part of (of older code) is dropped when it comes in
            e.vLo = pcLo; e.vHi = pcHi; e.vKey = rt.fetchKey();
            if (this.pending.length === 0) this.pendingSince = count;
            this.pending.push(off);
            return 0;
          }
          // a queued leader that keeps running is hot: compile its batch soon, full or not
          if (this.pending.length > 0 && (++this.waits >= this.waitCalls || count - this.pendingSince >= this.batchDelay)) this.flush();
          // (count < lastPoll: instret went back, e.g. a restored state)
          if (this.inFlight.size > 0 && (count - this.lastPoll >= this.pollInterval || count < this.lastPoll)) { this.lastPoll = count; this.collect(); }
          if (e.slot < 0) return 0;
          return e.block(pcLo, pcHi, count, end, dKey);
        }
        // this entry wins its dispatcher table slot again (another entry may have taken it)
        this.dTag[h] = off;
        this.dVal[h] = (slot << 8) | e.label;
        rt.enterGenerated(count);
        this.fault = null; // (a trap a region took under the wasm interpreter is not rethrown: it went on at the handler)
        const n = this.dispatch(slot, e.label, pcLo, pcHi, Math.min(end - count, 0x3fffffff), dKey, rt.fetchKey(), 0);
        if (this.fault !== null) {
          const f = this.fault;
          this.fault = null;
          throw f;
        }
        rt.nextLo = this.scratch[Scratch.NEXT_PC >> 2];
        rt.nextHi = this.scratch[(Scratch.NEXT_PC >> 2) + 1];
        return n;
      },
    };
    return e;
  }

  /** Lists entry `entry` (default: the one at `off`) under the page of RAM offset `off`, whose writes forget it. */
  private listPage(off: number, entry = off): void {
    const page = off >>> 12;
    const list = this.pageEntries.get(page);
    if (list) list.push(entry); else this.pageEntries.set(page, [entry]);
  }

  /** RAM pages a plan's code comes from: its leader's, then the other pages'. */
  private pagesOf(plan: RegionPlan, off: number): number[] {
    return [off >>> 12, ...plan.pages.map((p) => p.ram)];
  }

  /**
   * The pages around leader `e`'s virtual page for the planner: the RAM page
   * the fetch TLB maps each to now (with the key it had when the hart handed
   * the leader over), when it holds decoded code. The region checks the
   * mapping again when it runs (a guard per edge), so a stale guess costs
   * only an exit.
   */
  private otherPages(e: Entry): OtherPages | null {
    if (e.vKey < 0 || this.otherPageLimit <= 0) return null;
    return { maxPages: this.otherPageLimit, maxInsns: this.otherInsnLimit, page: (delta) => {
      if (delta < -0x7ffff || delta > 0x7ffff) return null;
      const vLo = (e.vLo >>> 12) * 4096 + delta * 4096; // unsigned, may leave 0 .. 2^32 - 1 (a carry into the high word)
      const lo = vLo | 0;
      const hi = vLo >= 0x100000000 ? (e.vHi + 1) | 0 : vLo < 0 ? (e.vHi - 1) | 0 : e.vHi;
      const ipn = lo >>> 12, ti = ipn & TLB_MASK;
      if (this.itLo[ti] !== (ipn | e.vKey) || this.itHi[ti] !== hi || this.itOff[ti] < 0) return null;
      const ram = this.itOff[ti] >>> 12;
      const decoded = this.rt.code.pages[ram];
      if (!this.rt.code.has(ram)) return null;
      const base = ram << 12;
      return { ram, slot: (d) => this.slotAt(base | d), executed: (d) => opOf(decoded[slotIndex(d)]) !== Op.UNDECODED };
    } };
  }

  /** Decoded page words holding RAM offset `off`, decoding that slot first (a 32-bit instruction crossing the page end stays UNDECODED). */
  private slotAt(off: number): Int32Array {
    const code = this.rt.code;
    const w = code.pages[off >>> 12];
    if (opOf(w[slotIndex(off & 0xfff)]) !== Op.UNDECODED) return w;
    if ((off & 0xfff) === 0xffe && (this.rt.mem.u16[off >> 1] & 3) === 3) return w;
    return code.decode(off);
  }

  private allocSlot(): number {
    const free = this.freeSlots.pop();
    if (free !== undefined) return free;
    if (this.nextSlot === this.table.length) this.table.grow(this.table.length);
    return this.nextSlot++;
  }

  /** Compiles every queued region into one module (or hands it to the compile service). */
  flush(): void {
    if (this.pending.length === 0) return;
    const t0 = performance.now();
    const plans: RegionPlan[] = [];
    const offs: number[] = [];
    for (const off of this.pending) {
      const e = this.entries.get(off);
      if (e === undefined || e.slot >= 0 || e.compiling) continue; // dropped meanwhile, or compiled (or compiling) inside another region
      const pageBase = off & ~0xfff;
      const decoded = this.rt.code.pages[off >>> 12];
      const plan = planRegion((d) => this.slotAt(pageBase | d), off & 0xfff, (d) => opOf(decoded[slotIndex(d)]) !== Op.UNDECODED, this.otherPages(e));
      if (plan === null) continue;
      plans.push(plan);
      offs.push(off);
    }
    this.pending.length = 0;
    this.waits = 0;
    const t1 = performance.now();
    this.stats.planMs += t1 - t0;
    if (plans.length === 0) return;
    if (this.compiler !== null) {
      const ticket = this.compiler.submit({ layout: this.layout, plans: packPlans(plans), memPages: this.memPages });
      for (const off of offs) { const e = this.entries.get(off); if (e !== undefined) e.compiling = true; }
      this.countLabels(plans, offs, 1);
      this.inFlight.set(ticket, { plans, offs, gens: plans.map((p, i) => this.pagesOf(p, offs[i]).map((pg) => this.pageGen.get(pg) ?? 0)) });
      this.stats.submitMs += performance.now() - t1;
      this.addCompileMs(performance.now() - t0);
      return;
    }
    const bytes = buildModule(this.layout, plans, this.memPages);
    const t2 = performance.now();
    this.stats.emitMs += t2 - t1;
    this.addBytes(bytes.length);
    const module = new WebAssembly.Module(bytes);
    const t3 = performance.now();
    this.stats.moduleMs += t3 - t2;
    this.install(module, plans, offs);
    this.addCompileMs(performance.now() - t0);
  }

  /** Adds `by` to the in-flight count of every entry point of `plans` (leaders `offs`). */
  private countLabels(plans: RegionPlan[], offs: number[], by: number): void {
    plans.forEach((plan, i) => {
      const base = offs[i] & ~0xfff;
      for (const [d] of entryLabels(plan)) {
        const n = (this.inFlightLabels.get(base | d) ?? 0) + by;
        if (n > 0) this.inFlightLabels.set(base | d, n); else this.inFlightLabels.delete(base | d); // (a page's labels may have been dropped already)
      }
    });
  }

  private addBytes(n: number): void {
    this.stats.bytes += n;
    wasmTierStats.bytes += n;
  }

  private addCompileMs(ms: number): void {
    wasmTierStats.compileMs += ms;
    this.stats.compileMs += ms;
  }

  /** Installs the modules the compile service has finished (`wait`: blocks until every batch in flight is in). */
  collect(wait = false): void {
    const c = this.compiler;
    if (c === null) return;
    while (this.inFlight.size > 0) {
      const tp = performance.now();
      const done = wait ? c.wait() : c.poll();
      this.stats.pollMs += performance.now() - tp;
      if (done === undefined) return;
      const f = this.inFlight.get(done.ticket);
      if (f === undefined) continue;
      this.inFlight.delete(done.ticket);
      this.countLabels(f.plans, f.offs, -1);
      const t0 = performance.now();
      this.stats.backgroundMs += done.emitMs + done.compileMs;
      this.addBytes(done.bytes);
      for (const off of f.offs) { const e = this.entries.get(off); if (e !== undefined) e.compiling = false; }
      if (done.module === undefined) throw new Error(`wasm tier: module compile failed: ${done.error ?? 'unknown error'}`);
      // regions of pages whose code changed since they were emitted are left out (their leaders queue again)
      const keep = f.plans.map((p, i) => this.pagesOf(p, f.offs[i]).every((pg, j) => (this.pageGen.get(pg) ?? 0) === f.gens[i][j]));
      for (const k of keep) if (!k) this.stats.dropped++;
      this.install(done.module, f.plans, f.offs, keep);
      this.addCompileMs(performance.now() - t0);
    }
  }

  /** Instantiates a compiled batch and maps its regions' entry points (`keep[i]` false: region i is not installed). */
  private install(module: WebAssembly.Module, plans: RegionPlan[], offs: number[], keep?: boolean[]): void {
    const t3 = performance.now();
    const inst = new WebAssembly.Instance(module, this.imports);
    this.stats.instantiateMs += performance.now() - t3;
    const mod: LiveModule = { live: 0, slots: [] };
    plans.forEach((plan, i) => {
      if (keep !== undefined && !keep[i]) return;
      const slot = this.allocSlot();
      this.table.set(slot, inst.exports[`r${i}`] as () => number);
      mod.slots.push(slot);
      const pageBase = offs[i] & ~0xfff;
      const other = plan.pages.map((p) => p.ram);
      for (const [d, label] of entryLabels(plan)) {
        const off = pageBase | d;
        let e = this.entries.get(off);
        if (e === undefined) {
          e = this.newEntry(off);
          this.entries.set(off, e);
          this.listPage(off);
        } else if (e.slot >= 0 && off !== offs[i]) continue; // an older region already enters here
        else if (e.module === mod) mod.live--; // entered by an earlier region of this batch: its own region wins
        else if (e.module !== null) this.release(e.module);
        e.slot = slot;
        e.label = label;
        e.module = mod;
        e.other = other;
        for (const pg of other) this.listPage(pg << 12, off);
        e.compiling = false;
        mod.live++;
        const h = dispatchIndex(off);
        this.dTag[h] = off;
        this.dVal[h] = (slot << 8) | label;
      }
    });
    if (mod.slots.length === 0) return;
    this.modules.push(mod);
    wasmTierStats.regions += mod.slots.length;
    wasmTierStats.modules++;
    this.stats.translations += mod.slots.length;
    this.stats.modules++;
    while (this.modules.length > MAX_MODULES) this.evict(this.modules[0]);
  }

  /** Takes entry `e` out of the dispatcher's table. */
  private unmap(e: Entry): void {
    const h = dispatchIndex(e.off);
    if (this.dTag[h] === e.off) this.dTag[h] = -1;
  }

  /** One entry of `mod` went away; a module without entries is dropped and its table slots freed. */
  private release(mod: LiveModule): void {
    if (--mod.live > 0) return;
    const i = this.modules.indexOf(mod);
    if (i >= 0) this.modules.splice(i, 1);
    this.freeModuleSlots(mod);
  }

  private freeModuleSlots(mod: LiveModule): void {
    for (const slot of mod.slots) {
      this.table.set(slot, null);
      this.freeSlots.push(slot);
    }
    mod.slots.length = 0;
  }

  /** Forgets the oldest module's regions (their leaders fall back to the interpreter and are queued again when next run). */
  private evict(mod: LiveModule): void {
    for (const [off, e] of this.entries) {
      if (e.module === mod) { this.unmap(e); e.slot = -1; e.module = null; this.entries.delete(off); }
    }
    const i = this.modules.indexOf(mod);
    if (i >= 0) this.modules.splice(i, 1);
    this.freeModuleSlots(mod);
    wasmTierStats.evicted++;
    this.stats.evicted++;
  }

  /** Page `page`'s code changed: forget its regions (a running one has already been told to stop by codeExit). */
  invalidatePage(page: number): void {
    if (this.inFlight.size > 0) {
      // batches in flight with regions of this page: those regions will not be installed, so no leader waits for them
      this.pageGen.set(page, (this.pageGen.get(page) ?? 0) + 1);
      for (const off of this.inFlightLabels.keys()) if (off >>> 12 === page) this.inFlightLabels.delete(off);
    }
    const list = this.pageEntries.get(page);
    if (list === undefined) return;
    for (const off of list) {
      const e = this.entries.get(off);
      if (e === undefined || off >>> 12 !== page && !e.other.includes(page)) continue;
      this.entries.delete(off);
      this.unmap(e);
      e.slot = -1;
      if (e.module !== null) this.release(e.module);
      e.module = null;
    }
    this.pageEntries.delete(page);
  }

  /** Forgets everything (RAM replaced wholesale, debugger or instrumentation attached). */
  invalidateAll(): void {
    // batches in flight are forgotten (their modules are ignored when they come in)
    this.inFlight.clear();
    this.inFlightLabels.clear();
    for (const e of this.entries.values()) { e.slot = -1; e.module = null; }
    this.entries.clear();
    this.pageEntries.clear();
    this.pending.length = 0;
    for (const mod of this.modules) this.freeModuleSlots(mod);
    this.modules.length = 0;
    this.dTag.fill(-1);
  }
}

/**
 * The 'wasm' engine: the WebAssembly tier where the hart's registers and TLBs
 * live in wasm memory, else (no WebAssembly, no shared memory, engine area
 * full) the JavaScript block tier.
 */
registerEngine('wasm', (rt) => {
  const area = engineArraysOf(rt.xLo);
  if (area !== undefined && area.rtLo === rt.tlb.rtLo && area.wtLo === rt.tlb.wtLo && area.itLo === rt.tlb.itLo) return new WasmTier(rt, area);
  const js = engineFactory('js');
  return js !== null ? js(rt) : { translate: () => null };
}, WASM_HOT_THRESHOLD);
