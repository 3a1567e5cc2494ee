/**
 * Child process of crash.test.ts: writes checkpoints (and removes, prunes,
 * collects garbage) forever until killed. Prints "C <id> <step>" after a
 * commit returns, "r <id>" before and "R <id>" after a removal. The RAM of step k is a
 * pure function of (seed, k), so the parent can check any checkpoint.
 */
import { PAGE_SIZE } from '../../src/machine/memory.js';
import { nodeCodecRegistry } from '../../src/node/codecs/node-codecs.js';
import { NodeStoreFs } from '../../src/node/fs-store.js';
import { PagePipeline } from '../../src/encoding/page-pipeline.js';
import { Repository } from '../../src/store/repository.js';
import { selectForRemoval } from '../../src/store/retention.js';
import { makeRam, mutate, rng } from '../encoding/corpus.js';

export const PAGES = 64;

export function stepMutation(ram: Uint8Array, dirty: Uint8Array, seed: number, k: number): void {
  mutate(ram, dirty, 8, rng(seed * 100_003 + k));
}

export function initialRam(seed: number): Uint8Array {
  return makeRam(PAGES, seed);
}

function main(): void {
  const [dir, seedArg] = process.argv.slice(2);
  const seed = Number(seedArg);
  const codecs = nodeCodecRegistry();
  const repo = Repository.open(new NodeStoreFs(), dir, { codecs, create: true, maxPackBytes: 64 * 1024 });
  const pl = new PagePipeline({ codec: codecs.byName('zstd'), deltaCacheBytes: 16 * PAGE_SIZE });
  process.stdout.write('O\n');
  const ram = initialRam(seed);
  const dirty = new Uint8Array(PAGES).fill(1);
  let latest = repo.latest();
  let k = 0;
  if (latest) {
    repo.restore(latest.id, ram);
    k = Number(/^step-(\d+)$/.exec(latest.label ?? '')?.[1]);
  }
  const out = (s: string) => process.stdout.write(`${s}\n`);
  // "r" before a removal starts, "R" once it returned: in between, either outcome is correct.
  const remove = (id: number) => { out(`r ${id}`); repo.remove(id); out(`R ${id}`); };
  for (;;) {
    k++;
    if (latest) { dirty.fill(0); stepMutation(ram, dirty, seed, k); }
    const w = repo.begin({ parent: latest?.id ?? null, pageCount: PAGES });
    const m = pl.run({ pageCount: PAGES, ram, dirty }, w);
    latest = w.commit({ guestTime: k, instructions: k * 1000, deviceState: new TextEncoder().encode(`step ${k}`), label: `step-${k}`, metrics: m });
    out(`C ${latest.id} ${k}`);
    if (k % 5 === 0) {
      const old = repo.list().find((c) => c.id < latest!.id - 3);
      if (old) remove(old.id);
    }
    if (k % 7 === 0) for (const id of selectForRemoval(repo.list(), { keepLast: 6, keepEvery: 10, timeField: 'guestTime' })) remove(id);
    if (k % 11 === 0) { repo.gc(); pl.resetDeltaCache(); out('G'); }
  }
}

if (process.argv[1]?.endsWith('crash-writer.js')) main();
