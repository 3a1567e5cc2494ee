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

  test('unknown versions, missing files and truncation give clear errors', () => {
    history(3);
    const idx = `${dir}/index.log`;
    const orig = readFileSync(idx);
    const v2 = Buffer.from(orig);
    v2.writeUInt32LE(2, 8);
    writeFileSync(idx, v2);
    expect(() => openRepo(dir, false)).toThrow(/index format version 2 is not supported \(this build reads version 1\)/);
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
