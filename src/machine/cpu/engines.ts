/**
 * Execution engines: the interpreter always runs (cold code, rare
 * instructions, debugging, instrumentation); a translator turns hot blocks
 * into code (JavaScript functions, WebAssembly regions). An engine is chosen
 * by name (HartOptions.engine, the CLI's --engine); tiers register here.
 */
import { jsBlockTranslator } from './block-compiler.js';
import type { BlockFn, HartRuntime } from './runtime.js';
import { sharedWasmMemory } from '../memory.js';

/** A translation tier: makes BlockFns from decoded code (decoded.ts) through the runtime contract (runtime.ts). */
export interface Translator {
  /**
   * Translates the block whose first instruction is at RAM offset `off` (pc
   * pcLo/pcHi maps it; the code may serve every mapping of the page), or
   * returns null when its first instruction cannot be translated.
   */
  translate(off: number): BlockFn | null;
  /** The page's code changed (or was dropped): forget what was made from it. */
  invalidatePage?(page: number): void;
  /** Everything was dropped (RAM replaced wholesale). */
  invalidateAll?(): void;
  /** The tier's own counters (statistics for benchmarks and tests; optional). */
  engineStats?(): TranslatorStats;
  /**
   * wasm: lets the hart's wasm interpreter call the tier's compiled code itself (a wasm-to-wasm call,
   * wasm/interpreter.ts: `link` receives the function it calls).
   */
  linkInterpreter?(interp: { link(dispatch: unknown): void }): void;
}

/** Counters a translation tier may report (every field optional except what the tier knows). */
export interface TranslatorStats {
  /** What the tier compiled so far: JS blocks, or wasm regions (each with several entry points). */
  translations: number;
  /** Milliseconds spent compiling them (planning, emitting, module compile and instantiation). */
  compileMs: number;
  /** wasm: how compileMs splits: planning regions, emitting bytes, `new WebAssembly.Module` (validation; V8 compiles lazily, on first call), instantiation. */
  planMs?: number;
  emitMs?: number;
  moduleMs?: number;
  instantiateMs?: number;
  /** wasm with a compile service (compile-service.ts): handing batches over, looking for finished ones, and the service's own emit + compile time (another thread). */
  submitMs?: number;
  pollMs?: number;
  backgroundMs?: number;
  /** wasm: batches the compile service has not returned yet, and regions not installed because their page's code changed while they were compiled. */
  inFlight?: number;
  dropped?: number;
  /** Calls into translated code (wasm: dispatcher calls, from the JavaScript loop and from the wasm interpreter), and instructions they retired. */
  calls?: number;
  retired?: number;
  /** wasm: modules made, live, evicted, bytes emitted. */
  modules?: number;
  liveModules?: number;
  evicted?: number;
  bytes?: number;
  /** wasm: regions the dispatcher chained without returning to JavaScript, and lookups that missed. */
  dispatchHits?: number;
  dispatchMisses?: number;
}

export type TranslatorFactory = (rt: HartRuntime) => Translator;

/** Engine names: `interpreter` translates nothing; the others name a tier. Extensible by registerEngine. */
export type EngineName = 'interpreter' | 'js' | 'wasm' | (string & {});

/**
 * Whether this host runs WebAssembly with shared memory, which the wasm
 * engine needs (guest RAM is a shared `WebAssembly.Memory` that worker threads
 * and the checkpoint pipeline read too; memory.ts). Node 20 always has it; a
 * browser page has it only when cross-origin isolated.
 */
export function sharedWasmAvailable(): boolean {
  return sharedWasmMemory(1) !== null; // the probe GuestMemory itself makes RAM with
}

/**
 * The engine a machine gets when none is named: `wasm` where it can run (it
 * boots at about 1.2x QEMU's time and runs compute at about 2x, `js` at 2.4x
 * and 9x; docs/machine.md), else `js`. The wasm engine itself also falls
 * back to the JavaScript tier per hart (RAM beyond wasm32's 4 GiB, engine
 * area full), so naming it is always safe.
 */
export const DEFAULT_ENGINE: EngineName = sharedWasmAvailable() ? 'wasm' : 'js';

/**
 * The engine that `options` select: `interpreter` when translation is off,
 * else the named engine or DEFAULT_ENGINE. Every decision that depends on the
 * engine (the hart's wasm interpreter, the CLI's compile worker) takes it
 * from here, never from the option as given (absent means the default).
 */
export function resolveEngine(options: { engine?: EngineName; translate?: boolean }): EngineName {
  if (options.translate === false) return 'interpreter';
  return options.engine ?? DEFAULT_ENGINE;
}

const registry = new Map<string, TranslatorFactory | null>([['interpreter', null], ['js', jsBlockTranslator]]);

const hotThresholds = new Map<string, number>();

/**
 * Makes a tier selectable by name (the built-in ones are listed above), with
 * its own default hot threshold (block executions before translation) when
 * it differs from the hart's BLOCK_HOT: a tier whose compiles are cheap for
 * the guest's thread pays off sooner.
 */
export function registerEngine(name: string, factory: TranslatorFactory | null, hotThreshold?: number): void {
  registry.set(name, factory);
  if (hotThreshold === undefined) hotThresholds.delete(name); else hotThresholds.set(name, hotThreshold);
}

/** The engine's own default hot threshold (undefined: the hart's BLOCK_HOT). */
export function engineHotThreshold(name: string): number | undefined {
  return hotThresholds.get(name);
}

/** Registered engine names (for CLI help and errors). */
export function engineNames(): string[] {
  return [...registry.keys()];
}

/** The translator factory for `name` (null: interpreter only); throws for an unknown engine. */
export function engineFactory(name: string): TranslatorFactory | null {
  const f = registry.get(name);
  if (f === undefined) throw new Error(`unknown engine '${name}' (available: ${engineNames().join(', ')})`);
  return f;
}
