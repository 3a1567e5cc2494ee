// The checkpointer on a small machine: periodic captures through the API, disk blocks, restore.
import { afterAll, expect, test } from 'vitest';
import { TIMEBASE_HZ } from '../../src/machine/clock.js';
import { SeededInputSource } from '../../src/machine/input.js';
import { GuestSession } from '../support/guest-session.js';
import { CheckpointSchedule } from '../../src/checkpoint/checkpoint-schedule.js';
import { MachineCheckpointer } from '../../src/checkpoint/machine-checkpointer.js';
import { parseCheckpointInterval } from '../../src/cli/checkpoint-interval.js';
import { restoreMachine } from '../../src/checkpoint/restore-machine.js';
import { codecs, openRepo, tempDir } from '../store/helpers.js';
import { fingerprint } from './fingerprint.js';

const { dir, cleanup } = tempDir('rv-ckpt-api-');
const sessions: GuestSession[] = [];
afterAll(() => { for (const s of sessions) s.close(); cleanup(); });
const session = () => { const s = new GuestSession({ memoryBytes: 64 << 20, disk: true, input: new SeededInputSource(7) }); sessions.push(s); return s; };

test('interval parsing', () => {
  expect(parseCheckpointInterval('100ms', TIMEBASE_HZ)).toEqual({ unit: 'ticks', every: 1_000_000 });
  expect(parseCheckpointInterval('1s', TIMEBASE_HZ)).toEqual({ unit: 'ticks', every: 10_000_000 });
  expect(parseCheckpointInterval('50M', TIMEBASE_HZ)).toEqual({ unit: 'instructions', every: 50_000_000 });
  expect(parseCheckpointInterval('2500000', TIMEBASE_HZ)).toEqual({ unit: 'instructions', every: 2_500_000 });
  expect(() => parseCheckpointInterval('soon', TIMEBASE_HZ)).toThrow(/expected a guest time/);
});

test('periodic captures land on their boundaries; disk blocks and input position round-trip; restore is bit-identical and continues identically', () => {
  const repo = openRepo(dir);
  const a = session();
  const vm = a.machine;
  const ck = new MachineCheckpointer(vm, repo, codecs);
  const every = 2_000_000;
  const sched = new CheckpointSchedule(ck, parseCheckpointInterval('2M', TIMEBASE_HZ));
  const prints = new Map<number, string>();
  const disk = vm.overlays[0];
  const block = new Uint8Array(4096);
  let taken = 0;
  while (taken < 4) {
    vm.run(sched.limit(4_000_000));
    // stand-in for guest disk writes: one new block per interval, one rewritten, one zeroed
    block.fill(taken + 1);
    disk.write(taken * 8192, block);
    if (taken === 2) disk.write(0, new Uint8Array(4096));
    const r = sched.poll();
    if (!r) continue;
    taken++;
    expect(r.meta.instructions).toBe(taken * every);
    expect(r.metrics.full).toBe(taken === 1 ? 1 : 0);
    expect(r.metrics.diskBlocks).toBe(taken === 1 ? 1 : taken === 3 ? 2 : 1);
    expect(r.meta.parent).toBe(taken === 1 ? null : r.meta.id - 1);
    expect(r.metrics.downtimeMs).toBeGreaterThan(0);
    prints.set(r.meta.id, fingerprint(vm));
  }
  const ids = [...prints.keys()];
  // the incremental ones hold far fewer pages than the full one
  expect(repo.get(ids[1]).metrics!.pagesDirty!).toBeLessThan(repo.get(ids[0]).metrics!.pagesDirty! / 2);
  vm.run(1_000_000);
  const after = fingerprint(vm);

  const b = session();
  for (const id of [ids[3], ids[0], ids[2]]) {
    restoreMachine(b.machine, repo, id);
    expect(fingerprint(b.machine), `checkpoint ${id}`).toBe(prints.get(id));
  }
  restoreMachine(b.machine, repo, ids[3]);
  b.machine.run(1_000_000);
  expect(fingerprint(b.machine)).toBe(after);
  expect(repo.verify()).toEqual([]);
  repo.close();
});

test('a restore that does not fit the machine is refused before anything changes', () => {
  const repo = openRepo(dir);
  const id = repo.list()[0].id;
  const small = new GuestSession({ memoryBytes: 32 << 20 });
  sessions.push(small);
  const before = fingerprint(small.machine);
  expect(() => restoreMachine(small.machine, repo, id)).toThrow(/disk|pages/);
  expect(fingerprint(small.machine)).toBe(before);
  repo.close();
});
