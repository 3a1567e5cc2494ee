// The Node page worker pool: a thread that dies holding a job is started again, the new thread
// re-runs that job, and every result equals what the committing thread computes alone.
import { afterEach, expect, test } from 'vitest';
import { PAGE_SIZE } from '../../src/machine/memory.js';
import { PageJobChannel, SRC_RAM, type PageResult } from '../../src/encoding/page-job-channel.js';
import { PagePipeline } from '../../src/encoding/page-pipeline.js';
import { NodePageWorkerPool } from '../../src/node/page-worker-pool.js';
import { codecs } from '../store/helpers.js';

const PAGES = 48;
const pools: NodePageWorkerPool[] = [];
afterEach(async () => { for (const p of pools.splice(0)) await p.close(); });

function channel(threads: number): PageJobChannel {
  const ram = new SharedArrayBuffer(PAGES * PAGE_SIZE);
  const u8 = new Uint8Array(ram);
  let x = 12345;
  for (let i = 0; i < u8.length; i++) {
    // pages alternate between compressible text-like bytes, noise and zeros
    const p = (i / PAGE_SIZE) | 0;
    x = (x * 1103515245 + 12345) >>> 0;
    u8[i] = p % 3 === 0 ? 0 : p % 3 === 1 ? (i * 7) & 0x3f : x >>> 24;
  }
  const pl = new PagePipeline({ codec: codecs.byName('zstd'), deltaCacheBytes: 64 * PAGE_SIZE });
  pl.prepare(PAGES);
  const o = pl.options;
  return new PageJobChannel(ram, new SharedArrayBuffer(PAGE_SIZE), pl.cacheBuffer,
    { ring: 8, codec: o.codec, deltaMaxBytes: o.deltaMaxBytes, subpageBlock: 0, compressMaxBytes: o.compressMaxBytes, zeroPages: true, timing: false }, threads);
}

const copy = (r: PageResult) => ({ page: r.page, kind: r.kind, hash: Array.from(r.hash), payload: Array.from(r.payload.subarray(0, r.length)) });

/** Submits every page and collects the results without ever blocking (so the committing thread never takes a job over itself). */
async function runAll(ch: PageJobChannel): Promise<ReturnType<typeof copy>[]> {
  const out: ReturnType<typeof copy>[] = [];
  let page = 0;
  const t0 = Date.now();
  while (out.length < PAGES) {
    while (page < PAGES && !ch.full) { ch.submit(page, SRC_RAM, page * PAGE_SIZE, -1); page++; }
    const r = ch.next(false);
    if (r) out.push(copy(r));
    else await new Promise((res) => setTimeout(res, 1));
    // not a timing assertion: a lost job would otherwise hang the test until vitest's own timeout
    if (Date.now() - t0 > 60_000) throw new Error(`stalled after ${out.length} results`);
  }
  return out;
}

test('a worker thread that dies holding a job is restarted and the job re-run: no result lost, all equal to the same-thread ones', async () => {
  const alone = await runAll(channel(0));
  const ch = channel(1);
  const pool = new NodePageWorkerPool(1, { crashAfter: 5 });
  pools.push(pool);
  pool.start(ch.setup);
  const got = await runAll(ch);
  ch.stop();
  expect(pool.restarts).toBe(1);
  expect(got.map((r) => r.page)).toEqual(Array.from({ length: PAGES }, (_, i) => i));
  expect(got).toEqual(alone);
});
