import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { PAGE_SIZE } from '../../src/machine/memory.js';
import type { LockHolder } from '../../src/store/repo-lock.js';
import { Repository } from '../../src/store/repository.js';
import { StoreError } from '../../src/store/store-error.js';
import { makeRam, mutate, rng } from '../encoding/corpus.js';
import { codecs, fs, openRepo, pipeline, tempDir } from './helpers.js';

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
    let m;
    try {
      m = this.pl.run({ pageCount: PAGES, ram: this.ram, dirty: this.dirty }, w);
    } catch (e) {
      w.abort();
      throw e;
    }
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

describe('locks, ownership and maintenance', () => {
  test('a commit waits for the lock and then fails naming the holder; a dead holder\'s lock is broken', () => {
    const a = Repository.open(fs, dir, { codecs, create: true, lockTimeoutMs: 200 });
    const holder: LockHolder = { ...fs.self(), purpose: 'gc', since: Date.now(), token: 'other' };
    writeFileSync(join(dir, 'lock'), JSON.stringify(holder));
    const va = new Vm(a, 'a', 1);
    const images = new Map<number, Uint8Array>();
    const t0 = Date.now();
    expect(() => va.checkpoint(images)).toThrow(new RegExp(`repository is locked by pid ${process.pid} on .* \\(gc, since .*\\); gave up after 0\\.2 s`));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(a.list()).toEqual([]);
    // the same holder, dead (a pid that does not run): broken at once
    writeFileSync(join(dir, 'lock'), JSON.stringify({ ...holder, pid: deadPid() }));
    const id = va.checkpoint(images);
    expect(a.lock.brokenStale).toBe(1);
    expect(a.list().map((m) => m.id)).toEqual([id]);
    expect(existsSync(join(dir, 'lock'))).toBe(false);
    a.close();
  });

  test('another writer\'s open, recovery and gc never touch a live writer\'s pack; a dead writer\'s leftovers are recovered', () => {
    const a = openRepo(dir);
    const images = new Map<number, Uint8Array>();
    const va = new Vm(a, 'a', 1);
    va.checkpoint(images);
    // a's next checkpoint is in flight: records written, not committed
    const w = a.begin({ parent: va.parent, pageCount: PAGES });
    va.pl.run({ pageCount: PAGES, ram: va.ram.fill(7, 0, 3 * PAGE_SIZE), dirty: va.dirty.fill(1) }, w);
    w.flush();
    const packs = readdirSync(join(dir, 'packs'));
    const sizes = packs.map((p) => statSync(join(dir, 'packs', p)).size);
    const b = openRepo(dir);
    new Vm(b, 'b', 2).checkpoint(images);
    b.prune({ keepLast: 1 });
    b.gc();
    b.close();
    packs.forEach((p, i) => expect(statSync(join(dir, 'packs', p)).size, p).toBe(sizes[i]));
    const meta = w.commit({ guestTime: 1, instructions: 1, deviceState: new Uint8Array(1) });
    images.set(meta.id, va.ram.slice());
    // a dies without closing: its owner file names a pid that runs no more
    const owner = readdirSync(join(dir, 'packs')).find((n) => n.endsWith('.owner'))!;
    const ownerPath = join(dir, 'packs', owner);
    writeFileSync(ownerPath, JSON.stringify({ ...JSON.parse(readFileSync(ownerPath, 'utf8')), pid: deadPid() }));
    const pack = join(dir, 'packs', owner.replace('.owner', '.pack'));
    const committedSize = statSync(pack).size;
    writeFileSync(pack, new Uint8Array(100), { flag: 'a' }); // a torn record after its last commit
    const c = openRepo(dir);
    expect(c.recoveredBytes).toBe(100);
    expect(statSync(pack).size).toBe(committedSize);
    expect(existsSync(ownerPath)).toBe(false);
    expect(c.verify().filter((p) => p.severity === 'error')).toEqual([]);
    const out = new Uint8Array(PAGES * PAGE_SIZE);
    c.restore(meta.id, out);
    expect(Buffer.compare(out, images.get(meta.id)!)).toBe(0);
    c.close();
  });

  test('a gc that removes a chunk a writer deduplicated against makes that commit fail as a conflict; nothing is visible and a full retry works', () => {
    const a = openRepo(dir);
    const b = openRepo(dir);
    const images = new Map<number, Uint8Array>();
    const base = makeRam(PAGES, 9);
    const vb = new Vm(b, 'b', 3, base);
    const first = vb.checkpoint(images);
    // a starts a checkpoint of the same memory: every page deduplicates against b's chunks
    const w = a.begin({ parent: null, pageCount: PAGES });
    const m = pipeline().run({ pageCount: PAGES, ram: base, dirty: new Uint8Array(PAGES).fill(1) }, w);
    expect(m.pagesDeduplicated).toBeGreaterThan(0);
    // b's checkpoint is removed and its chunks collected meanwhile
    b.remove(first);
    expect(b.gc().removedChunks).toBeGreaterThan(0);
    let err: unknown;
    try { w.commit({ guestTime: 0, instructions: 0, deviceState: new Uint8Array(1) }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).kind).toBe('conflict');
    expect((err as StoreError).message).toMatch(/removed by a concurrent garbage collection/);
    expect(a.list()).toEqual([]);
    const w2 = a.begin({ parent: null, pageCount: PAGES });
    pipeline().run({ pageCount: PAGES, ram: base, dirty: new Uint8Array(PAGES).fill(1) }, w2);
    const meta = w2.commit({ guestTime: 0, instructions: 0, deviceState: new Uint8Array(1) });
    a.close();
    b.close();
    const c = openRepo(dir, false, true);
    expect(c.verify().filter((p) => p.severity === 'error')).toEqual([]);
    const out = new Uint8Array(PAGES * PAGE_SIZE);
    c.restore(meta.id, out);
    expect(Buffer.compare(out, base)).toBe(0);
    c.close();
  });
});

/** A pid that runs no more (a child that exited). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}
