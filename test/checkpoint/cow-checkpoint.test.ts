// Copy-on-write checkpoints of a booting guest (it writes memory all the time) compared with
// stop-and-copy captures taken at the same instructions; determinism; asynchronous commit; failures.
import { afterAll, expect, test } from 'vitest';
import { SeededInputSource } from '../../src/machine/input.js';
import type { VirtMachine } from '../../src/machine/board/virt-machine.js';
import { CodecRegistry, type PageCodec } from '../../src/encoding/page-codec.js';
import { Capture, MachineCheckpointer, type MachineCheckpointerOptions } from '../../src/checkpoint/machine-checkpointer.js';
import { restoreMachine } from '../../src/checkpoint/restore-machine.js';
import { CheckpointSchedule } from '../../src/checkpoint/checkpoint-schedule.js';
import { NodeStoreFs } from '../../src/node/fs-store.js';
import type { StoreFile } from '../../src/store/store-fs.js';
import { Repository } from '../../src/store/repository.js';
import { GuestSession } from '../support/guest-session.js';
import { codecs, openRepo, tempDir } from '../store/helpers.js';
import { fingerprint } from './fingerprint.js';
import { EVERY, SLICE, START, runTo, runWith as sharedRun, toStart } from './cow-run.js';

const { dir, cleanup } = tempDir('rv-cow-');
const sessions: GuestSession[] = [];
afterAll(() => { for (const s of sessions) s.close(); cleanup(); });
const session = () => { const s = new GuestSession({ memoryBytes: 64 << 20, disk: true, input: new SeededInputSource(11) }); sessions.push(s); return s; };

/** The shared run (cow-run.ts) with checkpoints of one mode (or none). */
function runWith(options: MachineCheckpointerOptions | null, repo: Repository | null) {
  const vm = session().machine;
  return sharedRun(vm, options && repo ? new MachineCheckpointer(vm, repo, codecs, options) : null, 'drain', dir);
}

test('copy-on-write checkpoints hold exactly what stop-and-copy captures at the same instructions hold, and the guest ends in the same state as without checkpoints', () => {
  const stopRepo = openRepo(`${dir}/stop`);
  const cowRepo = openRepo(`${dir}/cow`);
  const predRepo = openRepo(`${dir}/cow-predict`);
  const plain = runWith(null, null);
  const stop = runWith({ mode: 'stop' }, stopRepo);
  const cow = runWith({ mode: 'cow' }, cowRepo);
  const pred = runWith({ mode: 'cow', predict: true, eagerPages: 64 }, predRepo);
  // determinism: checkpoints of any mode leave the guest's course unchanged
  expect(stop.end).toBe(plain.end);
  expect(cow.end).toBe(plain.end);
  expect(pred.end).toBe(plain.end);
  expect(cow.prints).toEqual(stop.prints);
  expect(pred.prints).toEqual(stop.prints);

  const check = session().machine;
  for (const [run, repo] of [[stop, stopRepo], [cow, cowRepo], [pred, predRepo]] as const) {
    run.captures.forEach((c, i) => {
      expect(c.state, String(c.error)).toBe('committed');
      const r = c.result!;
      expect(r.meta.instructions).toBe(START + i * EVERY);
      expect(r.meta.parent).toBe(i === 0 ? null : run.captures[i - 1].result!.meta.id);
      restoreMachine(check, repo, r.meta.id);
      expect(fingerprint(check), `checkpoint ${i}`).toBe(run.prints[i]);
    });
    expect(repo.verify()).toEqual([]);
  }
  // the background reader really raced the guest
  const faults = cow.captures.reduce((n, c) => n + (c.result!.metrics.cowFaults ?? 0), 0);
  expect(faults).toBeGreaterThan(0);
  const eager = pred.captures.reduce((n, c) => n + (c.result!.metrics.eagerPages ?? 0), 0);
  expect(eager).toBeGreaterThan(0);
  console.log(`CoW faults per checkpoint: ${cow.captures.map((c) => c.result!.metrics.cowFaults).join(' ')}; with prediction: ${pred.captures.map((c) => c.result!.metrics.cowFaults).join(' ')} (eager copies ${pred.captures.map((c) => c.result!.metrics.eagerPages).join(' ')})`);
  for (const r of [stopRepo, cowRepo, predRepo]) r.close();
});

/** NodeStoreFs whose asynchronous fsyncs can be made to fail, and which counts them. */
class FlakyFs extends NodeStoreFs {
  failSyncs = false;
  asyncSyncs = 0;
  override open(path: string, mode: 'r' | 'a' | 'w'): StoreFile {
    const f = super.open(path, mode);
    const inner = f.syncAsync?.bind(f);
    f.syncAsync = () => {
      this.asyncSyncs++;
      return this.failSyncs ? Promise.reject(new Error('injected fsync failure')) : (inner as () => Promise<void>)();
    };
    return f;
  }
}

/** zstd whose compress can be made to fail. */
function flakyCodecs(): { registry: CodecRegistry; fail: (on: boolean) => void } {
  const z = codecs.byName('zstd');
  let failing = false;
  const codec: PageCodec = {
    name: z.name, id: z.id,
    compress: (src, off, len, dst) => { if (failing) throw new Error('injected pipeline failure'); return z.compress(src, off, len, dst); },
    decompress: (src, dst) => z.decompress(src, dst),
    maxOutput: (n) => z.maxOutput(n),
  };
  return { registry: new CodecRegistry([codecs.byName('none'), codec]), fail: (on) => { failing = on; } };
}

const settle = async (c: Capture, ck: MachineCheckpointer, vm: VirtMachine): Promise<void> => {
  // the guest keeps running while the commit's fsyncs complete on other threads
  while (!c.settled) { vm.run(SLICE); ck.pump(); await new Promise((r) => setImmediate(r)); }
};

test('the commit is asynchronous: a checkpoint is reported committed only once durable; failed pipelines and fsyncs commit nothing, the guest runs on, and the next checkpoint holds their pages', async () => {
  const fs = new FlakyFs();
  const { registry, fail } = flakyCodecs();
  const repo = Repository.open(fs, `${dir}/async`, { codecs: registry, create: true });
  const vm = session().machine;
  const ck = new MachineCheckpointer(vm, repo, registry, { mode: 'cow', predict: true });
  toStart(vm, dir);

  // 1: committed only after the asynchronous fsyncs
  const c1 = ck.checkpoint();
  const p1 = fingerprint(vm);
  while (c1.state === 'reading') { vm.run(SLICE); ck.pump(); }
  expect(c1.state).toBe('syncing');
  expect(repo.list()).toEqual([]);
  expect(ck.busy).toBe(true);
  await settle(c1, ck, vm);
  expect(c1.state).toBe('committed');
  expect(fs.asyncSyncs).toBeGreaterThanOrEqual(3); // pack, checkpoint file and index: none blocks the guest (the lock is held across them)
  expect(repo.list().map((m) => m.id)).toEqual([c1.result!.meta.id]);
  expect(c1.result!.durableMs).toBeGreaterThanOrEqual(c1.result!.pauseMs);

  // 2: an fsync fails → nothing committed
  runTo(vm, vm.instret + EVERY, ck);
  fs.failSyncs = true;
  const c2 = ck.checkpoint();
  await settle(c2, ck, vm);
  fs.failSyncs = false;
  expect(c2.state).toBe('failed');
  expect(String(c2.error)).toMatch(/injected fsync failure/);
  expect(repo.list().length).toBe(1);

  // 3: the pipeline fails (codec throws) → nothing committed
  runTo(vm, vm.instret + EVERY, ck);
  fail(true);
  const c3 = ck.checkpoint();
  await settle(c3, ck, vm);
  fail(false);
  expect(c3.state).toBe('failed');
  expect(String(c3.error)).toMatch(/injected pipeline failure/);
  expect(repo.list().length).toBe(1);
  expect(vm.ram.writeProtect.every((b) => b === 0)).toBe(true);

  // 4: incremental to checkpoint 1, and holds everything written since (the failed ones' pages too)
  runTo(vm, vm.instret + EVERY, ck);
  const c4 = ck.checkpoint();
  const p4 = fingerprint(vm);
  await settle(c4, ck, vm);
  expect(c4.state).toBe('committed');
  expect(c4.result!.meta.parent).toBe(c1.result!.meta.id);
  expect(repo.verify()).toEqual([]);
  const check = session().machine;
  restoreMachine(check, repo, c1.result!.meta.id);
  expect(fingerprint(check)).toBe(p1);
  restoreMachine(check, repo, c4.result!.meta.id);
  expect(fingerprint(check)).toBe(p4);
  repo.close();
  // reopening finds nothing of the failed ones
  const again = openRepo(`${dir}/async`, false, true);
  expect(again.list().map((m) => m.id)).toEqual([c1.result!.meta.id, c4.result!.meta.id]);
  expect(again.verify()).toEqual([]);
  again.close();
});

test('coalescing: checkpoints due while the pipeline is busy are postponed, land later, and still restore exactly', async () => {
  const repo = openRepo(`${dir}/coalesce`);
  const vm = session().machine;
  // a small share for the background reader, so captures span several intervals
  const ck = new MachineCheckpointer(vm, repo, codecs, { mode: 'cow', backgroundShare: 0.25, blockingCommit: true });
  const sched = new CheckpointSchedule(ck, { unit: 'instructions', every: 1_000_000 }, 'coalesce');
  toStart(vm, dir);
  const prints = new Map<Capture, string>();
  while (vm.instret < START + 16_000_000) {
    const { capture } = sched.step(4_000_000);
    if (capture) prints.set(capture, fingerprint(vm));
    await new Promise((r) => setImmediate(r));
  }
  ck.drain();
  console.log(`coalescing: ${prints.size} checkpoints, ${sched.coalesced} postponements`);
  const check = session().machine;
  let last = 0;
  for (const [c, print] of prints) {
    expect(c.state).toBe('committed');
    expect(c.instructions).toBeGreaterThan(last);
    last = c.instructions;
    restoreMachine(check, repo, c.result!.meta.id);
    expect(fingerprint(check)).toBe(print);
  }
  expect(repo.verify()).toEqual([]);
  repo.close();
});
