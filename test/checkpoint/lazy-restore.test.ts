// Lazy (post-copy) restore: pages fault in on first access (fetch, loads, stores, page walks, DMA);
// a lazily restored machine continues exactly like the original and like an eager restore.
import { afterAll, expect, test } from 'vitest';
import { SeededInputSource } from '../../src/machine/input.js';
import type { VirtMachine } from '../../src/machine/board/virt-machine.js';
import { MachineCheckpointer, type Capture, type MachineCheckpointerOptions } from '../../src/checkpoint/machine-checkpointer.js';
import { restoreMachine, restoreMachineLazily } from '../../src/checkpoint/restore-machine.js';
import { GuestSession } from '../support/guest-session.js';
import { codecs, openRepo, tempDir } from '../store/helpers.js';
import { fingerprint } from './fingerprint.js';
import { debugRead } from '../../src/machine/cpu/debug-memory.js';

const { dir, cleanup } = tempDir('rv-lazy-');
const sessions: GuestSession[] = [];
afterAll(() => { for (const s of sessions) s.close(); cleanup(); });
const session = () => { const s = new GuestSession({ memoryBytes: 64 << 20, disk: true, input: new SeededInputSource(13) }); sessions.push(s); return s; };

const AFTER = 3_000_000;
const POINTS = [12_000_000, 22_000_000];

/** Checkpoints at POINTS in one mode; fingerprints at each and AFTER instructions later. */
function record(options: MachineCheckpointerOptions, sub: string) {
  const repo = openRepo(`${dir}/${sub}`);
  const vm = session().machine;
  const ck = new MachineCheckpointer(vm, repo, codecs, options);
  const out: Array<{ capture: Capture; at: string; later: string }> = [];
  for (const p of POINTS) {
    while (vm.instret < p) { vm.run(Math.min(50_000, p - vm.instret)); ck.pumpPages(32); }
    vm.overlays[0].write((p / 1_000_000) * 4096, new Uint8Array(4096).fill(p & 0xff));
    const at = fingerprint(vm);
    const capture = ck.checkpoint();
    const end = vm.instret + AFTER;
    while (vm.instret < end) { vm.run(Math.min(50_000, end - vm.instret)); ck.pumpPages(32); }
    out.push({ capture, at, later: fingerprint(vm) });
    // the following checkpoints are taken further on, after these fingerprints
  }
  ck.drain();
  return { repo, out };
}

function runOn(vm: VirtMachine, n: number, between: () => void): void {
  const end = vm.instret + n;
  while (vm.instret < end) { vm.run(Math.min(50_000, end - vm.instret)); between(); }
}

test.each([
  ['stop-and-copy', { mode: 'stop' as const }],
  ['copy-on-write + prediction', { mode: 'cow' as const, predict: true }],
])('checkpoints taken with %s restore lazily and eagerly to the same machine, which continues identically', (_name, options) => {
  const { repo, out } = record(options, options.mode);
  const b = session().machine;
  for (const { capture, at, later } of out) {
    expect(capture.state).toBe('committed');
    const id = capture.result!.meta.id;

    // lazy, no prefetch at all: everything the guest and devices touch faults in
    const lazy = restoreMachineLazily(b, repo, id);
    expect(lazy.faulted.length).toBe(0);
    expect(b.ram.absentCount).toBe(b.ram.pages);
    runOn(b, AFTER, () => {});
    expect(lazy.faulted.length).toBeGreaterThan(10);
    expect(lazy.faulted.length).toBeLessThan(b.ram.pages / 2);
    expect(b.ram.absentCount).toBe(b.ram.pages - lazy.faulted.length);
    b.ram.ensureAll();
    expect(fingerprint(b), `lazy restore of ${id}, ${AFTER} instructions on`).toBe(later);

    // lazy with a prefetcher between slices
    const pre = restoreMachineLazily(b, repo, id);
    runOn(b, AFTER, () => { pre.prefetch(256); });
    pre.finish();
    expect(pre.done).toBe(true);
    expect(pre.prefetched + pre.faulted.length).toBe(b.ram.pages);
    expect(fingerprint(b)).toBe(later);

    // lazy, then completed before running: the state at the checkpoint
    restoreMachineLazily(b, repo, id).finish();
    expect(fingerprint(b)).toBe(at);
    const atPc = debugRead(b.hart, b.ram, b.hart.pcLo, b.hart.pcHi, 256);
    const atSp = debugRead(b.hart, b.ram, b.hart.xLo[2], b.hart.xHi[2], 256);

    // a debugger reading memory (page-table walk and bytes) during a lazy restore faults the pages in: it sees the checkpoint's bytes
    const dbg = restoreMachineLazily(b, repo, id);
    expect(debugRead(b.hart, b.ram, b.hart.pcLo, b.hart.pcHi, 256)).toEqual(atPc);
    expect(debugRead(b.hart, b.ram, b.hart.xLo[2], b.hart.xHi[2], 256)).toEqual(atSp);
    expect(dbg.faulted.length).toBeGreaterThan(0);
    dbg.finish();
    expect(fingerprint(b)).toBe(at);

    // eager
    restoreMachine(b, repo, id);
    expect(fingerprint(b)).toBe(at);
    runOn(b, AFTER, () => {});
    expect(fingerprint(b)).toBe(later);
  }
  expect(repo.verify()).toEqual([]);
  repo.close();
});

test('an eager restore supersedes a lazy one still loading; a full capture of a lazily restored machine loads every page first', () => {
  const { repo, out } = record({ mode: 'stop' }, 'supersede');
  const b = session().machine;
  const first = out[0].capture.result!.meta.id, last = out[1].capture.result!.meta.id;
  restoreMachineLazily(b, repo, first);
  b.run(100_000);
  restoreMachine(b, repo, last);
  expect(b.ram.absentCount).toBe(0);
  expect(fingerprint(b)).toBe(out[1].at);

  const repo2 = openRepo(`${dir}/second`);
  const ck = new MachineCheckpointer(b, repo2, codecs, { mode: 'cow' });
  restoreMachineLazily(b, repo, first);
  const c = ck.checkpoint(); // the first capture of this checkpointer is full
  ck.drain();
  expect(b.ram.absentCount).toBe(0);
  const check = session().machine;
  restoreMachine(check, repo2, c.result!.meta.id);
  expect(fingerprint(check)).toBe(out[0].at);
  repo.close();
  repo2.close();
});
