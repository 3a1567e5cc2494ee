import type { PageWorkerSetup } from './page-job-channel.js';

/**
 * Threads that serve page jobs (page-job-channel.ts). The core layers only
 * know this interface: the Node adapter (src/node/page-worker-pool.ts)
 * starts worker_threads, a browser build could start Web Workers, and
 * SAME_THREAD_PAGES runs none (the committing thread then serves every job
 * itself, between guest slices, exactly as it would without a pool).
 */
export interface PageWorkerPool {
  /** Worker threads (0: the committing thread serves the jobs). */
  readonly threads: number;
  /** Starts the threads on a channel (once per channel); they serve until the channel is stopped. */
  start(setup: PageWorkerSetup): void;
  /** Stops the threads started so far; the returned promise settles when they have exited. */
  close(): Promise<void>;
}

export const SAME_THREAD_PAGES: PageWorkerPool = {
  threads: 0,
  start(): void { /* nothing runs elsewhere */ },
  close(): Promise<void> { return Promise.resolve(); },
};
