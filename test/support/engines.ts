/**
 * Execution engines as benchmarks name them (`--engine interpreter,js`), the
 * machine description selecting each, and what a benchmark reports about
 * one: translation time and the peak RSS of the process that ran it.
 *
 * A benchmark names its engines explicitly (`engine` in the machine
 * description), never relying on the machine's default (DEFAULT_ENGINE in
 * src/machine/cpu/engines.ts: `wasm` where it can run, else `js`).
 */
import { spawnSync } from 'node:child_process';
import type { MachineSpec } from '../../src/node/machine-builder.js';
import type { Hart } from '../../src/machine/cpu/hart.js';
import { useBackgroundWasmCompile } from '../../src/node/wasm-compile-worker.js';
import { guestNodeArgs } from '../../src/node/guest-process-flags.js';
import { engineFactory, registerEngine } from '../../src/machine/cpu/engines.js';
import '../../src/machine/cpu/wasm/interpreter.js'; // registers 'wasm-interp'

/** Engines this build can select, slowest first. */
export const ENGINES = ['interpreter', 'js', 'wasm'] as const;
/**
 * Engines for comparisons, selectable by name but not in the default list:
 * `wasm-interp` (the wasm interpreter, translation off) and `wasm-jsloop`
 * (the wasm tier with the JavaScript interpreter loop only, as before the
 * wasm interpreter: the hart uses the wasm interpreter for engines `wasm` and
 * `wasm-interp` only).
 */
export const EXTRA_ENGINES = ['wasm-interp', 'wasm-jsloop'] as const;
export type EngineName = (typeof ENGINES)[number] | (typeof EXTRA_ENGINES)[number];
// looked up when a hart is made (at import, 'wasm' may not be registered yet)
registerEngine('wasm-jsloop', (rt) => (engineFactory('wasm') ?? engineFactory('js')!)(rt));

/** Parses `--engine a,b` (default: every engine), refusing names this build cannot select. */
export function engineList(argv: string[]): EngineName[] {
  const i = argv.indexOf('--engine');
  if (i < 0) return [...ENGINES];
  const names = (argv[i + 1] ?? '').split(',').filter((n) => n !== '');
  for (const n of names) {
    if (![...ENGINES, ...EXTRA_ENGINES].includes(n as EngineName)) throw new Error(`unknown engine '${n}' (this build has: ${[...ENGINES, ...EXTRA_ENGINES].join(', ')})`);
  }
  if (names.length === 0) throw new Error('--engine needs a comma-separated list');
  return names as EngineName[];
}

/**
 * The part of a machine description that selects `engine`, with the hart's
 * hot threshold when `--hot-threshold N` is given (passed along for harts
 * that have one).
 */
export function engineSpec(engine: EngineName, hotThreshold?: number): Partial<MachineSpec> {
  // `engine` is not (yet) a MachineSpec field: passed along for builders that have it
  const spec = { translate: engine !== 'interpreter', engine, ...(hotThreshold === undefined ? {} : { machine: { hotThreshold } }) };
  return spec as Partial<MachineSpec>;
}

/** `--hot-threshold N` from argv, to hand to engineSpec (and to pass on to child processes). */
export function hotThresholdArg(argv: string[]): { value?: number; args: string[] } {
  const i = argv.indexOf('--hot-threshold');
  if (i < 0) return { args: [] };
  const value = Number(argv[i + 1]);
  if (!Number.isInteger(value) || value < 0) throw new Error('--hot-threshold takes a non-negative integer');
  return { value, args: ['--hot-threshold', String(value)] };
}

/** Where the wasm tier compiles its modules (src/node/wasm-compile-worker.ts). */
export const WASM_COMPILE_MODES = ['worker', 'worker-eager', 'sync'] as const;
export type WasmCompileMode = (typeof WASM_COMPILE_MODES)[number];

/**
 * `--wasm-compile worker|worker-eager|sync` from argv (default sync, as the CLI): applies it to
 * the wasm tiers made from now on and returns it with the arguments that pass it on to a child.
 * worker: modules emitted and compiled on a worker thread, V8 compiling each function's baseline
 * code on its first call; worker-eager: also that on the worker (V8's lazy compilation off);
 * sync: everything on the guest's thread, at once.
 */
export function wasmCompileArg(argv: string[]): { mode: WasmCompileMode; args: string[] } {
  const i = argv.indexOf('--wasm-compile');
  const mode = (i < 0 ? 'sync' : argv[i + 1]) as WasmCompileMode;
  if (!(WASM_COMPILE_MODES as readonly string[]).includes(mode)) throw new Error(`--wasm-compile takes ${WASM_COMPILE_MODES.join(', ')}`);
  if (mode !== 'sync') useBackgroundWasmCompile(mode === 'worker-eager');
  return { mode, args: ['--wasm-compile', mode] };
}

/** Time spent translating guest code, as far as it can be observed from outside the hart. */
export interface TranslationProbe {
  /** Milliseconds inside translation so far (undefined: not observable in this build). */
  ms(): number | undefined;
  /** Blocks translated so far. */
  calls(): number;
}

/**
 * Observes translation on `hart` through its public statistics
 * (`Hart.engineStats()`): translation time and count since the probe was
 * made. Only the translator's own time is counted, not the JavaScript
 * engine's compilation of generated JavaScript on first call (the wasm
 * tier's time includes compiling and instantiating its modules).
 */
export function probeTranslation(hart: Hart): TranslationProbe {
  const s0 = hart.engineStats();
  return {
    ms: () => hart.engineStats().compileMs - s0.compileMs,
    calls: () => hart.engineStats().translations - s0.translations,
  };
}

/** Peak resident set of this process, in MiB. */
export function processPeakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/**
 * Runs `script` (a compiled benchmark) in a fresh Node process, so that each
 * engine's peak RSS and JIT state are its own, and returns the JSON value
 * the child printed as its last stdout line. The child's stderr (progress)
 * passes through.
 */
export function runChild<T>(script: string, args: string[]): T {
  const r = spawnSync(process.execPath, [...guestNodeArgs(), script, ...args], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`benchmark child ${args.join(' ')} failed (exit ${r.status}, signal ${r.signal})`);
  const last = r.stdout.trimEnd().split('\n').pop() ?? '';
  return JSON.parse(last) as T;
}
