/**
 * Per-page throughput of every checkpoint stage and codec on a memory-like
 * corpus. Build and run:
 *   npx tsc -p tsconfig.bench.json && node dist/bench/bench/codecs.js [pages]
 * or on a raw RAM dump (e.g. a guest's GuestMemory.u8 written to a file):
 *   node dist/bench/bench/codecs.js --ram guest-ram.bin
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PAGE_SIZE } from '../src/machine/memory.js';
import { nodeCodecRegistry } from '../src/node/codecs/node-codecs.js';
import { ZstdCodec } from '../src/node/codecs/zstd-codec.js';
import { NodeStoreFs } from '../src/node/fs-store.js';
import type { PageCodec } from '../src/encoding/page-codec.js';
import { hashWords } from '../src/encoding/page-hash.js';
import { PagePipeline } from '../src/encoding/page-pipeline.js';
import { xbzrleDecode, xbzrleEncode } from '../src/encoding/xbzrle.js';
import { isZeroWords } from '../src/encoding/zero-page.js';
import { Repository } from '../src/store/repository.js';
import { makeRam, mutate, rng } from '../test/encoding/corpus.js';

const ramFile = process.argv[2] === '--ram' ? process.argv[3] : null;
const dump = ramFile ? readFileSync(ramFile) : null;
const PAGES = dump ? Math.floor(dump.length / PAGE_SIZE) : Number(process.argv[2] ?? 8192);
const MB = 1e6;
const rows: string[][] = [['stage', 'pages', 'MB/s (in)', 'µs/page', 'ratio/out', 'note']];

function time(fn: () => void, minMs = 300): { ms: number; reps: number } {
  fn(); // warm up
  let reps = 0;
  const t0 = performance.now();
  let t = t0;
  do { fn(); reps++; t = performance.now(); } while (t - t0 < minMs);
  return { ms: (t - t0) / reps, reps };
}

function row(stage: string, pages: number, ms: number, ratio: string, note = ''): void {
  const bytes = pages * PAGE_SIZE;
  rows.push([stage, String(pages), (bytes / MB / (ms / 1000)).toFixed(0), ((ms * 1000) / pages).toFixed(2), ratio, note]);
}

const ram = dump ? new Uint8Array(dump.buffer, dump.byteOffset, PAGES * PAGE_SIZE).slice() : makeRam(PAGES, 42);
const words = new Int32Array(ram.buffer);
const W = PAGE_SIZE / 4;
const nonZero: number[] = [];
for (let p = 0; p < PAGES; p++) if (!isZeroWords(words, p * W, W)) nonZero.push(p);
console.log(`corpus: ${ramFile ?? 'synthetic'}, ${PAGES} pages (${(PAGES * PAGE_SIZE / 2 ** 20).toFixed(0)} MiB), ${PAGES - nonZero.length} zero pages`);

// Zero test, all pages (zero pages are the slow case: no early exit).
let zeros = 0;
row('zero test (JS words)', PAGES, time(() => { zeros = 0; for (let p = 0; p < PAGES; p++) if (isZeroWords(words, p * W, W)) zeros++; }).ms, `${zeros} zero`);
const zeroPage = Buffer.alloc(PAGE_SIZE);
const buf = Buffer.from(ram.buffer);
row('zero test (Buffer.compare)', PAGES, time(() => { zeros = 0; for (let p = 0; p < PAGES; p++) if (buf.compare(zeroPage, 0, PAGE_SIZE, p * PAGE_SIZE, (p + 1) * PAGE_SIZE) === 0) zeros++; }).ms, `${zeros} zero`, 'Node only');

// Hashes on non-zero pages.
const h = new Uint32Array(4);
row('hash 4-lane imul 128-bit', nonZero.length, time(() => { for (const p of nonZero) hashWords(words, p * W, W, h); }).ms, '-', 'core, not collision resistant');
row('hash sha256 (node:crypto)', nonZero.length, time(() => { for (const p of nonZero) createHash('sha256').update(ram.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE)).digest(); }).ms, '-', 'Node only');

// XBZRLE: the same pages after guest-like small writes.
const cur = ram.slice();
const dirty = new Uint8Array(PAGES);
mutate(cur, dirty, Math.floor(PAGES / 4), rng(43));
const changed: number[] = [];
for (let p = 0; p < PAGES; p++) if (dirty[p] && Buffer.compare(cur.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE), ram.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE)) !== 0) changed.push(p);
const dbuf = new Uint8Array(PAGE_SIZE * 2);
const curWords = new Int32Array(cur.buffer);
let deltaBytes = 0, fits = 0;
row('xbzrle encode (bytes)', changed.length, time(() => {
  deltaBytes = 0; fits = 0;
  for (const p of changed) { const n = xbzrleEncode(ram, p * PAGE_SIZE, cur, p * PAGE_SIZE, PAGE_SIZE, dbuf, PAGE_SIZE / 4); if (n >= 0) { deltaBytes += n; fits++; } }
}).ms, `${fits}/${changed.length} ≤1KiB, avg ${(deltaBytes / Math.max(1, fits)).toFixed(0)} B`);
row('xbzrle encode (words)', changed.length, time(() => {
  for (const p of changed) xbzrleEncode(ram, p * PAGE_SIZE, cur, p * PAGE_SIZE, PAGE_SIZE, dbuf, PAGE_SIZE / 4, words, curWords);
}).ms, '-', 'used by the pipeline');
const deltas: Uint8Array[] = changed.map((p) => { const n = xbzrleEncode(ram, p * PAGE_SIZE, cur, p * PAGE_SIZE, PAGE_SIZE, dbuf, dbuf.length); return dbuf.slice(0, n); });
const page = new Uint8Array(PAGE_SIZE);
row('xbzrle decode', changed.length, time(() => { changed.forEach((p, i) => { page.set(ram.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE)); xbzrleDecode(deltas[i], 0, deltas[i].length, page, 0, PAGE_SIZE); }); }).ms, '-');

// Codecs on non-zero pages.
const registry = nodeCodecRegistry();
const codecs: Array<[string, PageCodec]> = registry.names().map((n) => [n, registry.byName(n)]);
codecs.push(['zstd-3', new ZstdCodec(3)]);
for (const [name, codec] of codecs) {
  const out = new Uint8Array(codec.maxOutput(PAGE_SIZE));
  const comp: Uint8Array[] = [];
  let total = 0;
  const c = time(() => { total = 0; for (const p of nonZero) total += codec.compress(ram, p * PAGE_SIZE, PAGE_SIZE, out); });
  for (const p of nonZero) { const n = codec.compress(ram, p * PAGE_SIZE, PAGE_SIZE, out); comp.push(out.slice(0, n)); }
  row(`${name} compress`, nonZero.length, c.ms, (nonZero.length * PAGE_SIZE / total).toFixed(2));
  row(`${name} decompress`, nonZero.length, time(() => { for (const b of comp) codec.decompress(b, page); }).ms, '-');
}

// Whole pipeline into a real repository (fsync included): a full checkpoint, then 5% of pages written.
const fs = new NodeStoreFs();
for (const name of ['none', 'lz4', 'zstd']) {
  for (const delta of [false, true]) {
    const dir = mkdtempSync(join(tmpdir(), 'rv-bench-'));
    try {
      const repo = Repository.open(fs, dir, { codecs: registry, create: true });
      const pl = new PagePipeline({ codec: registry.byName(name), delta });
      const all = new Uint8Array(PAGES).fill(1);
      let t0 = performance.now();
      let w = repo.begin({ parent: null, pageCount: PAGES });
      const m1 = pl.run({ pageCount: PAGES, ram, dirty: all }, w);
      const c1 = w.commit({ guestTime: 0, instructions: 0, deviceState: new Uint8Array(0), metrics: m1 });
      const full = performance.now() - t0;
      row(`checkpoint full ${name}${delta ? '+xbzrle' : ''}`, PAGES, full, `${(m1.bytesOut / MB).toFixed(1)} MB`, `zero ${m1.pagesZero} dedup ${m1.pagesDeduplicated}`);
      const inc = ram.slice();
      const d = new Uint8Array(PAGES);
      mutate(inc, d, Math.floor(PAGES / 20), rng(44));
      t0 = performance.now();
      w = repo.begin({ parent: c1.id, pageCount: PAGES });
      const m2 = pl.run({ pageCount: PAGES, ram: inc, dirty: d }, w);
      const c2 = w.commit({ guestTime: 1, instructions: 1, deviceState: new Uint8Array(0), metrics: m2 });
      const incMs = performance.now() - t0;
      row(`  incremental 5% ${name}${delta ? '+xbzrle' : ''}`, m2.pagesDirty, incMs, `${(m2.bytesOut / 1e3).toFixed(0)} kB`, `delta ${m2.pagesDelta} comp ${m2.pagesCompressed} raw ${m2.pagesRaw}; ckpt file ${statSync(join(dir, 'checkpoints', 'ckpt-00000002.ckpt')).size} B`);
      const back = new Uint8Array(PAGES * PAGE_SIZE);
      t0 = performance.now();
      repo.restore(c2.id, back);
      row(`  restore ${name}${delta ? '+xbzrle' : ''}`, PAGES, performance.now() - t0, '-', Buffer.compare(back, inc) === 0 ? 'exact' : 'MISMATCH');
      repo.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) console.log(r.map((c, i) => (i === 0 || i === 5 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
