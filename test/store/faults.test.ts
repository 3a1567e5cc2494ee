import { afterEach, beforeEach, expect, test } from 'vitest';
import { PAGE_SIZE } from '../../src/machine/memory.js';
import { Repository } from '../../src/store/repository.js';
import { StoreError } from '../../src/store/store-error.js';
import { makeRam, mutate, rng } from '../encoding/corpus.js';
import { FaultyFs } from './faulty-fs.js';
import { codecs, openRepo, pipeline, tempDir } from './helpers.js';

let dir = '';
let cleanup = () => {};
beforeEach(() => ({ dir, cleanup } = tempDir('rv-faults-')));
afterEach(() => cleanup());

const PAGES = 40;

test('a commit failing at any file operation (ENOSPC, EIO on write and fsync, short writes) never becomes visible, is reported clearly, and the writer goes on', () => {
  const fs = new FaultyFs();
  // small packs and id blocks would not change the picture; a fresh pack mid-run adds its steps too
  const repo = Repository.open(fs, dir, { codecs, create: true, maxPackBytes: 64 * 1024 });
  const reader = openRepo(dir, false, true);
  const pl = pipeline();
  const ram = makeRam(PAGES, 3);
  const dirty = new Uint8Array(PAGES).fill(1);
  const r = rng(4);
  const images = new Map<number, Uint8Array>();
  let parent: number | null = null;
  let step = 0;
  const attempt = (): number => {
    const w = repo.begin({ parent, pageCount: PAGES });
    const m = pl.run({ pageCount: PAGES, ram, dirty }, w);
    return w.commit({ guestTime: step, instructions: step, deviceState: new TextEncoder().encode(`s${step}`), metrics: m }).id;
  };
  const commitOk = () => {
    const id = attempt();
    images.set(id, ram.slice());
    parent = id;
    step++;
    dirty.fill(0);
    mutate(ram, dirty, 5, r);
  };
  commitOk();
  commitOk();
  // count the operations of one clean commit
  fs.arm({ at: Number.MAX_SAFE_INTEGER, code: 'EIO' });
  commitOk();
  const steps = fs.count;
  const opsOfCommit = [...fs.ops];
  fs.disarm();
  expect(steps).toBeGreaterThan(5);
  let failures = 0;
  const kinds = new Set<string>();
  for (let at = 1; at <= steps; at++) {
    for (const fault of [{ code: 'ENOSPC' as const, short: 0.5 }, { code: 'EIO' as const }]) {
      const before = repo.list().map((m) => m.id);
      fs.arm({ at, ...fault });
      let err: unknown = null;
      try {
        attempt();
      } catch (e) {
        err = e;
      }
      const hit = fs.count >= at;
      fs.disarm();
      if (!hit) { expect(err).toBeNull(); continue; }
      // the failure is reported as a StoreError naming the file and the operation
      expect(err, `fault at ${fs.ops[at - 1]}`).toBeInstanceOf(StoreError);
      const se = err as StoreError;
      expect(se.message).toMatch(fault.code);
      expect(se.message).toMatch(/failed|injected/);
      kinds.add(se.kind);
      failures++;
      // nothing became visible: to this writer, to a reader, to a fresh open
      expect(repo.list().map((m) => m.id)).toEqual(before);
      reader.refresh();
      expect(reader.list().map((m) => m.id)).toEqual(before);
      const fresh = openRepo(dir, false, true);
      expect(fresh.list().map((m) => m.id)).toEqual(before);
      fresh.close();
      // and the writer goes on (the dirty pages are still dirty: nothing was cleared)
      commitOk();
    }
  }
  reader.close();
  repo.close();
  const check = openRepo(dir, false);
  expect(check.verify().filter((p) => p.severity === 'error')).toEqual([]);
  const out = new Uint8Array(PAGES * PAGE_SIZE);
  for (const [id, img] of images) {
    check.restore(id, out);
    expect(Buffer.compare(out, img), `checkpoint ${id}`).toBe(0);
  }
  expect(check.list().length).toBe(images.size);
  check.close();
  console.log(`fault injection: ${failures} failed commits (${steps} operations per commit: ${opsOfCommit.map((o) => o.split(' ')[0]).join(', ')}), kinds ${[...kinds].join('/')}, ${images.size} checkpoints committed and restored, lost 0`);
  expect(failures).toBeGreaterThan(2 * 5);
});
