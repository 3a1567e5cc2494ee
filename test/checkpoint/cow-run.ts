// The guest run the copy-on-write tests share: a booting guest (it writes memory all the time)
// checkpointed at START + i·EVERY, a disk block written before each checkpoint.
import type { VirtMachine } from '../../src/machine/board/virt-machine.js';
import { MachineCheckpointer, type Capture } from '../../src/checkpoint/machine-checkpointer.js';
import { restoreMachine } from '../../src/checkpoint/restore-machine.js';
import type { Repository } from '../../src/store/repository.js';
import { codecs, openRepo } from '../store/helpers.js';
import { fingerprint } from './fingerprint.js';

export const START = 15_000_000; // the kernel is unpacking and initialising: plenty of writes
export const EVERY = 3_000_000;
export const COUNT = 4;
export const END = START + COUNT * EVERY + 2_000_000;
export const SLICE = 20_000;

/** Runs to `target` in small slices; between slices the capture in flight consumes a few pages (waiting for them: deterministic). */
export function runTo(vm: VirtMachine, target: number, ck: MachineCheckpointer | null, pages = 8): void {
  while (vm.instret < target) {
    vm.run(Math.min(SLICE, target - vm.instret));
    ck?.pumpPages(pages);
  }
}

let start: { repo: Repository; id: number } | null = null;

/**
 * Brings a fresh machine of the standard session to instruction START. The
 * first call boots there and saves a stop-and-copy checkpoint in `dir`; every
 * call (the first too, so that all runs start alike) restores it: each run
 * no longer boots 15 M instructions of its own (restore is bit-exact and the
 * restored machine continues identically: restore-continues.slow.test.ts).
 */
export function toStart(vm: VirtMachine, dir: string): void {
  if (!start) {
    runTo(vm, START, null);
    const repo = openRepo(`${dir}/start`);
    start = { repo, id: new MachineCheckpointer(vm, repo, codecs).capture({ label: 'start' }).meta.id };
  }
  restoreMachine(vm, start.repo, start.id);
  if (vm.instret !== START) throw new Error(`start checkpoint at ${vm.instret}, expected ${START}`);
}

/** The run with checkpoints by `ck` (or none) from START (toStart); `finish` settles the last capture (drain, or close). */
export function runWith(vm: VirtMachine, ck: MachineCheckpointer | null, finish: 'drain' | 'close', dir: string) {
  const prints: string[] = [];
  const captures: Capture[] = [];
  toStart(vm, dir);
  for (let i = 0; i < COUNT; i++) {
    runTo(vm, START + i * EVERY, ck);
    vm.overlays[0].write(i * 4096 * 3, new Uint8Array(4096).fill(i + 1));
    prints.push(fingerprint(vm));
    if (ck) captures.push(ck.checkpoint({ label: `c${i}` }));
  }
  runTo(vm, END, ck);
  if (finish === 'drain') ck?.drain(); else ck?.close();
  return { end: fingerprint(vm), prints, captures };
}
