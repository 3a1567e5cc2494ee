import { expect, test } from 'vitest';
import { PAGE_SIZE } from '../../src/machine/memory.js';
import { makeRam, mutate, rng } from '../snapshot/corpus.js';
import { checkpoint, openRepo, pipeline, tempDir } from './helpers.js';

test('smoke', () => {
  const { dir, cleanup } = tempDir();
  try {
    const pages = 64;
    const ram = makeRam(pages, 1);
    const dirty = new Uint8Array(pages).fill(1);
    const src = { pageCount: pages, ram, dirty };
    const repo = openRepo(dir);
    const pl = pipeline();
    const snaps: Uint8Array[] = [];
    let parent: number | null = null;
    const r = rng(5);
    for (let i = 0; i < 5; i++) {
      parent = checkpoint(repo, pl, src, parent, i);
      snaps.push(ram.slice());
      dirty.fill(0);
      mutate(ram, dirty, 10, r);
    }
    console.log(repo.list().map((m) => m.metrics));
    const out = new Uint8Array(pages * PAGE_SIZE);
    for (let i = 0; i < 5; i++) {
      repo.restore(i + 1, out);
      expect(Buffer.compare(out, snaps[i])).toBe(0);
    }
    expect(repo.verify()).toEqual([]);
    repo.close();
  } finally {
    cleanup();
  }
});
