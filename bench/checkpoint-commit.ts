/**
 * The committing thread's cost per page, without a guest: memtouch-like pages
 * (one 8-byte word changes per page, 2,600 pages per checkpoint, sweeping a
 * 256 MiB buffer, as `memtouch 256 100` between two 100 ms checkpoints) go
 * through the page pipeline into a repository that grows checkpoint after
 * checkpoint. Reported for the second half of the checkpoints (steady state:
 * the XBZRLE cache and the chunk table are warm):
 * - no workers: the whole pipeline on this thread (µs per page);
 * - 1 worker thread: what storing a worker's result costs this thread
 *   (PagePipeline.accept: dedup lookup, chunk id, pack record, index entry,
 *   reference-cache update; µs per page), and the pages per second through.
 * Commit fsyncs are outside both figures. Compare builds by running this on
 * each in turn (the host's load shifts wall-clock figures; alternate runs).
 *
 *   npm run bench:checkpoint-commit [-- --checkpoints 40]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PAGE_SIZE } from '../src/machine/memory.js';
import { PagePipeline } from '../src/encoding/page-pipeline.js';
import { PageJobChannel, SRC_RAM } from '../src/encoding/page-job-channel.js';
import { emptyMetrics } from '../src/encoding/pipeline-metrics.js';
import { nodeCodecRegistry } from '../src/node/codecs/node-codecs.js';
import { NodeStoreFs } from '../src/node/fs-store.js';
import { NodePageWorkerPool } from '../src/node/page-worker-pool.js';
import { Repository } from '../src/store/repository.js';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: string): string => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : dflt; };
const CHECKPOINTS = Number(arg('checkpoints', '40'));
const PAGES = 65536, PER = 2600;
const codecs = nodeCodecRegistry();
const tmp = mkdtempSync(join(tmpdir(), 'rv-bench-commit-'));

/** Guest RAM with memtouch's pattern: page p holds one word at (p * 64) & 4095, rewritten on every pass. */
class Memtouch {
  readonly buf = new SharedArrayBuffer(PAGES * PAGE_SIZE);
  readonly ram = new Uint8Array(this.buf);
  private readonly words = new Uint32Array(this.buf);
  private seq = 0;
  private page = 0;
  /** Dirties the next PER pages; returns them. */
  dirty(): number[] {
    const out: number[] = [];
    for (let i = 0; i < PER; i++) {
      const w = (this.page * PAGE_SIZE + ((this.page * 64) & (PAGE_SIZE - 1))) >>> 2;
      this.words[w] = Math.imul(this.seq, 0x9e3779b9) >>> 0; this.words[w + 1] = this.seq++;
      out.push(this.page);
      this.page = (this.page + 1) % PAGES;
    }
    return out;
  }
}

function run(workers: 0 | 1): Promise<{ usPerPage: number; pagesPerS: number }> {
  const repo = Repository.open(new NodeStoreFs(), join(tmp, `repo-${workers}`), { codecs, create: true });
  const mem = new Memtouch();
  const pl = new PagePipeline({ codec: codecs.byName('zstd'), timing: false });
  pl.prepare(PAGES);
  const o = pl.options;
  const ch = workers ? new PageJobChannel(mem.buf, new SharedArrayBuffer(PAGE_SIZE), pl.cacheBuffer, { codec: o.codec, deltaMaxBytes: o.deltaMaxBytes, subpageBlock: 0, compressMaxBytes: o.compressMaxBytes, zeroPages: true, timing: false }, 1) : null;
  const pool = ch ? new NodePageWorkerPool(1) : null;
  if (ch && pool) pool.start(ch.setup);
  const bases = new Float64Array(ch?.ring ?? 1);
  let parent: number | null = null, thisThreadMs = 0, wallMs = 0, pages = 0;
  for (let c = 0; c < CHECKPOINTS; c++) {
    const dirty = mem.dirty();
    const w = repo.begin({ parent, pageCount: PAGES });
    const m = emptyMetrics();
    const t0 = performance.now();
    let spent = 0;
    if (!ch) {
      for (const p of dirty) pl.page(p, mem.ram, p * PAGE_SIZE, w, m);
      spent = performance.now() - t0;
    } else {
      let sent = 0;
      const send = () => {
        while (sent < dirty.length && !ch.full) {
          const p = dirty[sent++], slot = pl.deltaSlot(p, ch.ring);
          bases[ch.nextSeq % ch.ring] = slot >= 0 ? pl.deltaBase(slot) : 0;
          ch.submit(p, SRC_RAM, p * PAGE_SIZE, slot);
        }
        ch.wake();
      };
      send();
      for (let done = 0; done < dirty.length; done++) {
        const r = ch.next(true) as NonNullable<ReturnType<PageJobChannel['next']>>;
        const a = performance.now();
        pl.accept(r.page, r, bases[ch.lastSeq % ch.ring], mem.ram, r.page * PAGE_SIZE, w, m);
        spent += performance.now() - a;
        if ((done & 63) === 63) send();
      }
    }
    const t1 = performance.now();
    parent = w.commit({ guestTime: c, instructions: c, deviceState: new Uint8Array(16), metrics: {} as never }).id;
    if (c >= CHECKPOINTS / 2) { thisThreadMs += spent; wallMs += t1 - t0; pages += dirty.length; }
  }
  ch?.stop();
  repo.close();
  return (pool ? pool.close() : Promise.resolve()).then(() => ({ usPerPage: (1000 * thisThreadMs) / pages, pagesPerS: pages / (wallMs / 1000) }));
}

async function main(): Promise<void> {
  try {
    const alone = await run(0);
    const one = await run(1);
    console.log(`${CHECKPOINTS} checkpoints of ${PER} memtouch pages (steady state: the last ${CHECKPOINTS / 2})`);
    console.log('| pipeline | this thread µs per page | pages per s (MB/s in), commit fsyncs excluded |');
    console.log('|---|---|---|');
    for (const [name, r] of [['on this thread', alone], ['1 worker thread (this thread stores the results)', one]] as const) {
      console.log(`| ${name} | ${r.usPerPage.toFixed(2)} | ${r.pagesPerS.toFixed(0)} (${(r.pagesPerS * PAGE_SIZE / 1e6).toFixed(0)}) |`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
