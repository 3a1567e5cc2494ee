// CRC-valid repository files whose sizes, counts and ids lie: rejected before anything big is allocated.
import { appendFileSync, cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { PAGE_SIZE } from '../../src/machine/memory.js';
import { CodecError } from '../../src/encoding/codec-error.js';
import { crc32 } from '../../src/encoding/crc32.js';
import { ByteWriter } from '../../src/store/binary.js';
import type { CheckpointMeta } from '../../src/store/checkpoint-meta.js';
import { writeHeader } from '../../src/store/file-header.js';
import { BatchWriter } from '../../src/store/index-log.js';
import { writeRecord, RECORD_OVERHEAD } from '../../src/store/pack-record.js';
import { StoreError } from '../../src/store/store-error.js';
import { makeRam, mutate, rng } from '../encoding/corpus.js';
import { checkpoint, openRepo, pipeline, tempDir } from './helpers.js';

const PAGES = 32;
let base = '';
let cleanup = () => {};
const images = new Map<number, Uint8Array>();
let metas: CheckpointMeta[] = [];

beforeAll(() => {
  ({ dir: base, cleanup } = tempDir('rv-hostile-'));
  const repo = openRepo(join(base, 'orig'));
  const pl = pipeline();
  const ram = makeRam(PAGES, 41);
  const dirty = new Uint8Array(PAGES).fill(1);
  const r = rng(42);
  let parent: number | null = null;
  for (let i = 0; i < 3; i++) {
    parent = checkpoint(repo, pl, { pageCount: PAGES, ram, dirty }, parent, i);
    images.set(parent, ram.slice());
    dirty.fill(0);
    mutate(ram, dirty, 6, r);
  }
  metas = repo.list();
  repo.close();
});
afterAll(() => cleanup());

const u32 = fc.oneof(fc.constantFrom(0, 1, 2, 3, 16, 0x7fffffff, 0xffffffff), fc.nat({ max: 0xffffffff }));
const u64 = fc.oneof(fc.constantFrom(0, 16, 2 ** 31, 2 ** 40, Number.MAX_SAFE_INTEGER), fc.nat());
const hash = fc.tuple(u32, u32, u32, u32).map((h) => Uint32Array.from(h));

/** One CRC-valid index batch with hostile values. */
const hostileBatch = fc.oneof(
  fc.tuple(u32, u32, u64, fc.nat(255), fc.nat(255), u32, u32, hash).map(([id, pack, off, kind, codec, len, b, h]) => new BatchWriter().chunk(id, pack, off, kind, codec, len, b, h).finish()),
  fc.tuple(u32, u64).map(([pack, len]) => new BatchWriter().pack(pack, len).finish()),
  fc.tuple(u32, u32).map(([c, k]) => new BatchWriter().counters(c, k).finish()),
  fc.tuple(fc.constantFrom(1, 2, 3, 999), u64, u32, u32).map(([id, pageCount, len, crc]) => new BatchWriter()
    .add({ id, parent: null, pageCount, guestTime: 0, instructions: 0, hostTime: 0, bytesWritten: 0 }, len, crc).counters(1000, 1000).finish()),
);

/** Opens, restores and verifies: only StoreErrors (or codec errors) may come out, and only exact pages. */
function exercise(dir: string): 'open' | 'read' | 'clean' {
  let repo;
  try {
    repo = openRepo(dir, false, true);
  } catch (e) {
    expect(e).toBeInstanceOf(StoreError);
    return 'open';
  }
  let failed = false;
  for (const meta of repo.list()) {
    const out = new Uint8Array(Math.min(meta.pageCount, PAGES) * PAGE_SIZE);
    try {
      repo.restore(meta.id, out);
      expect(Buffer.compare(out, images.get(meta.id)!), `checkpoint ${meta.id}`).toBe(0);
    } catch (e) {
      if (!(e instanceof StoreError || e instanceof CodecError)) throw e;
      failed = true;
    }
  }
  repo.verify();
  repo.close();
  return failed ? 'read' : 'clean';
}

test('index batches with valid checksums and hostile ids, offsets, lengths and counts', () => {
  const heap0 = process.memoryUsage().heapUsed;
  const seen = { open: 0, read: 0, clean: 0 };
  fc.assert(fc.property(hostileBatch, (batch) => {
    const dir = join(base, 'work');
    rmSync(dir, { recursive: true, force: true });
    cpSync(join(base, 'orig'), dir, { recursive: true });
    appendFileSync(join(dir, 'index.log'), batch);
    seen[exercise(dir)]++;
    expect(process.memoryUsage().rss).toBeLessThan(2 ** 31);
  }), { numRuns: 150 });
  expect(process.memoryUsage().heapUsed - heap0).toBeLessThan(256 << 20);
  expect(seen.open + seen.read).toBeGreaterThan(0);
});

test('checkpoint files with valid checksums (file and index) and hostile page counts and lengths', () => {
  const field = fc.oneof(fc.constantFrom(0, 1, PAGES, 2 ** 24, 2 ** 24 + 1, 2 ** 31, 0xffffffff), fc.nat({ max: 0xffffffff }));
  fc.assert(fc.property(fc.nat(metas.length - 1), field, field, field, field, (which, metaPages, pageCount, mapLen, devLen) => {
    const dir = join(base, 'work');
    rmSync(dir, { recursive: true, force: true });
    cpSync(join(base, 'orig'), dir, { recursive: true });
    const m = metas[which];
    const meta = { ...m, pageCount: metaPages };
    const w = new ByteWriter(256);
    writeHeader(w, 'checkpoint');
    const mj = new TextEncoder().encode(JSON.stringify(meta));
    w.u32(mj.length).bytes(mj).u32(pageCount).u32(mapLen).bytes(new Uint8Array([2 * 4 + 1])).u32(devLen).bytes(new Uint8Array(3));
    w.u32(crc32(w.buf, 0, w.length));
    const file = w.view8();
    writeFileSync(join(dir, 'checkpoints', `ckpt-${String(m.id).padStart(8, '0')}.ckpt`), file);
    appendFileSync(join(dir, 'index.log'), new BatchWriter().add(meta.pageCount <= 2 ** 24 ? meta : m, file.length, crc32(file)).finish());
    const r = exercise(dir);
    expect(r).not.toBe('clean');
  }), { numRuns: 60 });
});

test('a pack record with a valid checksum whose header lies about its length or id', () => {
  fc.assert(fc.property(u32, u32, (id, len) => {
    const dir = join(base, 'work');
    rmSync(dir, { recursive: true, force: true });
    cpSync(join(base, 'orig'), dir, { recursive: true });
    // overwrite the first record of pack 1 with a CRC-valid record of other id/length
    const pack = join(dir, 'packs', 'pack-000001.pack');
    const bytes = readFileSync(pack);
    const n = Math.min(len, 64);
    const rec = new Uint8Array(RECORD_OVERHEAD + n);
    writeRecord(rec, 0, { id, kind: 0, codec: 0, length: n, base: 0, hash: new Uint32Array(4) }, new Uint8Array(n), 0);
    new DataView(rec.buffer).setUint32(12, len, true);
    new DataView(rec.buffer).setUint32(RECORD_OVERHEAD - 4 + n, crc32(rec, 0, RECORD_OVERHEAD - 4 + n), true);
    bytes.set(rec, 16);
    writeFileSync(pack, bytes);
    expect(exercise(dir)).not.toBe('clean');
  }), { numRuns: 60 });
});
