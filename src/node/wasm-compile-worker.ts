/**
 * The wasm tier's compile service for Node (compile-service.ts): one worker
 * thread (wasm-compile-thread.ts) emits and compiles the modules the tiers
 * submit and posts them back; a tier's thread picks finished modules up with
 * `receiveMessageOnPort`, because the guest loop (GuestSession.runUntil, the
 * CLI's run slices) is synchronous and never yields to the event loop.
 *
 * With `eager`, V8's lazy compilation is switched off for the process, so the
 * worker's compile also produces every function's baseline (Liftoff) code;
 * by default each function is compiled on its first call, on the guest's
 * thread. Measured (docs/benchmarks.md): eager did not lower the guest
 * thread's CPU beyond the noise and cost the worker more, so it is off.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { CompiledModule, ModuleJob, WasmCompileClient, WasmCompileService } from '../machine/cpu/wasm/compile-service.js';
import { wasmTierDefaults } from '../machine/cpu/wasm/wasm-tier.js';

/** The compiled thread script (under vitest this module runs from src/, the thread from dist/). */
function threadScript(): URL {
  const here = new URL('./wasm-compile-thread.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL('../../dist/node/wasm-compile-thread.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new Error(`wasm compile thread script not found (${fileURLToPath(here)}); run npm run build`);
}

const SLEEP = new Int32Array(new SharedArrayBuffer(4));

class WorkerClient implements WasmCompileClient {
  private next = 0;

  constructor(private readonly port: MessagePort) {}

  submit(job: ModuleJob): number {
    const ticket = this.next++;
    this.port.postMessage({ ticket, layout: job.layout, plans: job.plans, memPages: job.memPages }, [job.plans.buffer as ArrayBuffer]);
    return ticket;
  }

  poll(): CompiledModule | undefined {
    return receiveMessageOnPort(this.port)?.message as CompiledModule | undefined;
  }

  wait(): CompiledModule {
    for (;;) {
      const m = this.poll();
      if (m !== undefined) return m;
      Atomics.wait(SLEEP, 0, 0, 0.2); // no event loop to wait on: sleep a little and look again
    }
  }

  close(): void {
    this.port.close();
  }
}

/** One worker thread emitting and compiling for every tier of the process (it does not keep the process alive). */
export class WorkerCompileService implements WasmCompileService {
  private worker: Worker | null = null;

  open(): WasmCompileClient {
    if (this.worker === null) {
      this.worker = new Worker(threadScript());
      this.worker.unref();
    }
    const { port1, port2 } = new MessageChannel();
    this.worker.postMessage({ port: port2 }, [port2]);
    return new WorkerClient(port1);
  }

  /** Ends the thread (tiers still holding a client then never see their jobs finish). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w !== null) await w.terminate();
  }
}

let shared: WorkerCompileService | null = null;

/**
 * Makes every wasm tier created from now on emit and compile its modules on
 * a worker thread (`eager`: and switch V8's lazy wasm compilation off for the
 * whole process, see above). For the CLI and benchmarks; tests keep the synchronous default.
 */
export function useBackgroundWasmCompile(eager = false): void {
  if (eager) setFlagsFromString('--no-wasm-lazy-compilation');
  shared ??= new WorkerCompileService();
  wasmTierDefaults.compileService = shared;
}
