// Interval verification after a lazy restore (compareWithCheckpoint with the start checkpoint's page
// map): pages written since, and pages the two checkpoints store differently though never touched,
// are compared byte for byte; untouched unchanged pages are never read.
import { afterAll, expect, it } from 'vitest';
import { VirtMachine } from '../../src/machine/board/virt-machine.js';
import { SeededInputSource } from '../../src/machine/input.js';
import { MachineCheckpointer } from '../../src/checkpoint/machine-checkpointer.js';
import { restoreMachineLazily } from '../../src/checkpoint/restore-machine.js';
import { compareWithCheckpoint, type MatchStats } from '../../src/analysis/state-match.js';
import { codecs, openRepo, tempDir } from '../store/helpers.js';

const { dir, cleanup } = tempDir('rv-state-match-');
afterAll(cleanup);
const BASE = 0x80000000;
const build = (): VirtMachine => new VirtMachine({ bios: null, kernel: new Uint8Array([0x6f, 0, 0, 0]) /* j . */, memoryBytes: 16 << 20, input: new SeededInputSource(), console: () => {} });

it('verifies page by page against the start checkpoint map, reading only what can differ', () => {
  const repo = openRepo(dir);
  const vm = build();
  const ck = new MachineCheckpointer(vm, repo, codecs, { mode: 'stop' });
  vm.ram.write(BASE + 0x100000, new Uint8Array(4096).fill(7));
  const a = ck.capture().meta.id;
  vm.ram.write(BASE + 0x200000, new Uint8Array(4096).fill(9)); // only in b
  const b = ck.capture().meta.id;

  const m = build();
  const stats: MatchStats = { pagesCompared: 0, pagesSkipped: 0 };
  let lazy = restoreMachineLazily(m, repo, a);
  // nothing written since a: a matches without reading a single page
  expect(compareWithCheckpoint(m, repo, a, lazy.map, stats)).toBeNull();
  expect(stats.pagesCompared).toBe(0);
  expect(stats.pagesSkipped).toBe(m.ram.pages);

  // never touched, but stored differently in b: found without any write
  lazy = restoreMachineLazily(m, repo, a);
  expect(compareWithCheckpoint(m, repo, b, lazy.map)).toMatch(/^RAM differs, first in the 1 MiB region at 0x80200000 \(page 0x80200000\)/);

  // the same write the guest made: matches b; a different byte: caught
  lazy = restoreMachineLazily(m, repo, a);
  m.ram.write(BASE + 0x200000, new Uint8Array(4096).fill(9));
  const s2: MatchStats = { pagesCompared: 0, pagesSkipped: 0 };
  expect(compareWithCheckpoint(m, repo, b, lazy.map, s2)).toBeNull();
  expect(s2.pagesCompared).toBe(1);
  lazy = restoreMachineLazily(m, repo, a);
  m.ram.write(BASE + 0x200000, new Uint8Array(4096).fill(9));
  m.ram.write(BASE + 0x200ffc, new Uint8Array([1]));
  expect(compareWithCheckpoint(m, repo, b, lazy.map)).toMatch(/^RAM differs, first in the 1 MiB region at 0x80200000/);
  // a write that restores the old bytes is still compared (dirty), and matches
  lazy = restoreMachineLazily(m, repo, a);
  m.ram.write(BASE + 0x100000, new Uint8Array(4096).fill(7));
  expect(compareWithCheckpoint(m, repo, a, lazy.map)).toBeNull();
  // registers are compared as before
  lazy = restoreMachineLazily(m, repo, a);
  m.hart.xLo[5] = 0x1234;
  expect(compareWithCheckpoint(m, repo, a, lazy.map)).toMatch(/^registers differ: x5/);
  repo.close();
});
