import { cpSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PAGE_SIZE } from '../../src/machine/memory.js';
import { CodecError } from '../../src/encoding/codec-error.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/store/checkpoint-file.js';
import { type CheckpointMeta, decodeMeta, encodeMeta } from '../../src/store/checkpoint-meta.js';
import { BatchWriter, indexFileWith, readIndexLog, type IndexVisitor } from '../../src/store/index-log.js';
import { checkRecord, RECORD_OVERHEAD, writeRecord } from '../../src/store/pack-record.js';
import { decodePageMap, encodePageMap } from '../../src/store/page-map.js';
import { StoreError } from '../../src/store/store-error.js';
import { makeRam, mutate, rng } from '../encoding/corpus.js';
import { checkpoint, openRepo, pipeline, tempDir } from './helpers.js';

const meta: CheckpointMeta = { id: 4, parent: 3, pageCount: 50, guestTime: 1.5, instructions: 123456789, hostTime: 1700000000000, bytesWritten: 10, label: 'x' };

/** Mutations: flip some bytes, or truncate. */
const mutation = fc.oneof(
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }).map((flips) => ({ flips, cut: -1 })),
  fc.nat().map((cut) => ({ flips: [] as Array<[number, number]>, cut })),
);

function apply(bytes: Uint8Array, m: { flips: Array<[number, number]>; cut: number }): Uint8Array {
  const out = bytes.slice();
  // One flip per byte: two flips of the same byte could cancel out.
  const seen = new Set<number>();
  for (const [i, x] of m.flips) {
    if (seen.has(i % out.length)) continue;
    seen.add(i % out.length);
    out[i % out.length] ^= x;
  }
  return m.cut >= 0 ? out.subarray(0, m.cut % out.length) : out;
}

function expectStoreError(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(StoreError);
    return;
  }
  throw new Error('mutation not detected');
}

const nullVisitor: IndexVisitor = { pack() {}, chunk() {}, add() {}, drop() {}, counters() {} };

describe('readers reject mutated bytes', () => {
  test('page map: round trip, and garbage gives StoreError or a valid map', () => {
    const mapArb = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 ** 32 - 1 }), fc.integer({ min: 1, max: 40 })), { maxLength: 300 })
      .map((a) => Uint32Array.from(a));
    fc.assert(fc.property(mapArb, (map) => {
      expect([...decodePageMap(encodePageMap(map).slice(), map.length, 'm')]).toEqual([...map]);
    }), { numRuns: 300 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(100), (bytes, pages) => {
      try {
        const m = decodePageMap(bytes, pages, 'm');
        expect(m.length).toBe(pages);
      } catch (e) {
        expect(e).toBeInstanceOf(StoreError);
      }
    }), { numRuns: 1000 });
  });

  test('checkpoint file: every mutation is a StoreError', () => {
    const map = Uint32Array.from({ length: 50 }, (_, i) => (i % 7 === 0 ? 0 : i + 10));
    const file = encodeCheckpoint(meta, map, new Uint8Array([1, 2, 3])).slice();
    const back = decodeCheckpoint(file, 'f', 4);
    expect(back.meta).toEqual(meta);
    expect([...back.map]).toEqual([...map]);
    fc.assert(fc.property(mutation, (m) => expectStoreError(() => decodeCheckpoint(apply(file, m), 'f', 4))), { numRuns: 1000 });
  });

  test('checkpoint metadata: arbitrary bytes and JSON give StoreError or a well-typed record', () => {
    const good = encodeMeta(meta);
    expect(decodeMeta(good, 'f', 4)).toEqual(meta);
    const check = (bytes: Uint8Array) => {
      try {
        const m = decodeMeta(bytes, 'f');
        expect(Number.isSafeInteger(m.id) && m.id > 0 && Number.isSafeInteger(m.pageCount) && typeof m.guestTime === 'number').toBe(true);
      } catch (e) {
        expect(e).toBeInstanceOf(StoreError);
      }
    };
    fc.assert(fc.property(mutation, (m) => check(apply(good, m))), { numRuns: 1000 });
    fc.assert(fc.property(fc.jsonValue(), (v) => check(new TextEncoder().encode(JSON.stringify(v)))), { numRuns: 500 });
    fc.assert(fc.property(fc.record({ id: fc.jsonValue(), parent: fc.jsonValue(), pageCount: fc.jsonValue(), guestTime: fc.jsonValue(), instructions: fc.jsonValue(), hostTime: fc.jsonValue(), bytesWritten: fc.jsonValue() }),
      (v) => check(new TextEncoder().encode(JSON.stringify(v)))), { numRuns: 500 });
  });

  test('pack record: every mutation is a StoreError', () => {
    const payload = Uint8Array.from({ length: 100 }, (_, i) => i * 7);
    const fields = { id: 9, kind: 0, codec: 3, length: 100, base: 0, hash: new Uint32Array([1, 2, 3, 4]) };
    const rec = new Uint8Array(RECORD_OVERHEAD + 100);
    writeRecord(rec, 0, fields, payload, 0);
    expect([...checkRecord(rec, fields, 'p', 0)]).toEqual([...payload]);
    fc.assert(fc.property(mutation, (m) => expectStoreError(() => checkRecord(apply(rec, m), fields, 'p', 0))), { numRuns: 1000 });
  });

  test('index log: mutation is a StoreError or reads as a torn tail (never a changed entry)', () => {
    const batches = [
      new BatchWriter().counters(1, 1).finish(),
      new BatchWriter().pack(1, 4000).chunk(1, 1, 16, 0, 3, 100, 0, new Uint32Array([1, 2, 3, 4])).add(meta, 300, 0xabcdef).counters(2, 5).finish(),
      new BatchWriter().drop(4).finish(),
    ];
    const file = indexFileWith(batches).slice();
    const log = (bytes: Uint8Array) => {
      const seen: string[] = [];
      const res = readIndexLog(bytes, 'i', {
        pack: (p, l) => seen.push(`pack ${p} ${l}`),
        chunk: (id, p, o, k, c, l, b, h) => seen.push(`chunk ${id} ${p} ${o} ${k} ${c} ${l} ${b} ${[...h].join()}`),
        add: (m, l, c) => seen.push(`add ${JSON.stringify(m)} ${l} ${c}`),
        drop: (id) => seen.push(`drop ${id}`),
        counters: (a, b) => seen.push(`counters ${a} ${b}`),
      });
      return { seen, res };
    };
    const full = log(file);
    expect(full.res).toMatchObject({ batches: 3, tornBytes: 0 });
    fc.assert(fc.property(mutation, (m) => {
      let r: ReturnType<typeof log>;
      try {
        r = log(apply(file, m));
      } catch (e) {
        expect(e).toBeInstanceOf(StoreError);
        return;
      }
      // Accepted only as a prefix of the original batches: a torn remainder, or a
      // cut on a batch boundary (indistinguishable from commits that never happened).
      // The header's version word has no checksum: a flip to another version this build
      // reads (1 <-> 2) is accepted, and must leave every entry as it was.
      const versionOnly = r.res.version !== full.res.version && r.res.tornBytes === 0;
      if (m.cut < 0 && !versionOnly) expect(r.res.tornBytes).toBeGreaterThan(0);
      if (versionOnly) expect(r.seen).toEqual(full.seen);
      expect(full.seen.slice(0, r.seen.length)).toEqual(r.seen);
    }), { numRuns: 1000 });
    expect(() => readIndexLog(file.subarray(0, 10), 'i', nullVisitor)).toThrow(StoreError);
  });
});

describe('repository with a mutated byte anywhere', () => {
  const PAGES = 48;
  let base = '';
  let cleanup = () => {};
  const images = new Map<number, Uint8Array>();

  beforeAll(() => {
    ({ dir: base, cleanup } = tempDir('rv-fuzz-'));
    const repo = openRepo(join(base, 'orig'));
    const pl = pipeline();
    const ram = makeRam(PAGES, 31);
    const dirty = new Uint8Array(PAGES).fill(1);
    const r = rng(32);
    let parent: number | null = null;
    for (let i = 0; i < 4; i++) {
      parent = checkpoint(repo, pl, { pageCount: PAGES, ram, dirty }, parent, i);
      images.set(parent, ram.slice());
      dirty.fill(0);
      mutate(ram, dirty, 10, r);
    }
    repo.close();
  });
  afterAll(() => cleanup());

  test('never returns a wrong page; the damage is always noticed', () => {
    const orig = join(base, 'orig');
    const files: string[] = [];
    for (const sub of ['', 'packs', 'checkpoints']) {
      for (const n of readdirSync(join(orig, sub))) if (statSync(join(orig, sub, n)).isFile()) files.push(join(sub, n));
    }
    const out = new Uint8Array(PAGES * PAGE_SIZE);
    let detectedAtOpen = 0, detectedAtRead = 0, detectedByVerify = 0;
    fc.assert(fc.property(fc.nat(files.length - 1), mutation, fc.boolean(), (fi, m, readOnly) => {
      const dir = join(base, 'work');
      rmSync(dir, { recursive: true, force: true });
      cpSync(orig, dir, { recursive: true });
      const target = join(dir, files[fi]);
      writeFileSync(target, apply(readFileSync(target), m));
      let repo;
      try {
        repo = openRepo(dir, false, readOnly);
      } catch (e) {
        expect(e).toBeInstanceOf(StoreError);
        detectedAtOpen++;
        return;
      }
      let readFailed = false;
      for (const meta of repo.list()) {
        try {
          repo.restore(meta.id, out);
          expect(Buffer.compare(out, images.get(meta.id) as Uint8Array), `checkpoint ${meta.id} after mutating ${files[fi]}`).toBe(0);
        } catch (e) {
          if (!(e instanceof StoreError || e instanceof CodecError)) throw e;
          readFailed = true;
        }
      }
      const problems = repo.verify();
      repo.close();
      if (readFailed) detectedAtRead++;
      if (problems.length > 0) detectedByVerify++;
      expect(problems.length, `verify missed a mutation of ${files[fi]}`).toBeGreaterThan(0);
    }), { numRuns: 150 });
    expect(detectedAtOpen + detectedByVerify).toBe(150);
    expect(detectedAtRead).toBeGreaterThan(0);
  });
});
