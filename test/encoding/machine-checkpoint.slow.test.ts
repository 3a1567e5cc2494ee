// End to end: checkpoints of the real machine booting the standard guest, restored into a fresh
// machine, must continue exactly like the original (RAM, CPU/device state, console output).
import { afterAll, expect, test } from 'vitest';
import { PAGE_SIZE } from '../../src/machine/memory.js';
import { nodeCodecRegistry } from '../../src/node/codecs/node-codecs.js';
import { NodeStoreFs } from '../../src/node/fs-store.js';
import { GuestSession } from '../support/guest-session.js';
import { PagePipeline } from '../../src/encoding/page-pipeline.js';
import { pageSourceOf } from '../../src/encoding/page-source.js';
import { decodeState, encodeState } from '../../src/encoding/state-codec.js';
import { Repository } from '../../src/store/repository.js';
import { tempDir } from '../store/helpers.js';

const { dir, cleanup } = tempDir('rv-machine-ckpt-');
const sessions: GuestSession[] = [];
afterAll(() => { for (const s of sessions) s.close(); cleanup(); });

// rng off: the input source's position is not machine state (the replay layer records it).
const session = () => { const s = new GuestSession({ machine: { rng: false } }); sessions.push(s); return s; };
const FIRST = Number(process.env.CKPT_AT ?? 40_000_000);
const STEP = 10_000_000;

test('checkpoint, continue, restore into a fresh machine, continue identically', () => {
  const codecs = nodeCodecRegistry();
  const repo = Repository.open(new NodeStoreFs(), dir, { codecs, create: true });
  const pipeline = new PagePipeline({ codec: codecs.byName('zstd') });
  const a = session();
  const m = a.machine;
  const src = pageSourceOf(m.ram);

  const take = (parent: number | null, all: boolean) => {
    const w = repo.begin({ parent, pageCount: src.pageCount });
    const metrics = pipeline.run(src, w, all ? new Uint8Array(src.pageCount).fill(1) : src.dirty);
    const meta = w.commit({ guestTime: m.now(), instructions: m.instret, deviceState: encodeState(m.saveState()), metrics });
    m.ram.clearDirty();
    return meta;
  };

  m.run(FIRST);
  const c1 = take(null, true);
  m.run(STEP);
  const c2 = take(c1.id, false);
  const ramAt2 = m.ram.u8.slice();
  m.run(STEP);
  const finalRam = m.ram.u8.slice();
  const finalState = encodeState(m.saveState());
  const ms = (x?: number) => (x ?? 0).toFixed(0);
  console.log(`checkpoint 1 at ${c1.instructions} instructions: ${c1.metrics?.pagesDirty} pages (${c1.metrics?.pagesZero} zero, ${c1.metrics?.pagesDeduplicated} dedup), ${c1.bytesWritten} B, pipeline ${ms(c1.metrics?.msTotal)} ms; `
    + `checkpoint 2 (dirty log): ${c2.metrics?.pagesDirty} pages, ${c2.bytesWritten} B, ${c2.metrics?.pagesDelta} deltas, pipeline ${ms(c2.metrics?.msTotal)} ms`);

  // Restore 2 into a fresh machine and run the same number of instructions.
  const b = session();
  const t0 = performance.now();
  const r2 = repo.restore(c2.id, b.machine.ram.u8);
  console.log(`restore of checkpoint 2: ${(performance.now() - t0).toFixed(0)} ms`);
  b.machine.loadState(decodeState(r2.deviceState));
  expect(b.machine.instret).toBe(c2.instructions);
  b.machine.run(STEP);
  expect(Buffer.compare(b.machine.ram.u8, finalRam)).toBe(0);
  expect(Buffer.compare(encodeState(b.machine.saveState()), finalState)).toBe(0);

  // Restore 1 and run to checkpoint 2: the incremental checkpoint (dirty log only) must match.
  const c = session();
  const r1 = repo.restore(c1.id, c.machine.ram.u8);
  c.machine.loadState(decodeState(r1.deviceState));
  c.machine.run(STEP);
  const diff: number[] = [];
  for (let p = 0; p < ramAt2.length / PAGE_SIZE && diff.length < 10; p++) {
    if (Buffer.compare(c.machine.ram.u8.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE), ramAt2.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE)) !== 0) diff.push(p);
  }
  expect(diff, 'pages differing after replaying checkpoint 1 → 2').toEqual([]);
  const restored2 = new Uint8Array(ramAt2.length);
  repo.restore(c2.id, restored2);
  expect(Buffer.compare(restored2, ramAt2)).toBe(0);
  expect(repo.verify()).toEqual([]);
  repo.close();
});
