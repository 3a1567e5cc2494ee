// Free-page exclusion without the guest's help: free pages read out of the
// standard kernel's buddy allocator (src/introspection) are zeroed at each
// checkpoint and stored as zero pages. Restores are exact and continue like the
// original run; recordings that contain the discards replay exactly, from boot
// and from a checkpoint; the scan refuses structures it cannot trust.
import { afterAll, describe, expect, test } from 'vitest';
import { SeededInputSource } from '../../src/machine/input.js';
import { PAGE_SIZE } from '../../src/machine/memory.js';
import { MachineCheckpointer } from '../../src/checkpoint/machine-checkpointer.js';
import { CheckpointTrail } from '../support/checkpoint-trail.js';
import { restoreMachine } from '../../src/checkpoint/restore-machine.js';
import { findLinuxFreePages } from '../../src/introspection/linux-free-pages.js';
import { debugTranslate } from '../../src/machine/cpu/debug-memory.js';
import { readLinuxLayout } from '../../src/node/guest-images.js';
import { ZstdCodec } from '../../src/node/codecs/zstd-codec.js';
import { codecList } from '../../src/replay/frame-compressor.js';
import { LogReader } from '../../src/replay/log-reader.js';
import { LogWriter, MemorySink } from '../../src/replay/log-writer.js';
import { Recorder } from '../../src/replay/recorder.js';
import { Replayer } from '../../src/replay/replayer.js';
import { GuestSession } from '../support/guest-session.js';
import { bootedGuest } from '../support/booted-guest.js';
import { codecs, openRepo, tempDir } from '../store/helpers.js';
import { fingerprint } from './fingerprint.js';
import { meta } from '../replay/session.js';

const layout = readLinuxLayout();
const { dir, cleanup } = tempDir('rv-ckpt-kfree-');
const sessions: GuestSession[] = [];
afterAll(() => { for (const s of sessions) s.close(); cleanup(); });
const session = (input = new SeededInputSource(5)) => { const s = new GuestSession({ memoryBytes: 256 << 20, input }); sessions.push(s); return s; };
/** The same machine as `session()`, restored at the shell prompt from the run's shared boot. */
const atPrompt = () => { const s = bootedGuest({ memoryBytes: 256 << 20, seed: 5 }); sessions.push(s); return s; };
const AFTER = 5_000_000;
const WORK = 'dd if=/dev/urandom of=/dev/shm/x bs=1M count=6 2>/dev/null; cp /dev/shm/x /dev/shm/y; rm /dev/shm/x /dev/shm/y; echo done';

/** Writes a 32-bit word at a kernel virtual address (test only), returning the old value. */
function poke(s: GuestSession, va: bigint, value: number): number {
  const m = s.machine;
  const pa = debugTranslate(m.hart, m.ram, Number(va & 0xffffffffn) | 0, Number(va >> 32n) | 0);
  expect(pa).toBeGreaterThan(0);
  const i = (pa - m.ram.base) >>> 2;
  const old = m.ram.i32[i];
  m.ram.i32[i] = value;
  return old;
}

describe('free pages read from the guest kernel', () => {
  // one booted guest serves the scan test and then the checkpoint test (which gets its own when run alone)
  let prompted: GuestSession | null = null;

  test('match the kernel\'s own count, and untrusted structures exclude nothing', () => {
    // before the kernel runs nothing is trusted
    const fresh = session();
    expect(findLinuxFreePages(fresh.machine.hart, fresh.machine.ram, layout).ok).toBe(false);
    // the shared booted guest (test/support/booted-guest.ts): the same machine and seed, at the prompt
    const s = atPrompt();
    prompted = s;
    const out = s.command('grep MemFree /proc/meminfo');
    const memFreeKiB = Number(/MemFree:\s+(\d+) kB/.exec(out)?.[1]);
    const t0 = performance.now();
    const r = findLinuxFreePages(s.machine.hart, s.machine.ram, layout);
    console.log(`scan: ${(performance.now() - t0).toFixed(1)} ms, ${r.ok ? r.pages : 0} free pages, MemFree ${memFreeKiB} KiB`);
    if (!r.ok) throw new Error(r.reason);
    // the buddy allocator's free pages are MemFree minus the per-cpu lists
    expect(r.pages * 4).toBeLessThanOrEqual(memFreeKiB);
    expect(r.pages * 4).toBeGreaterThan(memFreeKiB * 0.9);
    expect(r.pages).toBeGreaterThan(40_000); // of 65,536
    // the kernel's own memory is never free: the page holding mem_map's first struct page
    const first = r.runs[0];
    expect(first).toBeGreaterThan(0);

    // a held zone lock: the allocator is mid-update
    const zoneLock = layout.symbols.contig_page_data + BigInt(layout.pglist_data.node_zones + layout.zone.lock);
    const old = poke(s, zoneLock, 0);
    poke(s, zoneLock, old + 0x10000); // one more ticket taken than served: held
    const held = findLinuxFreePages(s.machine.hart, s.machine.ram, layout);
    expect(held.ok ? '' : held.reason).toMatch(/lock is held/);
    poke(s, zoneLock, old);
    // a free count that disagrees with the marked blocks
    const nrFree = layout.symbols.contig_page_data + BigInt(layout.pglist_data.node_zones + layout.zone.free_area + layout.free_area.nr_free);
    const n = poke(s, nrFree, 0x12345);
    const bad = findLinuxFreePages(s.machine.hart, s.machine.ram, layout);
    expect(bad.ok ? '' : bad.reason).toMatch(/free blocks/);
    poke(s, nrFree, n);
    expect(findLinuxFreePages(s.machine.hart, s.machine.ram, layout).ok).toBe(true);
  }, 300_000);

  test('checkpoints restore bit-identically and continue identically', () => {
    const repo = openRepo(dir);
    const a = prompted ?? atPrompt();
    const vm = a.machine;
    const ck = new MachineCheckpointer(vm, repo, codecs, { kernelLayout: layout });
    const trail = new CheckpointTrail(ck, vm, AFTER);
    const taken = trail.taken;
    const take = (): void => { trail.take(); };
    take();
    a.command(WORK, '# ', 3_000_000_000);
    take();
    a.command('echo again', '# ', 100_000_000);
    take();
    for (const r of taken) {
      expect(r.metrics.freeScanSkipped).toBe(0);
      const m = r.metrics;
      expect(m.pagesZero + m.pagesFreeKernel + m.pagesDeduplicated + m.pagesDelta + m.pagesSubpage + m.pagesSimilar + m.pagesCompressed + m.pagesRaw).toBe(m.pagesDirty);
    }
    // the first (full) checkpoint stores every free page as zero; the 6 MiB freed again after the job
    expect(taken[0].metrics.pagesFreeKernel).toBeGreaterThan(40_000);
    expect(taken[1].metrics.pagesFreeKernel).toBeGreaterThan(1000);
    // free pages are zero in the running machine right after a checkpoint
    const free = findLinuxFreePages(vm.hart, vm.ram, layout);
    expect(free.ok).toBe(true);

    const b = session();
    trail.expectRestores(b.machine, repo);
    expect(repo.verify()).toEqual([]);

    // copy-on-write mode (the CLI's default) counts the free pages apart too
    const cow = new MachineCheckpointer(vm, repo, codecs, { mode: 'cow', kernelLayout: layout });
    const c = cow.checkpoint({ full: true });
    cow.drain();
    expect(c.result?.metrics.freeScanSkipped).toBe(0);
    expect(c.result?.metrics.pagesFreeKernel).toBeGreaterThan(40_000);
    const at = fingerprint(vm);
    restoreMachine(b.machine, repo, c.result!.meta.id);
    expect(fingerprint(b.machine)).toBe(at);
    repo.close();
  }, 300_000);

  test('a recording with checkpoints replays exactly, from boot and from a checkpoint', () => {
    const repo = openRepo(dir + '-rec');
    const sink = new MemorySink();
    const rec = new Recorder(new LogWriter(sink, new ZstdCodec(3), meta(2_000_000)), { hashInterval: 2_000_000, ramHashInterval: 100_000_000 });
    const a = session(rec.source(new SeededInputSource(5)) as SeededInputSource);
    rec.attach(a.machine);
    const ck = new MachineCheckpointer(a.machine, repo, codecs, { kernelLayout: layout });
    a.runUntil('# ', 400_000_000);
    const ids: number[] = [];
    const take = (): void => { const r = ck.capture(); ids.push(r.meta.id); rec.checkpoint(String(r.meta.id)); };
    take();
    a.command(WORK, '# ', 3_000_000_000);
    take();
    a.command('echo again', '# ', 100_000_000);
    a.machine.run(AFTER);
    const end = a.machine.instret;
    rec.finish('test-end');
    const reader = () => new LogReader(sink.bytes(), 'kfree.rvr', codecList(new ZstdCodec()));
    const discards = [...reader().all()].filter((e) => e.kind === 'discard').length;
    expect(discards).toBe(2);

    // from boot: the discards are applied where they were recorded (the RAM hashes at each checkpoint check it)
    const r1 = new Replayer(reader());
    const b = session(r1.source as SeededInputSource);
    r1.attach(b.machine);
    const res1 = r1.run();
    expect(res1.divergence, JSON.stringify(res1.divergence)).toBeNull();
    expect(res1.stop).toBe('end');
    expect(b.machine.instret).toBe(end);
    expect(res1.ramChecks).toBeGreaterThanOrEqual(4);

    // from the second checkpoint, restored from the repository
    const r2 = new Replayer(reader());
    const c = session();
    restoreMachine(c.machine, repo, ids[1]);
    r2.attach(c.machine, { checkpoint: String(ids[1]) });
    const res2 = r2.run();
    expect(res2.divergence, JSON.stringify(res2.divergence)).toBeNull();
    expect(res2.stop).toBe('end');
    expect(c.machine.instret).toBe(end);
    expect(c.machine.ram.size / PAGE_SIZE).toBe(65_536);
    repo.close();
  }, 600_000);
});
