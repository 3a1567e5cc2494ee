/**
 * Child process of cow-crash.test.ts: takes copy-on-write checkpoints of a
 * RAM that is being rewritten (through GuestMemory.write, the DMA path) while
 * the capture reads it, commits them asynchronously, forever, until killed.
 * Prints "C <id> <step>" once a checkpoint is durable. The RAM of step k is
 * the same pure function of (seed, k) as in test/store/crash-writer.ts.
 * With a third argument N > 0 the pages are encoded by N page worker threads.
 */
import { GuestMemory, PAGE_SIZE } from '../../src/machine/memory.js';
import { nodeCodecRegistry } from '../../src/node/codecs/node-codecs.js';
import { NodeStoreFs } from '../../src/node/fs-store.js';
import { PagePipeline } from '../../src/encoding/page-pipeline.js';
import { emptyMetrics } from '../../src/encoding/pipeline-metrics.js';
import { Repository, type CheckpointWriter } from '../../src/store/repository.js';
import { CowCapture } from '../../src/checkpoint/cow-capture.js';
import { DurableCommit } from '../../src/checkpoint/durable-commit.js';
import { initialRam, PAGES, stepMutation } from '../store/crash-writer.js';
import { CopyArena } from '../../src/checkpoint/cow-capture.js';
import { PageJobChannel } from '../../src/encoding/page-job-channel.js';
import { NodePageWorkerPool } from '../../src/node/page-worker-pool.js';

const BASE = 0x80000000;

async function main(): Promise<void> {
  const [dir, seedArg, workersArg] = process.argv.slice(2);
  const seed = Number(seedArg);
  const threads = Number(workersArg ?? 0);
  const codecs = nodeCodecRegistry();
  const fs = new NodeStoreFs();
  const repo = Repository.open(fs, dir, { codecs, create: true, maxPackBytes: 64 * 1024 });
  const pl = new PagePipeline({ codec: codecs.byName('zstd'), deltaCacheBytes: 16 * PAGE_SIZE });
  const ram = new GuestMemory(BASE, PAGES * PAGE_SIZE);
  pl.prepare(PAGES);
  const arena = new CopyArena(64 * PAGE_SIZE);
  let channel: PageJobChannel | null = null;
  if (threads > 0) {
    const o = pl.options;
    channel = new PageJobChannel(ram.buffer, arena.buffer, pl.cacheBuffer, { ring: 4, codec: o.codec, deltaMaxBytes: o.deltaMaxBytes, subpageBlock: 0, compressMaxBytes: o.compressMaxBytes, zeroPages: true, timing: false }, threads);
    new NodePageWorkerPool(threads).start(channel.setup);
  }
  const latest = repo.latest();
  let parent: number | null = null;
  let k: number;
  let sel = new Uint8Array(PAGES);
  if (latest) {
    repo.restore(latest.id, ram.u8);
    parent = latest.id;
    k = Number(/^step-(\d+)$/.exec(latest.label ?? '')?.[1]) + 1;
    stepMutation(ram.u8, sel, seed, k);
  } else {
    ram.u8.set(initialRam(seed));
    sel.fill(1);
    k = 1;
  }
  for (;;) {
    let w: CheckpointWriter | null = null;
    pl.prepare(PAGES);
    const list: number[] = [];
    sel.forEach((v, p) => { if (v !== 0) list.push(p); });
    const cow = new CowCapture(ram, list, pl, () => (w ??= repo.begin({ parent, pageCount: PAGES })), { arena, channel });
    // the "guest" computes step k+1 while the capture of step k reads
    const next = ram.u8.slice();
    const d = new Uint8Array(PAGES);
    stepMutation(next, d, seed, k + 1);
    for (let p = 0; p < PAGES; p++) {
      if (d[p] === 0) continue;
      ram.write(BASE + p * PAGE_SIZE, next.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE));
      cow.step(2);
      await new Promise((r) => setImmediate(r));
    }
    while (!cow.step(4, threads > 0)) await new Promise((r) => setImmediate(r));
    const writer = (w ?? repo.begin({ parent, pageCount: PAGES })) as CheckpointWriter;
    const metrics = pl.finish(emptyMetrics(), performance.now());
    const meta = await new Promise<{ id: number }>((res, rej) => {
      new DurableCommit(fs, writer.commitSteps({ guestTime: k, instructions: k * 1000, deviceState: new TextEncoder().encode(`step ${k}`), label: `step-${k}`, metrics }), false, res, rej);
    });
    process.stdout.write(`C ${meta.id} ${k}\n`);
    parent = meta.id;
    sel = d;
    k++;
  }
}

// (a name that does not end in "crash-writer.js": that module runs its own main on that test)
if (process.argv[1]?.endsWith('cow-child-writer.js')) void main();
