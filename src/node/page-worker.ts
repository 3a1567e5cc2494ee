/**
 * Worker-thread entry for page jobs: attaches to the channel's shared
 * buffers (workerData) and serves jobs until the channel is stopped. A
 * thread started in place of a dead one first re-runs the job its
 * predecessor held (PageJobServer.resume).
 */
import { workerData } from 'node:worker_threads';
import { PageJobServer, type PageWorkerSetup } from '../encoding/page-job-channel.js';
import { nodeCodecRegistry } from './codecs/node-codecs.js';

const data = workerData as { setup: PageWorkerSetup; zstdLevel?: number; index: number; crashAfter?: number };
const codec = nodeCodecRegistry({ zstdLevel: data.zstdLevel }).byName(data.setup.codec);
const server = new PageJobServer(data.setup, codec, data.index);
if (data.crashAfter !== undefined) {
  // test hook (NodePageWorkerPool's crashAfter): this thread dies holding its n-th job
  let n = 0;
  server.onClaim = () => { if (++n === data.crashAfter) process.exit(1); };
}
server.serveForever();
