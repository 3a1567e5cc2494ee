import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { PAGE_SIZE } from '../../src/machine/memory.js';
import type { Repository } from '../../src/store/repository.js';
import { makeRam, mutate, rng } from '../encoding/corpus.js';
import { openRepo, pipeline, tempDir } from './helpers.js';

let dir = '';
let cleanup = () => {};
beforeEach(() => ({ dir, cleanup } = tempDir('rv-multi-')));
afterEach(() => cleanup());

const PAGES = 48;

/** One VM's checkpoint stream into a shared repository. */
class Vm {
  readonly ram: Uint8Array;
  readonly dirty = new Uint8Array(PAGES).fill(1);
  readonly pl = pipeline();
  readonly r: () => number;
  parent: number | null = null;
  step = 0;
  constructor(readonly repo: Repository, readonly name: string, seed: number, sharedBase?: Uint8Array) {
    this.ram = sharedBase ? sharedBase.slice() : makeRam(PAGES, seed);
    this.r = rng(seed + 1);
  }
  checkpoint(images: Map<number, Uint8Array>): number {
    const w = this.repo.begin({ parent: this.parent, pageCount: PAGES });
    const m = this.pl.run({ pageCount: PAGES, ram: this.ram, dirty: this.dirty }, w);
    const meta = w.commit({ guestTime: this.step, instructions: this.step, deviceState: new TextEncoder().encode(`${this.name}-${this.step}`), label: this.name, metrics: m });
    images.set(meta.id, this.ram.slice());
    this.parent = meta.id;
    this.step++;
    this.dirty.fill(0);
    mutate(this.ram, this.dirty, 6, this.r);
    return meta.id;
  }
}

describe('one repository, many writers', () => {
  test('two writers checkpointing into one repository lose nothing (issue 9 reproduction)', () => {
    const a = openRepo(dir);
    const b = openRepo(dir);
    const images = new Map<number, Uint8Array>();
    const base = makeRam(PAGES, 5);
    const va = new Vm(a, 'a', 11, base), vb = new Vm(b, 'b', 12, base);
    const ids: number[] = [];
    for (let i = 0; i < 12; i++) {
      ids.push(va.checkpoint(images));
      if (i % 2 === 0) ids.push(vb.checkpoint(images));
    }
    expect(new Set(ids).size).toBe(ids.length);
    a.close();
    b.close();
    const repo = openRepo(dir, false, true);
    expect(repo.verify().filter((p) => p.severity === 'error')).toEqual([]);
    expect(repo.list().map((m) => m.id).sort((x, y) => x - y)).toEqual([...ids].sort((x, y) => x - y));
    const out = new Uint8Array(PAGES * PAGE_SIZE);
    for (const [id, img] of images) {
      repo.restore(id, out);
      expect(Buffer.compare(out, img), `checkpoint ${id}`).toBe(0);
    }
    repo.close();
  });
});
