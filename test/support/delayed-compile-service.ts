/**
 * A compile service for tests that runs in the tier's own thread and
 * finishes each job deterministically `delay` polls after it was submitted
 * (the tier polls every `wasmTierDefaults.pollInterval` instructions while
 * jobs are in flight), so the asynchronous install path of the wasm tier can
 * be tested with no thread and no timing. Jobs go through the plan codec
 * and buildModule exactly as on the worker thread.
 */
import type { CompiledModule, ModuleJob, WasmCompileClient, WasmCompileService } from '../../src/machine/cpu/wasm/compile-service.js';
import { unpackPlans } from '../../src/machine/cpu/wasm/plan-codec.js';
import { buildModule } from '../../src/machine/cpu/wasm/region-compiler.js';

export class DelayedCompileService implements WasmCompileService {
  submitted = 0;
  finished = 0;

  constructor(private readonly delay: number) {}

  open(): WasmCompileClient {
    const queue: Array<{ ticket: number; job: ModuleJob; polls: number }> = [];
    let next = 0;
    const compile = (q: { ticket: number; job: ModuleJob }): CompiledModule => {
      const bytes = buildModule(q.job.layout, unpackPlans(q.job.plans), q.job.memPages);
      this.finished++;
      return { ticket: q.ticket, module: new WebAssembly.Module(bytes), bytes: bytes.length, emitMs: 0, compileMs: 0 };
    };
    return {
      submit: (job) => { this.submitted++; queue.push({ ticket: next, job, polls: 0 }); return next++; },
      poll: () => {
        for (const q of queue) q.polls++;
        const i = queue.findIndex((q) => q.polls >= this.delay);
        return i < 0 ? undefined : compile(queue.splice(i, 1)[0]);
      },
      wait: () => compile(queue.shift() as { ticket: number; job: ModuleJob }),
      close: () => { queue.length = 0; },
    };
  }
}
