/**
 * The Node adapter of PageWorkerPool: N worker_threads serving page jobs
 * from a channel's shared buffers (src/encoding/page-job-channel.ts). The
 * threads are unref'd (they never keep the process alive) and exit when the
 * channel is stopped or the pool closed. A thread that dies otherwise (an
 * uncaught error, a crash) is started again; the new thread first re-runs
 * the job the dead one held, so no job is lost and the capture does not
 * stall (the committing thread's own take-over after STEAL_MS remains the
 * last resort).
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { PageWorkerSetup } from '../encoding/page-job-channel.js';
import type { PageWorkerPool } from '../encoding/page-worker-pool.js';

/** Default thread count: one per core beyond the guest's own (at least one). */
export function defaultPageWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** The compiled worker script (under vitest this module runs from src/, the worker from dist/). */
function workerScript(): URL {
  const here = new URL('./page-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL('../../dist/node/page-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new Error(`page worker script not found (${fileURLToPath(here)}); run npm run build`);
}

export interface NodePageWorkerPoolOptions {
  /** zstd level of the workers' codec. */
  zstdLevel?: number;
  /** Test hook: the first thread of the first channel dies (exit code 1) on claiming its n-th job; it is restarted. */
  crashAfter?: number;
}

export class NodePageWorkerPool implements PageWorkerPool {
  private readonly workers = new Set<Worker>();
  private closing = false;
  /** First error a thread reported (its job is re-run by the thread started in its place, see PageJobServer.resume). */
  error: Error | null = null;
  /** Threads that died and were started again. */
  restarts = 0;
  private crashAfter: number | undefined;
  private readonly zstdLevel: number | undefined;
  constructor(readonly threads: number = defaultPageWorkers(), options: NodePageWorkerPoolOptions = {}) {
    this.zstdLevel = options.zstdLevel;
    this.crashAfter = options.crashAfter;
  }

  start(setup: PageWorkerSetup): void {
    for (let i = 0; i < this.threads; i++) {
      this.spawn(setup, i, i === 0 ? this.crashAfter : undefined);
    }
    this.crashAfter = undefined;
  }

  /** Starts thread `index` of a channel; one that dies (not stopped, not closed) is started again in its place. */
  private spawn(setup: PageWorkerSetup, index: number, crashAfter: number | undefined): void {
    const w = new Worker(workerScript(), { workerData: { setup, zstdLevel: this.zstdLevel, index, crashAfter } });
    w.on('error', (e) => { this.error ??= e; });
    w.on('exit', (code) => {
      this.workers.delete(w);
      // code 0: the channel was stopped; closing: terminated by close()
      if (code !== 0 && !this.closing) {
        this.restarts++;
        this.spawn(setup, index, undefined);
      }
    });
    w.unref();
    this.workers.add(w);
  }

  async close(): Promise<void> {
    this.closing = true;
    const ws = [...this.workers];
    this.workers.clear();
    await Promise.all(ws.map((w) => w.terminate()));
  }
}
