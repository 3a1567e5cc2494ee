// Copy-on-write checkpoints whose page work runs on worker threads (and on the same-thread pool):
// bit-exact under a guest that keeps writing, ordered commit, determinism, a failing pipeline,
// the bound on what pending captures hold under back-pressure. (kill -9: cow-crash.test.ts.)
import { afterAll, expect, test } from 'vitest';
import { SeededInputSource } from '../../src/machine/input.js';
import { PAGE_SIZE } from '../../src/machine/memory.js';
import { Capture, MachineCheckpointer, type MachineCheckpointerOptions } from '../../src/checkpoint/machine-checkpointer.js';
import { restoreMachine } from '../../src/checkpoint/restore-machine.js';
import { CheckpointSchedule } from '../../src/checkpoint/checkpoint-schedule.js';
import { SAME_THREAD_PAGES } from '../../src/encoding/page-worker-pool.js';
import { NodePageWorkerPool } from '../../src/node/page-worker-pool.js';
import type { Repository } from '../../src/store/repository.js';
import { GuestSession } from '../support/guest-session.js';
import { codecs, openRepo, tempDir } from '../store/helpers.js';
import { fingerprint } from './fingerprint.js';
import { EVERY, START, runTo, runWith as sharedRun, toStart } from './cow-run.js';

const { dir, cleanup } = tempDir('rv-cow-workers-');
const sessions: GuestSession[] = [];
const pools: NodePageWorkerPool[] = [];
afterAll(async () => { for (const s of sessions) s.close(); for (const p of pools) await p.close(); cleanup(); });
const session = () => { const s = new GuestSession({ memoryBytes: 64 << 20, disk: true, input: new SeededInputSource(11) }); sessions.push(s); return s; };
const threads = (n: number) => { const p = new NodePageWorkerPool(n); pools.push(p); return p; };

/** The shared run (cow-run.ts) with checkpoints of one mode (or none). */
function runWith(options: MachineCheckpointerOptions | null, repo: Repository | null) {
  const vm = session().machine;
  return sharedRun(vm, options && repo ? new MachineCheckpointer(vm, repo, codecs, options) : null, 'close', dir);
}

test('with page workers (2 threads, and the same-thread pool) copy-on-write checkpoints hold RAM exactly as at the stop, commit in order, and leave the guest course unchanged', () => {
  const plain = runWith(null, null);
  const runs = [
    { name: '2 threads', repo: openRepo(`${dir}/w2`), options: { mode: 'cow', predict: true, eagerPages: 64, pool: threads(2), ring: 32 } as MachineCheckpointerOptions },
    { name: 'same thread', repo: openRepo(`${dir}/w0`), options: { mode: 'cow', pool: SAME_THREAD_PAGES } as MachineCheckpointerOptions },
  ];
  const check = session().machine;
  for (const { name, repo, options } of runs) {
    const run = runWith(options, repo);
    expect(run.end, name).toBe(plain.end);
    expect(run.prints, name).toEqual(plain.prints);
    let lastId = 0;
    run.captures.forEach((c, i) => {
      expect(c.state, `${name}: ${String(c.error)}`).toBe('committed');
      const r = c.result!;
      // ordered: each checkpoint committed after, and incremental to, the one before
      expect(r.meta.id).toBeGreaterThan(lastId);
      lastId = r.meta.id;
      expect(r.meta.parent).toBe(i === 0 ? null : run.captures[i - 1].result!.meta.id);
      expect(r.meta.instructions).toBe(START + i * EVERY);
      const m = r.metrics;
      expect(m.pagesDirty, name).toBe(m.ramPages + m.diskBlocks);
      expect(m.pagesZero + m.pagesDeduplicated + m.pagesDelta + m.pagesSubpage + m.pagesCompressed + m.pagesRaw + m.pagesFreeReported, name).toBe(m.pagesDirty);
      restoreMachine(check, repo, r.meta.id);
      expect(fingerprint(check), `${name}: checkpoint ${i}`).toBe(run.prints[i]);
    });
    expect(repo.verify()).toEqual([]);
    const faults = run.captures.map((c) => c.result!.metrics.cowFaults ?? 0);
    const deltas = run.captures.reduce((n, c) => n + c.result!.metrics.pagesDelta, 0);
    console.log(`${name}: CoW faults per checkpoint ${faults.join(' ')}; deltas ${deltas}; compressed ${run.captures.map((c) => c.result!.metrics.pagesCompressed).join(' ')}`);
    expect(deltas, `${name}: XBZRLE deltas against the shared cache`).toBeGreaterThan(0);
    repo.close();
  }
});

test('with page workers a failing pipeline commits nothing, the guest runs on, and the next checkpoint holds its pages', () => {
  const repo = openRepo(`${dir}/fail`);
  const vm = session().machine;
  const ck = new MachineCheckpointer(vm, repo, codecs, { mode: 'cow', pool: threads(2), ring: 16 });
  toStart(vm, dir);
  const c1 = ck.checkpoint();
  const p1 = fingerprint(vm);
  runTo(vm, START + EVERY, ck);
  ck.drain();
  expect(c1.state).toBe('committed');
  // the writer cannot be opened (as if the disk failed): the pipeline fails at its first stored page
  const begin = repo.begin.bind(repo);
  repo.begin = () => { throw new Error('injected pipeline failure'); };
  const c2 = ck.checkpoint();
  runTo(vm, START + 2 * EVERY, ck);
  ck.drain();
  repo.begin = begin;
  expect(c2.state).toBe('failed');
  expect(String(c2.error)).toMatch(/injected pipeline failure/);
  expect(vm.ram.writeProtect.every((b) => b === 0)).toBe(true);
  const c3 = ck.checkpoint();
  const p3 = fingerprint(vm);
  runTo(vm, START + 3 * EVERY, ck);
  ck.close();
  expect(c3.state).toBe('committed');
  expect(c3.result!.meta.parent).toBe(c1.result!.meta.id);
  const check = session().machine;
  restoreMachine(check, repo, c1.result!.meta.id);
  expect(fingerprint(check)).toBe(p1);
  restoreMachine(check, repo, c3.result!.meta.id);
  expect(fingerprint(check)).toBe(p3);
  expect(repo.verify()).toEqual([]);
  repo.close();
});

test('back-pressure with page workers: checkpoints due faster than the pipeline drains wait (or coalesce), and pending captures never hold more than the bound', async () => {
  for (const pressure of ['wait', 'coalesce'] as const) {
    const repo = openRepo(`${dir}/pressure-${pressure}`);
    const vm = session().machine;
    const maxHeldBytes = 16 * PAGE_SIZE;
    const ck = new MachineCheckpointer(vm, repo, codecs, { mode: 'cow', predict: true, maxHeldBytes, pool: threads(1), ring: 8, blockingCommit: pressure === 'wait' });
    // every 200 k instructions: far faster than one worker drains a booting kernel's dirty pages
    toStart(vm, dir);
    const sched = new CheckpointSchedule(ck, { unit: 'instructions', every: 200_000 }, pressure);
    const prints = new Map<Capture, string>();
    let peakHeld = 0;
    while (vm.instret < START + 6_000_000) {
      const { capture } = sched.step(1_000_000);
      if (capture) prints.set(capture, fingerprint(vm));
      peakHeld = Math.max(peakHeld, ck.heldBytes);
      await new Promise((r) => setImmediate(r));
    }
    const bound = ck.heldBound; // copies plus the ring's 8 result slots
    ck.close();
    expect(bound).toBeGreaterThan(maxHeldBytes);
    expect(bound).toBeLessThanOrEqual(maxHeldBytes + 8 * 3 * PAGE_SIZE);
    const check = session().machine;
    let last = 0, faultEncodes = 0;
    for (const [c, print] of prints) {
      expect(c.state, String(c.error)).toBe('committed');
      expect(c.result!.metrics.peakHeldBytes ?? 0).toBeLessThanOrEqual(maxHeldBytes);
      faultEncodes += c.result!.metrics.cowFaultEncodes ?? 0;
      expect(c.instructions).toBeGreaterThan(last);
      last = c.instructions;
      if (pressure === 'wait') expect(c.instructions % 200_000).toBe(0); // the grid is kept
      restoreMachine(check, repo, c.result!.meta.id);
      expect(fingerprint(check)).toBe(print);
    }
    expect(peakHeld).toBeLessThanOrEqual(maxHeldBytes + 16 * PAGE_SIZE); // copies + this test's few disk blocks
    console.log(`${pressure}: ${prints.size} checkpoints, ${sched.coalesced} postponed, peak held ${peakHeld} B (bound ${bound} B + disk blocks), ${faultEncodes} faults encoded on the spot`);
    if (pressure === 'coalesce') expect(sched.coalesced).toBeGreaterThan(0);
    expect(repo.verify()).toEqual([]);
    repo.close();
  }
});
