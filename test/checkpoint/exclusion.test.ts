// Checkpoints taken with every data-reduction technique on (balloon free-page exclusion, sub-page and
// similarity deltas) restore bit-exactly and continue exactly like the original run.
import { afterAll, expect, test } from 'vitest';
import { SeededInputSource } from '../../src/machine/input.js';
import { GuestSession } from '../support/guest-session.js';
import { MachineCheckpointer, type CaptureResult } from '../../src/checkpoint/machine-checkpointer.js';
import { CheckpointTrail } from '../support/checkpoint-trail.js';
import { restoreMachine } from '../../src/checkpoint/restore-machine.js';
import { codecs, openRepo, tempDir } from '../store/helpers.js';
import { fingerprint } from './fingerprint.js';
import { MemoryBlockDevice } from '../../src/machine/block/memory-block-device.js';
import { mulberry32 } from '../support/prng.js';

const { dir, cleanup } = tempDir('rv-ckpt-excl-');
const sessions: GuestSession[] = [];
afterAll(() => { for (const s of sessions) s.close(); cleanup(); });
// 256 MiB: Linux reports free 4 MiB blocks only while more than 128 MiB are free
const session = () => { const s = new GuestSession({ memoryBytes: 256 << 20, machine: { balloon: true }, input: new SeededInputSource(5) }); sessions.push(s); return s; };
const AFTER = 5_000_000;

test('free-page exclusion, sub-page and similarity deltas: restores are bit-identical and continue identically', () => {
  const repo = openRepo(dir);
  const a = session();
  const vm = a.machine;
  const ck = new MachineCheckpointer(vm, repo, codecs, { subpageBlock: 64, similarity: true });
  a.runUntil('# ', 400_000_000);
  const trail = new CheckpointTrail(ck, vm, AFTER);
  const taken = trail.taken;
  const take = (): void => { trail.take(); };
  take();
  // fill 16 MiB of tmpfs with random bytes, free it, wait for the report
  a.command('dd if=/dev/urandom of=/dev/shm/x bs=1M count=6 2>/dev/null; cp /dev/shm/x /dev/shm/y; echo a >> /dev/shm/y', '# ', 3_000_000_000);
  take();
  a.command('rm /dev/shm/x /dev/shm/y; sleep 3', '# ', 3_000_000_000);
  take();
  a.command('echo again', '# ', 100_000_000);
  take();
  const sumOf = (k: keyof CaptureResult['metrics']) => taken.reduce((s, r) => s + ((r.metrics[k] as number | undefined) ?? 0), 0);
  console.log(taken.map((r) => `${r.meta.id}: ${r.metrics.pagesDirty} pages, ${r.meta.bytesWritten} B, free ${r.metrics.pagesFreeReported}, subpage ${r.metrics.pagesSubpage} (wins ${r.metrics.subpageWins}/${r.metrics.xbzrleWins}), similar ${r.metrics.pagesSimilar}`).join('\n'));
  expect(vm.balloon!.pagesReported).toBeGreaterThan(4096);
  expect(sumOf('pagesFreeReported')).toBeGreaterThan(500);
  expect(sumOf('pagesSubpage') + sumOf('pagesSimilar')).toBeGreaterThan(0);
  for (const r of taken) {
    const m = r.metrics;
    expect(m.pagesZero + m.pagesFreeReported + m.pagesDeduplicated + m.pagesDelta + m.pagesSubpage + m.pagesSimilar + m.pagesCompressed + m.pagesRaw).toBe(m.pagesDirty);
  }

  trail.expectRestores(session().machine, repo);
  expect(repo.verify()).toEqual([]);
  repo.close();
}, 300_000);

/** A disk of pseudo-random bytes (every block distinct and incompressible). */
function randomDisk(bytes: number, seed: number): MemoryBlockDevice {
  const r = mulberry32(seed);
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 4) new DataView(data.buffer).setUint32(i, (r() * 2 ** 32) >>> 0, true);
  return new MemoryBlockDevice(data, true);
}

test('page-cache exclusion: pages read from the disk are stored as disk references, restored exactly, and a different disk is refused', () => {
  const repo = openRepo(dir + '-pc');
  const disk = () => ({ memoryBytes: 256 << 20, machine: { drives: [randomDisk(2 << 20, 3)] }, input: new SeededInputSource(5) });
  const a = new GuestSession(disk());
  sessions.push(a);
  a.runUntil('# ', 400_000_000);
  const ck = new MachineCheckpointer(a.machine, repo, codecs, { pageCache: true });
  ck.capture();
  a.command('cat /dev/vda > /dev/null; echo read', '# ', 1_000_000_000);
  const r = ck.capture();
  const at = fingerprint(a.machine);
  console.log(`disk read: ${r.metrics.pagesDirty} pages, ${r.metrics.pagesDiskRef} disk references, ${r.meta.bytesWritten} B`);
  expect(r.metrics.pagesDiskRef).toBeGreaterThan(400); // 2 MiB = 512 blocks, in the page cache
  expect(r.meta.bytesWritten).toBeLessThan(600_000);
  a.machine.run(AFTER);
  const later = fingerprint(a.machine);

  const b = new GuestSession(disk());
  sessions.push(b);
  restoreMachine(b.machine, repo, r.meta.id);
  expect(fingerprint(b.machine)).toBe(at);
  b.machine.run(AFTER);
  expect(fingerprint(b.machine)).toBe(later);
  expect(repo.verify()).toEqual([]);

  const c = new GuestSession({ ...disk(), machine: { drives: [randomDisk(2 << 20, 4)] } });
  sessions.push(c);
  expect(() => restoreMachine(c.machine, repo, r.meta.id)).toThrow(/content hash/);
  repo.close();
}, 300_000);
