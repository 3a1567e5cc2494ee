/**
 * The worker thread of the wasm compile service (wasm-compile-worker.ts):
 * each message on a client's port is a ModuleJob; the thread emits its bytes
 * (region-compiler.ts, the same code the synchronous tier runs) and compiles
 * them, and posts the module back on that port (V8 shares the compiled code
 * between threads).
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import type { CompiledModule, ModuleJob } from '../machine/cpu/wasm/compile-service.js';
import { unpackPlans } from '../machine/cpu/wasm/plan-codec.js';
import { buildModule } from '../machine/cpu/wasm/region-compiler.js';

function serve(port: MessagePort): void {
  port.on('message', (job: ModuleJob & { ticket: number }) => {
    const t0 = performance.now();
    let reply: CompiledModule;
    try {
      const bytes = buildModule(job.layout, unpackPlans(job.plans), job.memPages);
      const t1 = performance.now();
      const module = new WebAssembly.Module(bytes);
      reply = { ticket: job.ticket, module, bytes: bytes.length, emitMs: t1 - t0, compileMs: performance.now() - t1 };
    } catch (e) {
      reply = { ticket: job.ticket, error: String((e as Error)?.message ?? e), bytes: 0, emitMs: 0, compileMs: performance.now() - t0 };
    }
    port.postMessage(reply);
  });
}

parentPort?.on('message', (m: { port: MessagePort }) => serve(m.port));
