/**
 * Runs interval jobs on N worker threads (jobs: 1 runs them in this thread).
 * A pool, not a protocol: jobs and results are the plain data of
 * analysis/interval-job.ts, so a job queue could run them the same way.
 * `stopOnFailure` cancels the jobs not yet started once one fails.
 */
import { Worker } from 'node:worker_threads';
import type { IntervalJob, IntervalResult } from '../analysis/interval-job.js';
import { runIntervalJob } from '../analysis/run-interval.js';
import { nodeJobEnvironment } from './analysis-environment.js';

export interface PoolEvents {
  progress?(index: number, instret: number): void;
  done?(result: IntervalResult): void;
}

type Message = { type: 'progress'; index: number; instret: number } | { type: 'result'; result: IntervalResult };

export async function runJobs(jobs: readonly IntervalJob[], workers: number, events: PoolEvents = {}, stopOnFailure = true): Promise<IntervalResult[]> {
  const results: IntervalResult[] = [];
  const queue = [...jobs];
  let failed = false;
  if (workers <= 1) {
    const env = nodeJobEnvironment((job, instret) => events.progress?.(job.index, instret));
    for (const job of queue) {
      if (failed && stopOnFailure) break;
      const r = runIntervalJob(job, env);
      results.push(r);
      events.done?.(r);
      if (r.status !== 'ok') failed = true;
      await new Promise<void>((res) => setImmediate(res)); // let the terminal redraw
    }
    return results;
  }
  const script = new URL('./analysis-worker.js', import.meta.url);
  const pool = Array.from({ length: Math.min(workers, jobs.length) }, () => new Worker(script));
  try {
    await Promise.all(pool.map((w) => new Promise<void>((resolve, reject) => {
      const next = (): void => {
        const job = failed && stopOnFailure ? undefined : queue.shift();
        if (!job) { resolve(); return; }
        w.postMessage(job);
      };
      w.on('message', (msg: Message) => {
        if (msg.type === 'progress') { events.progress?.(msg.index, msg.instret); return; }
        results.push(msg.result);
        events.done?.(msg.result);
        if (msg.result.status !== 'ok') failed = true;
        next();
      });
      w.on('error', reject);
      w.on('exit', (code) => { if (code !== 0) reject(new Error(`analysis worker exited with code ${code}`)); });
      next();
    })));
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return results.sort((a, b) => a.index - b.index);
}
