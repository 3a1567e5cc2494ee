import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { PAGE_SIZE } from '../../src/machine/memory.js';
import { hashBytes } from '../../src/encoding/page-hash.js';
import { StoreError } from '../../src/store/store-error.js';
import { makeRam, mutate, rng } from '../encoding/corpus.js';
import { checkpoint, openRepo, pipeline, tempDir } from './helpers.js';

let dir = '';
let cleanup = () => {};
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

const PAGES = 80;

/** Writes `n` checkpoints of an evolving RAM; returns the RAM image of each (by checkpoint id). */
function history(n: number, opts: { maxPackBytes?: number; branchAt?: number } = {}): Map<number, Uint8Array> {
  const repo = openRepo(dir, true, false, opts.maxPackBytes);
  const pl = pipeline();
  const ram = makeRam(PAGES, 21);
  const dirty = new Uint8Array(PAGES).fill(1);
  const r = rng(22);
  const images = new Map<number, Uint8Array>();
  let parent: number | null = null;
  for (let i = 0; i < n; i++) {
    parent = checkpoint(repo, pl, { pageCount: PAGES, ram, dirty }, parent, i);
    images.set(parent, ram.slice());
    dirty.fill(0);
    mutate(ram, dirty, 12, r);
    if (opts.branchAt !== undefined && i === opts.branchAt) {
      // Restore an older checkpoint and continue from it: a second branch.
      const { meta } = repo.restore(2, ram);
      parent = meta.id;
      dirty.fill(1);
    }
  }
  repo.close();
  return images;
}

function expectRestores(images: Map<number, Uint8Array>, readOnly = false): void {
  const repo = openRepo(dir, false, readOnly);
  const out = new Uint8Array(PAGES * PAGE_SIZE);
  for (const [id, img] of images) {
    const { meta, deviceState } = repo.restore(id, out);
    expect(meta.id).toBe(id);
    expect(new TextDecoder().decode(deviceState)).toMatch(/^dev-\d+$/);
    expect(Buffer.compare(out, img), `checkpoint ${id}`).toBe(0);
  }
  repo.close();
}

describe('repository', () => {
  test('round trip over a branching history, after reopen, read-only too', () => {
    const images = history(8, { branchAt: 4 });
    expectRestores(images);
    expectRestores(images, true);
    const repo = openRepo(dir, false);
    expect(repo.verify()).toEqual([]);
    const list = repo.list();
    expect(list.map((m) => m.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(list[5].parent).toBe(2);
    expect(list[1].metrics?.pagesDirty).toBeGreaterThan(0);
    expect(list[0].instructions).toBe(0);
    expect(list[3].guestTime).toBe(3000);
    repo.close();
  });

  test('pack rotation', () => {
    const images = history(6, { maxPackBytes: 20_000 });
    const repo = openRepo(dir, false);
    expect(repo.verify()).toEqual([]);
    repo.close();
    expectRestores(images);
  });

  test('remove, prune and gc keep the rest restorable and free space', () => {
    const images = history(10);
    let repo = openRepo(dir, false);
    repo.remove(3);
    expect(() => repo.get(3)).toThrow(StoreError);
    images.delete(3);
    const removed = repo.prune({ keepLast: 3, keepEvery: 4000, timeField: 'guestTime' });
    // guest times are 0,1000,..; buckets of 4000 keep ids 1, 5, 9; keepLast keeps 8, 9, 10
    expect(removed).toEqual([2, 4, 6, 7]);
    for (const id of removed) images.delete(id);
    const gc = repo.gc();
    expect(gc.removedChunks).toBeGreaterThan(0);
    expect(gc.bytesAfter).toBeLessThan(gc.bytesBefore);
    expect(repo.verify()).toEqual([]);
    expect(repo.gc().removedChunks).toBe(0);
    // keeps working after gc: new checkpoints on top of a survivor
    const ram = new Uint8Array(PAGES * PAGE_SIZE);
    repo.restore(10, ram);
    const dirty = new Uint8Array(PAGES);
    mutate(ram, dirty, 20, rng(99));
    const id = checkpoint(repo, pipeline(), { pageCount: PAGES, ram, dirty }, 10, 11);
    images.set(id, ram.slice());
    repo.close();
    expectRestores(images);
    repo = openRepo(dir, false);
    expect(repo.list().map((m) => m.id)).toEqual([1, 5, 8, 9, 10, 11]);
    expect(repo.verify()).toEqual([]);
    repo.close();
  });

  test('an aborted writer leaves nothing behind', () => {
    const images = history(2);
    const repo = openRepo(dir, false);
    const ram = makeRam(PAGES, 5);
    const w = repo.begin({ parent: 1, pageCount: PAGES });
    pipeline().run({ pageCount: PAGES, ram, dirty: new Uint8Array(PAGES).fill(1) }, w);
    w.abort();
    expect(repo.verify()).toEqual([]);
    expect(repo.list().length).toBe(2);
    repo.close();
    expectRestores(images);
  });

  test('deduplication compares bytes, not only hashes', () => {
    const repo = openRepo(dir);
    const w = repo.begin({ parent: null, pageCount: 2 });
    const a = new Uint8Array(PAGE_SIZE).fill(1);
    const b = new Uint8Array(PAGE_SIZE).fill(2);
    const hashA = new Uint32Array(4);
    hashBytes(a, 0, PAGE_SIZE, hashA);
    const id = w.putFull(hashA, 0, a, 0, PAGE_SIZE);
    expect(w.findDuplicate(hashA, a, 0)).toBe(id);
    // b presented with a's hash, as a colliding page would be: no match.
    expect(w.findDuplicate(hashA, b, 0)).toBe(0);
    w.abort();
    repo.close();
  });

  test('format version: 1 until a chunk needs 2 (sub-page delta, disk reference), then raised in the index header; gc lowers it again', () => {
    const idx = `${dir}/index.log`;
    const headerVersion = (): number => readFileSync(idx).readUInt32LE(8);
    // full pages and XBZRLE deltas only: version 1, readable by builds from before version 2
    const images = history(3);
    expect(headerVersion()).toBe(1);
    let repo = openRepo(dir, false);
    expect(repo.formatVersion).toBe(1);
    // a checkpoint with sub-page deltas (delta format 1): the header says 2 before the batch naming them is appended
    const pl = pipeline({ subpageBlock: 64 });
    // new contents (pages deduplicated against stored ones are no delta keyframes)
    const ram = makeRam(PAGES, 99);
    const dirty = new Uint8Array(PAGES).fill(1);
    // the pipeline deltas against pages it has seen: first every page (full chunks, still version 1)
    const full = checkpoint(repo, pl, { pageCount: PAGES, ram, dirty }, 3, 4);
    images.set(full, ram.slice());
    expect(headerVersion()).toBe(1);
    dirty.fill(0);
    // every other byte of 128 (XBZRLE pays per byte run; sub-page blocks win)
    for (let p = 0; p < PAGES; p += 7) { for (let i = 0; i < 128; i += 2) ram[p * PAGE_SIZE + 1024 + i] ^= 0x5a; dirty[p] = 1; }
    const id = checkpoint(repo, pl, { pageCount: PAGES, ram, dirty }, full, 5);
    const t = repo.chunks;
    expect([...repo.readCheckpoint(id).map].some((c) => c !== 0 && t.kindOf(c) === 1 && t.codecOf(c) === 1)).toBe(true);
    expect(repo.formatVersion).toBe(2);
    expect(headerVersion()).toBe(2);
    images.set(id, ram.slice());
    repo.close();
    // this build reads both versions' contents
    expectRestores(images);
    repo = openRepo(dir, false);
    expect(repo.formatVersion).toBe(2);
    // a repository written before version 2 existed (sub-page deltas under a version 1 header):
    // read as before, reported by verify, raised by the next commit (here one with a reference chunk)
    const v1 = Buffer.from(readFileSync(idx));
    v1.writeUInt32LE(1, 8);
    writeFileSync(idx, v1);
    repo.close();
    repo = openRepo(dir, false);
    expect(repo.formatVersion).toBe(1);
    expect(repo.verify().map((p) => p.message).join('\n')).toMatch(/the index says format version 1 but holds chunks of version 2/);
    const w = repo.begin({ parent: null, pageCount: 1 });
    w.setPage(0, w.putReference(new Uint32Array(4), new Uint8Array(8), 0, 8));
    w.commit({ guestTime: 0, instructions: 0, deviceState: new Uint8Array(0), hostTime: 0 });
    expect(headerVersion()).toBe(2);
    expect(repo.formatVersion).toBe(2);
    // once no chunk needs version 2 any more, the index gc rewrites is version 1
    repo.removeMany(repo.list().filter((m) => m.id > full).map((m) => m.id));
    repo.gc();
    expect(headerVersion()).toBe(1);
    repo.close();
    images.delete(id);
    expectRestores(images, true);
  });

  test('unknown versions, missing files and truncation give clear errors', () => {
    history(3);
    const idx = `${dir}/index.log`;
    const orig = readFileSync(idx);
    const v3 = Buffer.from(orig);
    v3.writeUInt32LE(3, 8);
    writeFileSync(idx, v3);
    expect(() => openRepo(dir, false)).toThrow(/index format version 3 is not supported \(this build reads versions 1 to 2; a newer Retrovisor wrote it\)/);
    writeFileSync(idx, orig);

    const ck = `${dir}/checkpoints/ckpt-00000002.ckpt`;
    const ckBytes = readFileSync(ck);
    writeFileSync(ck, ckBytes.subarray(0, ckBytes.length - 10));
    let repo = openRepo(dir, false, true);
    expect(() => repo.restore(2, new Uint8Array(PAGES * PAGE_SIZE))).toThrow(/ckpt-00000002\.ckpt \(checkpoint 2\): checkpoint file differs from the index/);
    const problems = repo.verify();
    expect(problems.some((p) => p.checkpoint === 2 && p.file.endsWith('ckpt-00000002.ckpt'))).toBe(true);
    repo.close();
    writeFileSync(ck, ckBytes);

    unlinkSync(`${dir}/packs/pack-000001.pack`);
    repo = openRepo(dir, false, true);
    expect(() => repo.restore(1, new Uint8Array(PAGES * PAGE_SIZE))).toThrow(/pack-000001\.pack \(checkpoint 1\) \(chunk 1\): pack file is missing/);
    expect(repo.verify().filter((p) => p.severity === 'error').length).toBeGreaterThan(0);
    repo.close();
    expect(() => openRepo(`${dir}/nope`, false)).toThrow(/no checkpoint repository here/);
  });
});
