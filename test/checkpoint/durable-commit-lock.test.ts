// A commit driven asynchronously (DurableCommit) holds the repository lock across its fsyncs; a
// second Repository object of the same process that needs the lock meanwhile finishes that commit
// itself instead of waiting (its blocking wait would stop the event loop the fsyncs complete on).
import { afterAll, expect, test } from 'vitest';
import { PAGE_SIZE } from '../../src/machine/memory.js';
import { DurableCommit } from '../../src/checkpoint/durable-commit.js';
import type { CheckpointMeta } from '../../src/store/checkpoint-meta.js';
import { Repository } from '../../src/store/repository.js';
import { codecs, fs, pipeline, tempDir } from '../store/helpers.js';
import { pageSourceOf } from '../../src/encoding/page-source.js';

const { dir, cleanup } = tempDir('rv-commit-lock-');
afterAll(cleanup);

function memory(seed: number) {
  const pages = 4;
  const u8 = new Uint8Array(pages * PAGE_SIZE);
  for (let i = 0; i < u8.length; i++) u8[i] = (i * seed) & 0xff;
  return pageSourceOf({ u8, dirty: new Uint8Array(pages).fill(1), pages });
}

const info = (n: number) => ({ guestTime: n, instructions: n, deviceState: new Uint8Array([n]) });

test('a second repository object in this process finishes a commit that holds the lock across asynchronous fsyncs, instead of timing out', async () => {
  const a = Repository.open(fs, dir, { codecs, create: true });
  // without the hand-over this one would give up after 2 s with 'locked'
  const b = Repository.open(fs, dir, { codecs, lockTimeoutMs: 2000 });
  const wa = a.begin({ parent: null, pageCount: 4 });
  pipeline().run(memory(3), wa, memory(3).dirty);
  let done: CheckpointMeta | null = null;
  let commit: DurableCommit<CheckpointMeta> | null = null;
  commit = new DurableCommit(fs, wa.commitSteps(info(1), () => commit?.finishNow()), false, (m) => { done = m; }, (e) => { throw e; });
  // the pack's asynchronous fsync completes on the event loop; then the commit takes the lock and yields again
  for (let i = 0; i < 1000 && !a.lock.isHeld && done === null; i++) await new Promise((r) => setTimeout(r, 1));
  expect(fs.syncDirAsync === undefined || a.lock.isHeld).toBe(true);
  const wb = b.begin({ parent: null, pageCount: 4 });
  pipeline().run(memory(5), wb, memory(5).dirty);
  const mb = wb.commit(info(2));
  expect(done).not.toBeNull();
  expect(done!.id).toBeLessThan(mb.id);
  expect(commit.state).toBe('done');
  a.refresh();
  expect(a.list().map((m) => m.id)).toEqual([done!.id, mb.id]);
  expect(b.verify()).toEqual([]);
  a.close();
  b.close();
});
