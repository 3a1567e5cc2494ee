/**
 * Where the wasm tier's modules are emitted and compiled. By default the
 * tier does both itself, on the guest's thread (synchronous: the regions run
 * from the next call on, so tier statistics are exact and repeatable;
 * lockstep tests rely on that). An environment with threads (the Node
 * adapter, src/node/wasm-compile-worker.ts) can do both on another thread
 * instead: the tier submits the region plans (packed into one buffer), the interpreter
 * keeps running the queued regions, and the tier instantiates the finished
 * module the next time it polls. Guest state and instruction counts are the
 * same either way (every tier is exact); only the point where a region
 * starts to run varies from run to run.
 */
import type { WasmLayout } from './region-compiler.js';

/** What a compile service turns into a module: buildModule's arguments, the plans packed (plan-codec.ts: one transferable buffer). */
export interface ModuleJob {
  readonly layout: WasmLayout;
  readonly plans: Int32Array;
  readonly memPages: number;
}

/** One finished job: its ticket, the module (or why it failed), its size and the milliseconds the service spent on it. */
export interface CompiledModule {
  readonly ticket: number;
  readonly module?: WebAssembly.Module;
  readonly error?: string;
  readonly bytes: number;
  readonly emitMs: number;
  readonly compileMs: number;
}

/** A channel of one tier to a compile service: submit jobs, pick finished modules up without blocking. */
export interface WasmCompileClient {
  /** Queues a job (its buffer may be transferred away) and returns its ticket. */
  submit(job: ModuleJob): number;
  /** A finished job of this client's, or undefined when none is ready (never blocks). */
  poll(): CompiledModule | undefined;
  /** Blocks until a finished job is ready. */
  wait(): CompiledModule;
  /** Releases the channel (queued jobs are forgotten). */
  close(): void;
}

/** Emits and compiles modules off the tier's thread; each tier opens its own client. */
export interface WasmCompileService {
  open(): WasmCompileClient;
}
