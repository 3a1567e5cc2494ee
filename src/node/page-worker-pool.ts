/**
 * The Node adapter of PageWorkerPool: N worker_threads serving page jobs
 * from a channel's shared buffers (src/encoding/page-job-channel.ts). The
 * threads are unref'd (they never keep the process alive) and exit when the
 * channel is stopped or the pool closed.
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

export class NodePageWorkerPool implements PageWorkerPool {
  private readonly workers: Worker[] = [];
  /** First error a thread reported (a job a dead thread had claimed is done by the committing thread after a wait, see page-job-channel.ts). */
  error: Error | null = null;
  constructor(readonly threads: number = defaultPageWorkers(), private readonly zstdLevel?: number) {}

  start(setup: PageWorkerSetup): void {
    const script = workerScript();
    for (let i = 0; i < this.threads; i++) {
      const w = new Worker(script, { workerData: { setup, zstdLevel: this.zstdLevel } });
      w.on('error', (e) => { this.error ??= e; });
      w.unref();
      this.workers.push(w);
    }
  }

  async close(): Promise<void> {
    const ws = this.workers.splice(0);
    await Promise.all(ws.map((w) => w.terminate()));
  }
}
