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
import { engineFactory, registerEngine, type Translator } from '../engines.js';
import type { BlockFn, HartRuntime } from '../runtime.js';
import { TLB_MASK } from '../tlb.js';
import { engineArraysOf, type EngineArrays } from './engine-area.js';
import { buildModule, planRegion, translatable, type RegionPlan, type WasmLayout } from './region-compiler.js';

type RegionFn = (label: number, pageLo: number, pageHi: number, budget: number, dKey: number) => number;

interface LiveModule { live: number }

/** One entry point of a region: its function (null until compiled, or once dropped) and the label of its block. */
interface Entry {
  fn: RegionFn | null;
  label: number;
  module: LiveModule | null;
  /** The BlockFn handed to the hart for this leader. */
  readonly block: BlockFn;
}

/** Regions per module before a batch is compiled. */
export const BATCH = 16;
/** Calls of queued leaders' blocks before their batch is compiled anyway. */
export const WAIT_CALLS = 64;
/** Live modules before the oldest is evicted. */
export const MAX_MODULES = 256;

export interface WasmTierOptions {
  /** Instructions a queued region may wait for the rest of its batch (0: compile at once). */
  batchDelay?: number;
}

/** Default batch delay; tests lower it through `wasmTierDefaults`. */
export const wasmTierDefaults = { batchDelay: 200_000 };

/** Process-wide statistics of every WasmTier (benchmarks and tests read them; never reset by the tier). */
export const wasmTierStats = { regions: 0, modules: 0, evicted: 0, bytes: 0, compileMs: 0, retired: 0 };

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
  private readonly imports: WebAssembly.Imports;
  // the running region's page base and start count, read by the slow-path imports
  private pageLo = 0;
  private pageHi = 0;
  private count0 = 0;
  /** What a slow path threw (a trap), rethrown once the region has left. */
  private fault: unknown = null;

  constructor(private readonly rt: HartRuntime, area: EngineArrays, options: WasmTierOptions = {}) {
    this.layout = {
      xLo: area.xLo.byteOffset, xHi: area.xHi.byteOffset,
      rtLo: area.rtLo.byteOffset, rtHi: area.rtHi.byteOffset, rtOff: area.rtOff.byteOffset,
      wtLo: area.wtLo.byteOffset, wtHi: area.wtHi.byteOffset, wtOff: area.wtOff.byteOffset,
      tlbMask: TLB_MASK, scratch: area.scratch,
    };
    this.memPages = area.buffer.byteLength / 65536;
    this.scratch = new Int32Array(area.buffer, area.scratch, 4);
    this.batchDelay = options.batchDelay ?? wasmTierDefaults.batchDelay;
    const s = this.scratch;
    this.imports = {
      env: {
        mem: area.memory,
        load: (vaLo: number, vaHi: number, f3: number, pcOff: number, k: number): number => {
          rt.pcLo = this.pageLo | pcOff; rt.pcHi = this.pageHi; rt.instret = this.count0 + k;
          try {
            rt.loadSlow(vaLo, vaHi, f3);
          } catch (e) {
            this.fault = e; // a trap (taken): the region leaves at once and the caller rethrows
            return 2;
          }
          s[2] = rt.resLo;
          s[3] = rt.resHi;
          return rt.sliceStop || rt.codeExit ? 1 : 0;
        },
        store: (vaLo: number, vaHi: number, size: number, vLo: number, vHi: number, pcOff: number, k: number): number => {
          rt.pcLo = this.pageLo | pcOff; rt.pcHi = this.pageHi; rt.instret = this.count0 + k;
          try {
            rt.storeSlow(vaLo, vaHi, size, vLo, vHi);
          } catch (e) {
            this.fault = e;
            return 2;
          }
          return rt.sliceStop || rt.codeExit ? 1 : 0;
        },
      },
    };
  }

  /** Number of live entry points (statistics, tests). */
  get entryCount(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.fn !== null) n++;
    return n;
  }

  get liveModules(): number {
    return this.modules.length;
  }

  /**
   * The BlockFn for the leader at RAM offset `off`: runs the region entered
   * there once it is compiled; until then it returns 0 (the interpreter runs)
   * and compiles the batch when it has waited long enough.
   */
  translate(off: number): BlockFn | null {
    const known = this.entries.get(off);
    if (known !== undefined) return known.block;
    if (!translatable(opOf(this.slotAt(off)[slotIndex(off & 0xfff)]))) return null;
    const e = this.newEntry();
    this.entries.set(off, e);
    this.listPage(off);
    if (this.pending.length === 0) this.pendingSince = this.rt.instret;
    this.pending.push(off);
    if (this.pending.length >= BATCH || this.batchDelay === 0) this.flush();
    return e.block;
  }

  private newEntry(): Entry {
    const rt = this.rt;
    const e: Entry = {
      fn: null, label: 0, module: null,
      block: (pcLo, pcHi, count, end, dKey) => {
        const fn = e.fn;
        if (fn === null) {
          // a queued leader that keeps running is hot: compile its batch soon, full or not
          if (this.pending.length > 0 && (++this.waits >= WAIT_CALLS || count - this.pendingSince >= this.batchDelay)) this.flush();
          if (e.fn === null) return 0;
          return e.block(pcLo, pcHi, count, end, dKey);
        }
        const pageLo = pcLo & ~0xfff;
        this.pageLo = pageLo;
        rt.codeExit = false;
        this.pageHi = pcHi;
        this.count0 = count;
        const n = fn(e.label, pageLo, pcHi, Math.min(end - count, 0x3fffffff), dKey);
        if (this.fault !== null) {
          const f = this.fault;
          this.fault = null;
          throw f;
        }
        rt.nextLo = this.scratch[0];
        rt.nextHi = this.scratch[1];
        wasmTierStats.retired += n;
        return n;
      },
    };
    return e;
  }

  private listPage(off: number): void {
    const page = off >>> 12;
    const list = this.pageEntries.get(page);
    if (list) list.push(off); else this.pageEntries.set(page, [off]);
  }

  /** Decoded page words holding RAM offset `off`, decoding that slot first (a 32-bit instruction crossing the page end stays UNDECODED). */
  private slotAt(off: number): Int32Array {
    const code = this.rt.code;
    const w = code.pages[off >>> 12];
    if (opOf(w[slotIndex(off & 0xfff)]) !== Op.UNDECODED) return w;
    if ((off & 0xfff) === 0xffe && (this.rt.mem.u16[off >> 1] & 3) === 3) return w;
    return code.decode(off);
  }

  /** Compiles every queued region into one module. */
  flush(): void {
    if (this.pending.length === 0) return;
    const t0 = performance.now();
    const plans: RegionPlan[] = [];
    const offs: number[] = [];
    for (const off of this.pending) {
      const e = this.entries.get(off);
      if (e === undefined || e.fn !== null) continue; // dropped meanwhile, or compiled inside another region
      const pageBase = off & ~0xfff;
      const decoded = this.rt.code.pages[off >>> 12];
      const plan = planRegion((d) => this.slotAt(pageBase | d), off & 0xfff, (d) => opOf(decoded[slotIndex(d)]) !== Op.UNDECODED);
      if (plan === null) continue;
      plans.push(plan);
      offs.push(off);
    }
    this.pending.length = 0;
    this.waits = 0;
    if (plans.length === 0) return;
    const bytes = buildModule(this.layout, plans, this.memPages);
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), this.imports);
    const mod: LiveModule = { live: 0 };
    plans.forEach((plan, i) => {
      const fn = inst.exports[`r${i}`] as RegionFn;
      const pageBase = offs[i] & ~0xfff;
      for (const [d, label] of plan.labels) {
        const off = pageBase | d;
        let e = this.entries.get(off);
        if (e === undefined) {
          e = this.newEntry();
          this.entries.set(off, e);
          this.listPage(off);
        } else if (e.fn !== null && off !== offs[i]) continue; // an older region already enters here
        else if (e.module !== null) e.module.live--;
        e.fn = fn;
        e.label = label;
        e.module = mod;
        mod.live++;
      }
    });
    this.modules.push(mod);
    wasmTierStats.regions += plans.length;
    wasmTierStats.modules++;
    wasmTierStats.bytes += bytes.length;
    while (this.modules.length > MAX_MODULES) this.evict(this.modules[0]);
    wasmTierStats.compileMs += performance.now() - t0;
  }

  /** Forgets the oldest module's regions (their leaders fall back to the interpreter until hot again). */
  private evict(mod: LiveModule): void {
    for (const [off, e] of this.entries) {
      if (e.module === mod) { e.fn = null; e.module = null; this.entries.delete(off); }
    }
    const i = this.modules.indexOf(mod);
    if (i >= 0) this.modules.splice(i, 1);
    wasmTierStats.evicted++;
  }

  /** Page `page`'s code changed: forget its regions (a running one has already been told to stop by codeExit). */
  invalidatePage(page: number): void {
    const list = this.pageEntries.get(page);
    if (list === undefined) return;
    for (const off of list) {
      const e = this.entries.get(off);
      if (e === undefined || off >>> 12 !== page) continue;
      this.entries.delete(off);
      e.fn = null;
      if (e.module !== null && --e.module.live === 0) {
        const i = this.modules.indexOf(e.module);
        if (i >= 0) this.modules.splice(i, 1);
      }
      e.module = null;
    }
    this.pageEntries.delete(page);
  }

  /** Forgets everything (RAM replaced wholesale, debugger or instrumentation attached). */
  invalidateAll(): void {
    for (const e of this.entries.values()) { e.fn = null; e.module = null; }
    this.entries.clear();
    this.pageEntries.clear();
    this.pending.length = 0;
    this.modules.length = 0;
  }
}

/**
 * The 'wasm' engine: the WebAssembly tier where the hart's registers and TLBs
 * live in wasm memory, else (no WebAssembly, no shared memory, engine area
 * full) the JavaScript block tier.
 */
registerEngine('wasm', (rt) => {
  const area = engineArraysOf(rt.xLo);
  if (area !== undefined && area.rtLo === rt.tlb.rtLo && area.wtLo === rt.tlb.wtLo) return new WasmTier(rt, area);
  const js = engineFactory('js');
  return js !== null ? js(rt) : { translate: () => null };
});
