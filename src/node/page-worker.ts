/**
 * Worker-thread entry for page jobs: attaches to the channel's shared
 * buffers (workerData) and serves jobs until the channel is stopped.
 */
import { workerData } from 'node:worker_threads';
import { PageJobServer, type PageWorkerSetup } from '../encoding/page-job-channel.js';
import { nodeCodecRegistry } from './codecs/node-codecs.js';

const setup = (workerData as { setup: PageWorkerSetup; zstdLevel?: number }).setup;
const codec = nodeCodecRegistry({ zstdLevel: (workerData as { zstdLevel?: number }).zstdLevel }).byName(setup.codec);
new PageJobServer(setup, codec).serveForever();
