/**
 * Child process of the multi-writer stress test (stress-harness.ts). Modes:
 *   writer DIR NAME SEED PAGES MUTATIONS INTERVAL_MS COUNT [HANG_AT]
 *     writes COUNT checkpoints of its own evolving RAM (a pure function of
 *     SEED and the step) and prints "C <id> <step>" after each commit
 *     returns. With HANG_AT, its HANG_AT-th commit writes half of its index
 *     batch, prints "K" and hangs holding the lock (the parent kills it).
 *   reader DIR  lists, verifies and restores in a loop until killed; prints
 *     "V <checkpoints>" per clean pass and "E <message>" on any problem.
 *   prune DIR KEEP_LAST  prunes and collects garbage once; prints "P <id>" per removed id.
 */
import { PAGE_SIZE } from '../../src/machine/memory.js';
import { crc32 } from '../../src/encoding/crc32.js';
import { nodeCodecRegistry } from '../../src/node/codecs/node-codecs.js';
import { NodeStoreFs } from '../../src/node/fs-store.js';
import { PagePipeline } from '../../src/encoding/page-pipeline.js';
import { Repository } from '../../src/store/repository.js';
import { StoreError } from '../../src/store/store-error.js';
import type { StoreFile } from '../../src/store/store-fs.js';
import { makeRam, mutate } from '../encoding/corpus.js';
import { mulberry32 } from '../support/prng.js';

export function stepRam(ram: Uint8Array, dirty: Uint8Array, seed: number, mutations: number, step: number): void {
  mutate(ram, dirty, mutations, mulberry32(seed * 7919 + step));
}

export function initialRam(pages: number, seed: number): Uint8Array {
  return makeRam(pages, seed);
}

/** "name step crc" — lets a reader check a restore without knowing the workload. */
export function describeState(name: string, step: number, ram: Uint8Array): string {
  return `${name} ${step} ${crc32(ram, 0, ram.length)}`;
}

const out = (s: string) => process.stdout.write(`${s}\n`);
const codecs = nodeCodecRegistry();

/** A file system whose n-th index append writes half its bytes and hangs forever. */
class HangingFs extends NodeStoreFs {
  appends = 0;
  constructor(readonly hangAt: number) { super(); }
  override open(path: string, mode: 'r' | 'rw' | 'a' | 'w'): StoreFile {
    const f = super.open(path, mode);
    if (!path.endsWith('/index.log') || mode !== 'rw') return f;
    const write = f.write.bind(f);
    f.write = (data, offset, length, position) => {
      if (++this.appends === this.hangAt && length > 40) {
        write(data, offset, length >> 1, position);
        f.sync();
        out('K');
        for (;;) this.sleep(1000);
      }
      write(data, offset, length, position);
    };
    return f;
  }
}

function writer(args: string[]): void {
  const [dir, name, seedText, pagesText, mutText, intervalText, countText, hangText] = args;
  const seed = Number(seedText), pages = Number(pagesText), mutations = Number(mutText), interval = Number(intervalText), count = Number(countText);
  const fs = hangText ? new HangingFs(Number(hangText)) : new NodeStoreFs();
  const repo = Repository.open(fs, dir, { codecs, create: true, maxPackBytes: 256 * 1024 });
  const pl = new PagePipeline({ codec: codecs.byName('zstd'), deltaCacheBytes: 64 * PAGE_SIZE });
  const ram = initialRam(pages, seed);
  const dirty = new Uint8Array(pages).fill(1);
  let parent: number | null = null;
  out(`S ${Date.now()}`);
  for (let step = 0; step < count; step++) {
    if (step > 0) stepRam(ram, dirty, seed, mutations, step);
    for (let attempt = 0; ; attempt++) {
      try {
        // a prune may remove our parent, a gc the chunks we deduplicated against: then write in full
        if (parent !== null && !repo.has(parent)) { parent = null; dirty.fill(1); }
        const w = repo.begin({ parent, pageCount: pages });
        const m = pl.run({ pageCount: pages, ram, dirty }, w);
        const meta = w.commit({ guestTime: step, instructions: step, deviceState: new TextEncoder().encode(describeState(name, step, ram)), label: `${name}-${step}`, metrics: m });
        parent = meta.id;
        out(`C ${meta.id} ${step}`);
        break;
      } catch (e) {
        if (!(e instanceof StoreError && e.kind === 'conflict') || attempt > 3) throw e;
        out(`X ${e.message}`);
        parent = null;
        dirty.fill(1);
        pl.resetDeltaCache();
      }
    }
    dirty.fill(0);
    if (interval > 0) fs.sleep(interval);
  }
  out(`E ${Date.now()}`);
  repo.close();
}

function reader(dir: string): void {
  const fs = new NodeStoreFs();
  for (let pass = 0; ; pass++) {
    const repo = Repository.open(fs, dir, { codecs, readOnly: true });
    try {
      const errors = repo.verify().filter((p) => p.severity === 'error');
      for (const p of errors) out(`E verify: ${p.file} ${p.message}`);
      const list = repo.list();
      // restore a few: any listed checkpoint must restore to the state its writer described
      for (let i = 0; i < Math.min(3, list.length); i++) {
        const meta = list[(pass * 7 + i * 13) % list.length];
        const ram = new Uint8Array(meta.pageCount * PAGE_SIZE);
        let deviceState: Uint8Array;
        try {
          deviceState = repo.consistentRead(() => repo.restore(meta.id, ram).deviceState);
        } catch (e) {
          // removed by a concurrent prune after we listed it: not an error
          if (e instanceof StoreError && e.kind === 'missing') { repo.refresh(); if (!repo.has(meta.id)) continue; }
          throw e;
        }
        const [name, step] = new TextDecoder().decode(deviceState).split(' ');
        const want = describeState(name, Number(step), ram);
        if (want !== new TextDecoder().decode(deviceState)) out(`E restore of ${meta.id}: RAM differs from what ${name} stored`);
      }
      if (errors.length === 0) out(`V ${list.length}`);
    } catch (e) {
      out(`E ${(e as Error).message}`);
    } finally {
      repo.close();
    }
  }
}

function prune(dir: string, keepLast: number): void {
  const repo = Repository.open(new NodeStoreFs(), dir, { codecs });
  for (const id of repo.prune({ keepLast })) out(`P ${id}`);
  const gc = repo.gc();
  out(`G ${gc.removedChunks} ${gc.rewrittenPacks.length} ${gc.skippedLivePacks.length}`);
  repo.close();
}

const [mode, ...rest] = process.argv.slice(2);
if (process.argv[1]?.endsWith('stress-child.js')) {
  if (mode === 'writer') writer(rest);
  else if (mode === 'reader') reader(rest[0]);
  else if (mode === 'prune') prune(rest[0], Number(rest[1]));
}
