/**
 * Lockstep differential harness: runs a machine whose hart uses the engine
 * under test, with translation forced at first execution (hotThreshold 0),
 * and after every translated block advances a reference machine (the
 * interpreter) to the same instruction count and compares their
 * architectural state. Engines are a parameter, so every tier (js, wasm, ...)
 * plugs in the same way.
 */
import type { Hart, HartOptions } from '../../src/machine/cpu/hart.js';
import { wasmTierDefaults } from '../../src/machine/cpu/wasm/wasm-tier.js';

/** An engine under test: the hart options that select it. */
export interface LockstepEngine {
  readonly name: string;
  readonly options: Partial<HartOptions>;
  /**
   * The wasm dispatcher's chain limit during the run (default 1:
   * control returns to JavaScript after every region, so the state is compared
   * after each; 0: regions chain inside wasm as in production).
   */
  readonly chainLimit?: number;
  /** The wasm tier's batch delay (default 0: every hot leader is compiled at once). */
  readonly batchDelay?: number;
}

/** The tiers to test against the interpreter (add one line per tier). */
export const LOCKSTEP_ENGINES: LockstepEngine[] = [
  { name: 'js', options: { engine: 'js' } },
  { name: 'wasm', options: { engine: 'wasm' } },
  // the wasm interpreter alone (translation off): compared after every run of it
  { name: 'wasm-interp', options: { engine: 'wasm-interp' } },
];

export const INTERPRETER: Partial<HartOptions> = { engine: 'interpreter' };

/** How to build, drive and inspect one kind of machine. */
export interface LockstepTarget<M> {
  build(hart: Partial<HartOptions>): M;
  hart(m: M): Hart;
  /** Runs the reference exactly `n` more instructions (fewer only if it stops for good). */
  advance(m: M, n: number): void;
  /** Drives the machine under test to the end of the scenario. */
  run(m: M): void;
  /** More state to compare at the end (RAM, console, stop reason). */
  final?(m: M): unknown;
}

export interface LockstepResult<M> {
  ref: M;
  test: M;
  /** Comparisons made (one per translated block executed). */
  compared: number;
}

/** Architectural state of a hart (registers, pc, privilege, instret, CSRs, reservation, PMP). */
export function archState(h: Hart): Record<string, unknown> {
  return h.saveState() as unknown as Record<string, unknown>;
}

/** First field where two states differ, as a readable line; null when equal. */
export function stateDiff(a: Record<string, unknown>, b: Record<string, unknown>): string | null {
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = JSON.stringify(a[k]), y = JSON.stringify(b[k]);
    if (x !== y) return `${k}: interpreter ${x} / engine ${y}`;
  }
  return null;
}

const hex = (lo: number, hi: number): string => `0x${(hi >>> 0).toString(16)}_${(lo >>> 0).toString(16).padStart(8, '0')}`;

export function lockstep<M>(target: LockstepTarget<M>, engine: LockstepEngine): LockstepResult<M> {
  // the wasm tier reads its defaults when a hart first translates (during the run): set them for the whole run
  const saved = { ...wasmTierDefaults };
  wasmTierDefaults.chainLimit = engine.chainLimit ?? 1;
  wasmTierDefaults.batchDelay = engine.batchDelay ?? 0;
  try {
    return lockstepRun(target, engine);
  } finally {
    Object.assign(wasmTierDefaults, saved);
  }
}

function lockstepRun<M>(target: LockstepTarget<M>, engine: LockstepEngine): LockstepResult<M> {
  const ref = target.build(INTERPRETER);
  const test = target.build({ ...engine.options, hotThreshold: 0 });
  const rh = target.hart(ref), th = target.hart(test);
  let compared = 0;
  let failure: Error | null = null;
  let lastPc = '';
  const check = (): void => {
    const n = th.instret - rh.instret;
    if (n > 0) target.advance(ref, n);
    const d = rh.instret !== th.instret ? `instret: interpreter ${rh.instret} / engine ${th.instret}` : stateDiff(archState(rh), archState(th));
    if (d !== null) throw new Error(`${engine.name} diverges from the interpreter after the block ending at instret ${th.instret} (previous block exit pc ${lastPc}): ${d}`);
    lastPc = hex(th.pcLo, th.pcHi);
    compared++;
  };
  th.blockHook = () => {
    if (failure !== null) return;
    try { check(); } catch (e) { failure = e as Error; throw e; }
  };
  try {
    target.run(test);
  } catch (e) {
    if (failure === null) throw e;
  }
  th.blockHook = null;
  if (failure !== null) throw failure;
  check();
  if (target.final) {
    const a = JSON.stringify(target.final(ref)), b = JSON.stringify(target.final(test));
    if (a !== b) throw new Error(`${engine.name} ends differently from the interpreter: ${a.slice(0, 400)} / ${b.slice(0, 400)}`);
  }
  return { ref, test, compared };
}
