/**
 * Worker-thread entry for interval jobs: receives a job, runs it with the
 * local environment, posts progress and the result. One job at a time.
 */
import { parentPort } from 'node:worker_threads';
import type { IntervalJob } from '../analysis/interval-job.js';
import { runIntervalJob } from '../analysis/run-interval.js';
import { nodeJobEnvironment } from './analysis-environment.js';

const port = parentPort;
if (!port) throw new Error('analysis-worker runs as a worker thread');
const env = nodeJobEnvironment((job, instret) => port.postMessage({ type: 'progress', index: job.index, instret }));
port.on('message', (job: IntervalJob) => {
  port.postMessage({ type: 'result', result: runIntervalJob(job, env) });
});
